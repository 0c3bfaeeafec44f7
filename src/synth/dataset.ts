/**
 * Data sets on disk: `generateParts` (registered captures + manifest.csv in the Parts CSV format)
 * and `generateRecaptures` (new captures of those parts and of unregistered look-alikes).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SynthError, type ProgressListener } from '../core/index.js';
import { checkConfig, DEFAULT_CONFIG, parseSerial, partAttributes } from './catalogue.js';
import { formatCsv, parseCsv } from './csv.js';
import { partFor, type RenderJob, type RenderResult } from './jobs.js';
import { runJobs } from './pool.js';
import { NATIVE_PIXEL_UM, type PartSpec, type SynthConfig, type ViewSpec } from './types.js';
import { isWholePartView } from './view.js';

export const SYNTH_MANIFEST_VERSION = 1;

/** Written beside every manifest: everything needed to regenerate any part of the set. */
export interface SynthInfo {
  generator: 'partprint-synth';
  version: number;
  config: SynthConfig;
  view: ViewSpec & { fieldOfViewMm: number; wholePart: boolean };
  parts: number;
}

export interface GeneratePartsOptions extends Partial<SynthConfig> {
  out: string;
  /** Image side in pixels (default 1024). */
  size?: number;
  /** Micrometres per pixel (default 5.3, the reference scanner). */
  pixelUm?: number;
  /** Worker threads (default: one per core). */
  workers?: number;
  onProgress?: ProgressListener;
}

export interface GenerateSummary {
  dir: string;
  manifest: string;
  images: number;
  bytes: number;
  seconds: number;
}

export const PARTS_HEADER = ['serial', 'part_number', 'image', 'face', 'device', 'pixel_size_um', 'lighting', 'operator', 'captured_at', 'process', 'machine', 'material', 'build', 'tray_position', 'design', 'serial_region'];

export const RECAPTURE_HEADER = [
  'file', 'serial', 'registered', 'face', 'device', 'pixel_size_um', 'lighting', 'operator', 'captured_at',
  'process', 'machine', 'material', 'build', 'tray_position', 'design', 'capture_index',
  'rotation_deg', 'scale', 'tx_px', 'ty_px', 'persp_x', 'persp_y', 'light_azimuth_deg', 'light_elevation_deg',
  'gain', 'vignette', 'blur_px', 'noise', 'format', 'jpeg_quality', 'dust', 'occlusion', 'serial_region', 'homography',
];

function defaultWorkers(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

function checkView(size: number, pixelUm: number): void {
  if (!Number.isInteger(size) || size < 64 || size > 8192 || size % 2 !== 0) throw new SynthError(`size must be an even integer 64..8192, got ${size}`, { code: 'BAD_INPUT' });
  if (!(pixelUm >= 1 && pixelUm <= 200)) throw new SynthError(`pixel size must be 1..200 micrometres, got ${pixelUm}`, { code: 'BAD_INPUT' });
}

function capturedAt(part: PartSpec, captureIndex: number): string {
  const day = Date.UTC(2025, 2, 1) + (part.buildIndex % 1000) * 86_400_000 * 3 + (captureIndex > 0 ? (30 + captureIndex) * 86_400_000 : 0);
  return new Date(day + ((part.trayRow * 60 + part.trayCol) % 1440) * 60_000).toISOString().replace('.000Z', 'Z');
}

function lighting(r: RenderResult): string {
  return `az=${r.params.lightAzimuthDeg};el=${r.params.lightElevationDeg};gain=${r.params.gain}`;
}

function partColumns(part: PartSpec, r: RenderResult): Record<string, string | number> {
  return {
    face: 'A',
    device: 'synth-flatbed',
    pixel_size_um: r.pixelSizeUm,
    lighting: lighting(r),
    operator: 'synth',
    ...partAttributes(part),
    serial_region: r.serialBox ? r.serialBox.join(' ') : '',
  };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/**
 * Generates `machines x partsPerMachine` parts: one registered capture each (PNG) under
 * `out/images/`, `out/manifest.csv` (Parts CSV: serial, part_number, image, capture metadata,
 * attributes process, machine, material, build, tray_position, design, serial_region) and
 * `out/synth.json`.
 *
 * @example await generateParts({ out: 'data/synth', machines: 3, partsPerMachine: 4, size: 512 })
 */
export async function generateParts(o: GeneratePartsOptions): Promise<GenerateSummary> {
  const started = Date.now();
  const config: SynthConfig = {
    seed: o.seed ?? DEFAULT_CONFIG.seed,
    strength: o.strength ?? DEFAULT_CONFIG.strength,
    processes: o.processes ?? DEFAULT_CONFIG.processes,
    machines: o.machines ?? DEFAULT_CONFIG.machines,
    partsPerMachine: o.partsPerMachine ?? DEFAULT_CONFIG.partsPerMachine,
  };
  checkConfig(config);
  const view: ViewSpec = { size: o.size ?? 1024, pixelUm: o.pixelUm ?? NATIVE_PIXEL_UM };
  checkView(view.size, view.pixelUm);
  const out = path.resolve(o.out);
  await mkdir(path.join(out, 'images'), { recursive: true });
  const total = config.machines * config.partsPerMachine;
  const jobs: RenderJob[] = [];
  for (let i = 0; i < total; i++) {
    const serial = `P${String(i + 1).padStart(6, '0')}`;
    jobs.push({ config, view, kind: 'part', index: i, captureIndex: 0, file: path.join(out, 'images', `${serial}.png`) });
  }
  const results = await runJobs(jobs, { workers: o.workers ?? defaultWorkers(), onProgress: o.onProgress, phase: 'parts' });
  const rows = results.map((r, i) => {
    const part = partFor(jobs[i]);
    return { serial: part.serial, part_number: part.design, image: path.relative(out, r.file).split(path.sep).join('/'), captured_at: capturedAt(part, 0), ...partColumns(part, r) };
  });
  await writeInfo(out, config, view, total);
  const manifest = path.join(out, 'manifest.csv');
  await writeAtomic(manifest, formatCsv(PARTS_HEADER, rows));
  return { dir: out, manifest, images: results.length, bytes: results.reduce((a, r) => a + r.bytes, 0), seconds: (Date.now() - started) / 1000 };
}

async function writeInfo(out: string, config: SynthConfig, view: ViewSpec, parts: number): Promise<void> {
  const info: SynthInfo = {
    generator: 'partprint-synth',
    version: SYNTH_MANIFEST_VERSION,
    config,
    view: { ...view, fieldOfViewMm: Number(((view.size * view.pixelUm) / 1000).toFixed(3)), wholePart: isWholePartView(view.size, view.pixelUm) },
    parts,
  };
  await writeAtomic(path.join(out, 'synth.json'), `${JSON.stringify(info, null, 2)}\n`);
}

/** Reads `dir/synth.json`, failing with a clear message when it is missing or not ours. */
export async function readSynthInfo(dir: string): Promise<SynthInfo> {
  const file = path.join(path.resolve(dir), 'synth.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SynthError(`${file}: cannot read (is ${dir} a folder written by "synth parts"?)`, { code: 'NOT_FOUND', cause: err });
  }
  let info: SynthInfo;
  try {
    info = JSON.parse(text) as SynthInfo;
  } catch (err) {
    throw new SynthError(`${file}: not valid JSON`, { code: 'BAD_INPUT', cause: err });
  }
  if (info.generator !== 'partprint-synth' || !info.config || !info.view) throw new SynthError(`${file}: not a partprint synth description`, { code: 'BAD_INPUT' });
  if (info.version > SYNTH_MANIFEST_VERSION) throw new SynthError(`${file}: version ${info.version} is newer than this partprint (${SYNTH_MANIFEST_VERSION})`, { code: 'CONFLICT' });
  return info;
}

export interface GenerateRecapturesOptions {
  /** Folder written by generateParts. */
  from: string;
  out: string;
  /** New captures per registered part (default 3). */
  captures?: number;
  /** Unregistered look-alikes (default 0). */
  lookalikes?: number;
  /** Captures per look-alike (default 1). */
  lookalikeCaptures?: number;
  /** Only the first N registered parts (default all). */
  limit?: number;
  /** Largest rotation, degrees (default 180). */
  maxRotationDeg?: number;
  workers?: number;
  onProgress?: ProgressListener;
}

/**
 * New captures (pose, light, blur, noise, JPEG, dust, occlusion) of the parts in `from`, and of
 * look-alikes: new individuals of the same machines (serials L000001...), not in `from`. Writes
 * `out/manifest.csv` (file, serial, registered, capture parameters, `homography` = 3x3 row-major
 * map from this image's pixels to the registered image's pixels) and `out/synth.json`.
 *
 * @example await generateRecaptures({ from: 'data/synth', out: 'data/recap', captures: 3, lookalikes: 100 })
 */
export async function generateRecaptures(o: GenerateRecapturesOptions): Promise<GenerateSummary> {
  const started = Date.now();
  const info = await readSynthInfo(o.from);
  const from = path.resolve(o.from);
  const manifestText = await readFile(path.join(from, 'manifest.csv'), 'utf8').catch((err: unknown) => {
    throw new SynthError(`${path.join(from, 'manifest.csv')}: cannot read`, { code: 'NOT_FOUND', cause: err });
  });
  const captures = o.captures ?? 3;
  const lookalikes = o.lookalikes ?? 0;
  const lookCaps = o.lookalikeCaptures ?? 1;
  for (const [name, v] of [['captures', captures], ['lookalikes', lookalikes], ['lookalike captures', lookCaps]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 1_000_000) throw new SynthError(`${name} must be a non-negative integer, got ${v}`, { code: 'BAD_INPUT' });
  }
  let serials = parseCsv(manifestText).map((r) => r.serial);
  if (o.limit !== undefined) serials = serials.slice(0, o.limit);
  const out = path.resolve(o.out);
  await mkdir(path.join(out, 'images'), { recursive: true });
  const jobs: RenderJob[] = [];
  for (const serial of serials) {
    const parsed = parseSerial(serial);
    if (!parsed || parsed.lookalike || parsed.index >= info.parts) throw new SynthError(`${from}/manifest.csv: serial "${serial}" was not made by synth parts`, { code: 'BAD_INPUT' });
    for (let c = 1; c <= captures; c++) {
      jobs.push({ config: info.config, view: info.view, kind: 'part', index: parsed.index, captureIndex: c, file: path.join(out, 'images', `${serial}-c${c}.png`), maxRotationDeg: o.maxRotationDeg });
    }
  }
  for (let l = 0; l < lookalikes; l++) {
    for (let c = 1; c <= lookCaps; c++) {
      const serial = `L${String(l + 1).padStart(6, '0')}`;
      jobs.push({ config: info.config, view: info.view, kind: 'lookalike', index: l, captureIndex: c, file: path.join(out, 'images', `${serial}-c${c}.png`), maxRotationDeg: o.maxRotationDeg });
    }
  }
  const results = await runJobs(jobs, { workers: o.workers ?? defaultWorkers(), onProgress: o.onProgress, phase: 'recaptures' });
  const rows = results.map((r, i) => {
    const part = partFor(jobs[i]);
    const p = r.params;
    return {
      file: path.relative(out, r.file).split(path.sep).join('/'),
      serial: part.serial,
      registered: jobs[i].kind === 'part' ? 'true' : 'false',
      captured_at: capturedAt(part, p.index),
      ...partColumns(part, r),
      capture_index: p.index,
      rotation_deg: p.rotationDeg,
      scale: p.scale,
      tx_px: Number(((p.tx * info.view.size) / 1000).toFixed(2)),
      ty_px: Number(((p.ty * info.view.size) / 1000).toFixed(2)),
      persp_x: p.perspX,
      persp_y: p.perspY,
      light_azimuth_deg: p.lightAzimuthDeg,
      light_elevation_deg: p.lightElevationDeg,
      gain: p.gain,
      vignette: p.vignette,
      blur_px: p.blurPx,
      noise: p.noise,
      format: p.format,
      jpeg_quality: p.jpegQuality,
      dust: p.dust,
      occlusion: p.occlusion,
      homography: r.toRegistered.map((v) => Number(v.toPrecision(10))).join(' '),
    };
  });
  await writeInfo(out, info.config, info.view, info.parts);
  const manifest = path.join(out, 'manifest.csv');
  await writeAtomic(manifest, formatCsv(RECAPTURE_HEADER, rows));
  return { dir: out, manifest, images: results.length, bytes: results.reduce((a, r) => a + r.bytes, 0), seconds: (Date.now() - started) / 1000 };
}
