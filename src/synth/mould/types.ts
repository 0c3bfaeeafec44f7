/**
 * Records of the mould generator: parts cast or injection-moulded in the same mould share the
 * mould's form, its machining marks and its fine texture; each part adds a small individual relief.
 * Lengths in micrometres unless named; lattice positions in pixels of the part's surface lattice.
 */

export type MouldRangeName = 'development' | 'heldout';
export const MOULD_RANGE_NAMES: readonly MouldRangeName[] = ['development', 'heldout'];

/** A closed interval [lo, hi]. */
export type Interval = readonly [number, number];

/**
 * How hard a data set is: the parameter ranges recaptures and parts are drawn from. `development`
 * is what the team may look at while tuning; `heldout` is harder on every knob and uses other
 * moulds (another seed stream), and is run only when asked for explicitly.
 */
export interface MouldRange {
  name: MouldRangeName;
  /** Salt of the seed stream: the same --seed gives other moulds and parts in another range. */
  seedSalt: string;
  /**
   * RMS of the individual part's fine relief (slope of the high-passed height) as a fraction of
   * the RMS of the mould's shared fine relief. The same fraction applies to reflectance.
   */
  individualFraction: number;
  /** Largest rotation of a recapture, degrees (180 = any orientation). */
  maxRotationDeg: number;
  /** Magnification of a recapture against the registration (drawn log-uniformly). */
  scale: Interval;
  /** Shift of the view centre, fraction of the image side. */
  maxShift: number;
  /** Projective terms per image width (slight perspective). */
  maxPerspective: number;
  /** Angle between the registration's and the recapture's light direction, degrees. */
  lightChangeDeg: Interval;
  gain: Interval;
  /** Tone curve exponent (output = input^(1/gamma)). */
  gamma: Interval;
  vignette: Interval;
  /** Defocus blur, Gaussian sigma in capture pixels. */
  defocusPx: Interval;
  /** Motion blur, length of the linear streak in capture pixels. */
  motionPx: Interval;
  /** Sensor read noise standard deviation, grey levels (plus shot noise). */
  noise: Interval;
  /** Chance of a grease smudge, and its strength (share of local contrast it takes away). */
  smudgeChance: number;
  smudgeStrength: Interval;
  /** Chance of an occluder (finger, tape), and the fraction of the image it covers. */
  occlusionChance: number;
  occlusion: Interval;
  /** Chance of JPEG (else PNG), and its quality. */
  jpegChance: number;
  jpegQuality: Interval;
}

/** One mould: everything every part made in it shares. */
export interface MouldSpec {
  name: string;
  index: number;
  seed: number;
  /** Curvature of the cavity, 1/mm (signed; height = curvature * r^2 / 2). */
  curvaturePerMm: number;
  /** Draft: slope of the wall (tan of the draft angle) and its direction, degrees. */
  draftSlope: number;
  draftAzimuthDeg: number;
  /** Logo/edge structure: a raised ring (centre and radius in um from the view centre) and a straight rib. */
  ring: { cx: number; cy: number; radius: number; width: number; height: number };
  rib: { offset: number; angleDeg: number; width: number; height: number };
  /** Polishing scratches: dominant direction (degrees), spread, density per 64 px cell, depth range (um). */
  scratches: { angleDeg: number; spreadDeg: number; perCell: number; depth: Interval; lengthPx: Interval };
  /** Ball-end-mill tool path: centre of the concentric arcs (um from view centre), step-over pitch (px), scallop height (um). */
  toolPath: { cx: number; cy: number; pitchPx: number; height: number };
  /** Spark-erosion (EDM) pits: density per 6 px cell, radius range (px), depth range (um). */
  edm: { perCell: number; radiusPx: Interval; depth: Interval };
  /** Multi-scale fine texture amplitudes (um) at sigma 1, 2.5 and 8 px. */
  texture: [number, number, number];
}

/** One moulded part: a registered part or a never-registered look-alike, both from one mould. */
export interface MouldPart {
  /** `Mxx-Pnnnn` (registered) or `Mxx-Lnnnn` (look-alike). */
  serial: string;
  role: 'registered' | 'lookalike';
  /** Index among the parts of its role in its mould. */
  index: number;
  seed: number;
  mould: MouldSpec;
  individualFraction: number;
}

/** How one image of a moulded part was taken. Angles in degrees, shifts in output pixels. */
export interface MouldCaptureParams {
  /** 0 = the registration capture (fixed pose, controlled light); 1.. = handheld recaptures. */
  index: number;
  seed: number;
  rotationDeg: number;
  scale: number;
  tx: number;
  ty: number;
  perspX: number;
  perspY: number;
  /** Light direction in the part's frame. */
  lightAzimuthDeg: number;
  lightElevationDeg: number;
  /** Angle between this light direction and the registration's. */
  lightChangeDeg: number;
  gain: number;
  gamma: number;
  vignette: number;
  defocusPx: number;
  motionPx: number;
  motionAngleDeg: number;
  noise: number;
  smudge: number;
  occlusion: number;
  format: 'png' | 'jpeg';
  jpegQuality: number;
}

/** Settings of one mould data set (written to mould.json). */
export interface MouldSetConfig {
  seed: number;
  range: MouldRangeName;
  moulds: number;
  partsPerMould: number;
  /** Image side, pixels (default 1024). */
  size: number;
  /** Stated micrometres per pixel of the capture device (default 5). */
  pixelUm: number;
  /** Overrides the range's individual fraction. */
  individualFraction?: number;
  /** Overrides the range's light change of recaptures, degrees [lo, hi] (a development stress set: the light moved further). */
  lightChangeDeg?: Interval;
}
