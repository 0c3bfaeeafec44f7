/** Records passed between the stages of the generator. All lengths in micrometres unless named. */

export type ProcessName = 'DLS' | 'MJF' | 'SLA' | 'FDM';
export const PROCESSES: readonly ProcessName[] = ['DLS', 'MJF', 'SLA', 'FDM'];

export type DesignName = 'connector' | 'plug' | 'lattice';
export const DESIGNS: readonly DesignName[] = ['connector', 'plug', 'lattice'];

/** The native pixel size of the reference flatbed scanner (4800 dpi). */
export const NATIVE_PIXEL_UM = 5.3;

/** Generator settings shared by every part of one data set (written to synth.json). */
export interface SynthConfig {
  /** Global seed; every part's seed derives from it and the part's serial. */
  seed: number;
  /** Machine-signature strength: 0 = machines of one process are identical; 1 = default; larger = easier. */
  strength: number;
  /** Processes, assigned to machines round-robin (M01 -> processes[0], M02 -> processes[1], ...). */
  processes: ProcessName[];
  machines: number;
  partsPerMachine: number;
}

/** Per-machine parameters: the process's nominal values moved by `strength` x a machine-specific offset. */
export interface MachineSpec {
  name: string;
  index: number;
  process: ProcessName;
  material: string;
  seed: number;
  /** Build capacity (parts per build) and tray grid. */
  buildSize: number;
  trayCols: number;
  trayRows: number;
  /** Tray grid pitch, mm. */
  trayPitchMm: [number, number];
  /** Process parameters after the machine's deviation (names depend on the process). */
  params: Record<string, number>;
}

/** One individual part: where and how it was made. */
export interface PartSpec {
  serial: string;
  /** Index in the data set (serial P000001 has index 0). Look-alikes use their own index space. */
  index: number;
  seed: number;
  machine: MachineSpec;
  design: DesignName;
  build: string;
  buildIndex: number;
  trayCol: number;
  trayRow: number;
  /** Position of the part on the tray, mm from the tray's origin. */
  trayMm: [number, number];
  /** Multipliers from the smooth tray/build field at this part's position (1 = nominal). */
  tray: { depth: number; blur: number; brightness: number; texture: number };
}

/** How one image was taken. Angles in degrees, offsets in output pixels. */
export interface CaptureParams {
  index: number;
  seed: number;
  rotationDeg: number;
  scale: number;
  /** Translation of the view centre per 1000 pixels of view (scaled to the view's size when rendered; the manifest gives pixels). */
  tx: number;
  ty: number;
  /** Mild perspective: projective terms per image width. */
  perspX: number;
  perspY: number;
  lightAzimuthDeg: number;
  lightElevationDeg: number;
  gain: number;
  /** Strength of the illumination fall-off towards the corners (0 = flat). */
  vignette: number;
  blurPx: number;
  /** Sensor noise standard deviation, grey levels. */
  noise: number;
  format: 'png' | 'jpeg';
  jpegQuality: number;
  dust: number;
  /** Fraction of the image covered by an occluder (0 = none). */
  occlusion: number;
}

/** What a generated image shows. */
export interface ViewSpec {
  /** Output width = height, pixels. */
  size: number;
  /** Nominal micrometres per pixel (the capture's scale changes the true value by up to 10%). */
  pixelUm: number;
}
