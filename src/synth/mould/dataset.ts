/**
 * Mould data sets: on disk (`generateMouldSet`: images + manifest.csv + mould.json, rendered over
 * the worker pool) and in memory (`renderMouldSet`, for tests: one mould's parts, recaptures and
 * look-alikes in a few seconds at a small image size).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SynthError, type ProgressListener } from '../../core/index.js';
import { formatCsv, parseCsv } from '../csv.js';
import { runJobs } from '../pool.js';
import type { Mat3 } from '../view.js';
import { checkMouldConfig, DEFAULT_MOULD_PIXEL_UM, lookalikeSlot, makeMould, makeMouldPart, mouldPartSerial, mouldRangeOf } from './catalogue.js';
import { encodeMouldCapture, renderMouldCapture, sampleMouldCapture } from './capture.js';
import type { MouldRenderJob, MouldRenderResult } from './jobs.js';
import type { MouldCaptureParams, MouldPart, MouldRange, MouldRangeName, MouldSetConfig } from './types.js';

export const MOULD_GENERATOR = 'partprint-synth-mould';
export const MOULD_MANIFEST_VERSION = 1;

/** Manifest columns. `serial` is the part's serial, or the look-alike's id (Mxx-Lnnnn). */
export const MOULD_MANIFEST_HEADER = [
  'file', 'serial', 'mould', 'role', 'capture_index', 'pixel_size_um', 'true_pixel_size_um', 'individual_fraction',
  'rotation_deg', 'scale', 'tx_px', 'ty_px', 'persp_x', 'persp_y', 'light_azimuth_deg', 'light_elevation_deg', 'light_change_deg',
  'gain', 'gamma', 'vignette', 'defocus_px', 'motion_px', 'motion_angle_deg', 'noise', 'smudge', 'occlusion', 'format', 'jpeg_quality', 'homography',
];

/** Written beside the manifest: everything needed to make the set again, and its range by name and value. */
export interface MouldSetInfo {
  generator: typeof MOULD_GENERATOR;
  version: number;
  config: MouldSetConfig;
  range: MouldRange;
  recaptures: number;
  lookalikes: number;
  /** Stated pixel size of every capture (the manifest's pixel_size_um); true_pixel_size_um = stated / scale. */
  pixelSizeUm: number;
  fieldOfViewMm: number;
}

export type MouldRole = 'registered' | 'recapture' | 'lookalike';

export interface GenerateMouldSetOptions {
  out: string;
  seed?: number;
  range?: MouldRangeName;
  moulds?: number;
  partsPerMould?: number;
  /** Handheld recaptures per registered part (default 2). */
  recaptures?: number;
  /** Never-registered parts of the same moulds, one handheld capture each (default 0), spread round-robin over the moulds. */
  lookalikes?: number;
  size?: number;
  pixelUm?: number;
  individualFraction?: number;
  /** Overrides the range's light change of recaptures, degrees [lo, hi]. */
  lightChangeDeg?: readonly [number, number];
  workers?: number;
  /** Keep the images an interrupted run already wrote into `out` (default false). */
  resume?: boolean;
  onProgress?: ProgressListener;
}

export interface MouldSetSummary {
  dir: string;
  manifest: string;
  images: number;
  bytes: number;
  seconds: number;
}

function defaultWorkers(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

function configOf(o: Omit<GenerateMouldSetOptions, 'out'>): MouldSetConfig {
  const c: MouldSetConfig = {
    seed: o.seed ?? 1,
    range: o.range ?? 'development',
    moulds: o.moulds ?? 20,
    partsPerMould: o.partsPerMould ?? 50,
    size: o.size ?? 1024,
    pixelUm: o.pixelUm ?? DEFAULT_MOULD_PIXEL_UM,
    ...(o.individualFraction !== undefined ? { individualFraction: o.individualFraction } : {}),
    ...(o.lightChangeDeg !== undefined ? { lightChangeDeg: o.lightChangeDeg } : {}),
  };
  checkMouldConfig(c);
  return c;
}

function checkCount(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new SynthError(`${name} must be an integer 0..${max}, got ${v}`, { code: 'BAD_INPUT' });
}

/** Every capture of the set, grouped by mould (a worker keeps its mould's shared layer between jobs). */
export function mouldSetCaptures(config: MouldSetConfig, recaptures: number, lookalikes: number): Array<{ mould: number; role: MouldPart['role']; index: number; captureIndex: number; kind: MouldRole }> {
  const out: Array<{ mould: number; role: MouldPart['role']; index: number; captureIndex: number; kind: MouldRole }> = [];
  const perMould = Math.ceil(lookalikes / config.moulds);
  for (let m = 0; m < config.moulds; m++) {
    for (let i = 0; i < config.partsPerMould; i++) {
      out.push({ mould: m, role: 'registered', index: i, captureIndex: 0, kind: 'registered' });
      for (let c = 1; c <= recaptures; c++) out.push({ mould: m, role: 'registered', index: i, captureIndex: c, kind: 'recapture' });
    }
    for (let j = 0; j < perMould; j++) {
      const l = j * config.moulds + m;
      if (l >= lookalikes) break;
      const slot = lookalikeSlot(l, config.moulds);
      out.push({ mould: slot.mould, role: 'lookalike', index: slot.index, captureIndex: 1, kind: 'lookalike' });
    }
  }
  return out;
}

const fmt = (v: number) => Number(v.toPrecision(10));

function manifestRow(file: string, kind: MouldRole, mould: string, stated: number, truePx: number, fraction: number, p: MouldCaptureParams, h: Mat3, serial: string): Record<string, string | number> {
  return {
    file, serial, mould, role: kind, capture_index: p.index, pixel_size_um: stated, true_pixel_size_um: truePx, individual_fraction: fraction,
    rotation_deg: p.rotationDeg, scale: p.scale, tx_px: p.tx, ty_px: p.ty, persp_x: p.perspX, persp_y: p.perspY,
    light_azimuth_deg: p.lightAzimuthDeg, light_elevation_deg: p.lightElevationDeg, light_change_deg: p.lightChangeDeg,
    gain: p.gain, gamma: p.gamma, vignette: p.vignette, defocus_px: p.defocusPx, motion_px: p.motionPx, motion_angle_deg: p.motionAngleDeg,
    noise: p.noise, smudge: p.smudge, occlusion: p.occlusion, format: p.format, jpeg_quality: p.jpegQuality, homography: h.map(fmt).join(' '),
  };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/**
 * Writes a mould set: `images/registered/Mxx-Pnnnn.png` (registration captures),
 * `images/recaptures/Mxx-Pnnnn-cK.{png,jpg}`, `images/lookalikes/Mxx-Lnnnn-c1.{png,jpg}`,
 * `manifest.csv` (MOULD_MANIFEST_HEADER; `homography` = 3x3 row-major map from the image's pixels
 * to the registered image's pixels; a look-alike's maps to its mould's registration frame, which
 * all parts of a mould share) and `mould.json` (config and the range's values).
 *
 * @example await generateMouldSet({ out: 'data/mould', moulds: 20, partsPerMould: 50, recaptures: 2, lookalikes: 1000 })
 */
export async function generateMouldSet(o: GenerateMouldSetOptions): Promise<MouldSetSummary> {
  const started = Date.now();
  const config = configOf(o);
  const recaptures = o.recaptures ?? 2;
  const lookalikes = o.lookalikes ?? 0;
  checkCount('recaptures', recaptures, 100);
  checkCount('lookalikes', lookalikes, config.moulds * 9999);
  const range = mouldRangeOf(config);
  const out = path.resolve(o.out);
  await mkdir(path.join(out, 'images'), { recursive: true });
  const caps = mouldSetCaptures(config, recaptures, lookalikes);
  const jobs: MouldRenderJob[] = caps.map((c) => {
    const serial = mouldPartSerial(c.mould, c.role, c.index);
    const name = c.kind === 'registered' ? `registered/${serial}.png` : c.kind === 'recapture' ? `recaptures/${serial}-c${c.captureIndex}.png` : `lookalikes/${serial}-c${c.captureIndex}.png`;
    return { generator: 'mould', config, mould: c.mould, role: c.role, index: c.index, captureIndex: c.captureIndex, file: path.join(out, 'images', name), resume: o.resume === true };
  });
  const results: MouldRenderResult[] = await runJobs(jobs, { workers: o.workers ?? defaultWorkers(), onProgress: o.onProgress, phase: 'mould' });
  const fraction = config.individualFraction ?? range.individualFraction;
  const rows = results.map((r, i) => manifestRow(path.relative(out, r.file).split(path.sep).join('/'), caps[i].kind, makeMould(config, caps[i].mould).name, config.pixelUm, r.truePixelUm, fraction, r.params, r.toRegistered, r.serial));
  const info: MouldSetInfo = { generator: MOULD_GENERATOR, version: MOULD_MANIFEST_VERSION, config, range, recaptures, lookalikes, pixelSizeUm: config.pixelUm, fieldOfViewMm: Number(((config.size * config.pixelUm) / 1000).toFixed(3)) };
  await writeAtomic(path.join(out, 'mould.json'), `${JSON.stringify(info, null, 2)}\n`);
  const manifest = path.join(out, 'manifest.csv');
  await writeAtomic(manifest, formatCsv(MOULD_MANIFEST_HEADER, rows));
  return { dir: out, manifest, images: results.length, bytes: results.reduce((a, r) => a + r.bytes, 0), seconds: (Date.now() - started) / 1000 };
}

/** One row of a mould manifest, typed. */
export interface MouldManifestEntry {
  file: string;
  serial: string;
  mould: string;
  role: MouldRole;
  captureIndex: number;
  pixelSizeUm: number;
  truePixelSizeUm: number;
  homography: Mat3;
  params: Record<string, string>;
}

/** Reads a folder written by generateMouldSet: its description and manifest rows (files as absolute paths). */
export async function readMouldSet(dir: string): Promise<{ info: MouldSetInfo; entries: MouldManifestEntry[] }> {
  const root = path.resolve(dir);
  let info: MouldSetInfo;
  try {
    info = JSON.parse(await readFile(path.join(root, 'mould.json'), 'utf8')) as MouldSetInfo;
  } catch (err) {
    throw new SynthError(`${path.join(root, 'mould.json')}: cannot read (is ${dir} a folder written by "synth mould"?)`, { code: 'NOT_FOUND', cause: err });
  }
  if (info.generator !== MOULD_GENERATOR) throw new SynthError(`${root}/mould.json: not a mould set`, { code: 'BAD_INPUT' });
  const rows = parseCsv(await readFile(path.join(root, 'manifest.csv'), 'utf8'), `${root}/manifest.csv`);
  const entries = rows.map((r) => ({
    file: path.join(root, r.file),
    serial: r.serial,
    mould: r.mould,
    role: r.role as MouldRole,
    captureIndex: Number(r.capture_index),
    pixelSizeUm: Number(r.pixel_size_um),
    truePixelSizeUm: Number(r.true_pixel_size_um),
    homography: r.homography.split(' ').map(Number) as Mat3,
    params: r,
  }));
  return { info, entries };
}

export interface InMemoryCapture {
  serial: string;
  mould: string;
  role: MouldRole;
  captureIndex: number;
  params: MouldCaptureParams;
  width: number;
  height: number;
  pixels: Uint8Array;
  /** The encoded file (PNG or JPEG as the capture says) when `encode` was asked for. */
  bytes?: Buffer;
  toRegistered: Mat3;
  truePixelUm: number;
}

export interface RenderMouldSetOptions {
  seed?: number;
  range?: MouldRangeName;
  /** Moulds (default 1). */
  moulds?: number;
  partsPerMould?: number;
  recaptures?: number;
  /** Look-alikes per mould (default 1). */
  lookalikesPerMould?: number;
  /** Image side (default 384: fast, a 1.9 mm field at 5 um/px). */
  size?: number;
  pixelUm?: number;
  individualFraction?: number;
  /** Overrides the range's light change of recaptures, degrees [lo, hi]. */
  lightChangeDeg?: readonly [number, number];
  /** Also encode each capture as its file would be (PNG/JPEG). */
  encode?: boolean;
}

/**
 * Renders a small mould set in this thread, in memory: for tests such as "a look-alike that
 * shares the mould pattern is rejected".
 *
 * @example const set = await renderMouldSet({ partsPerMould: 4, recaptures: 1, lookalikesPerMould: 2, encode: true });
 */
export async function renderMouldSet(o: RenderMouldSetOptions = {}): Promise<{ config: MouldSetConfig; captures: InMemoryCapture[] }> {
  const config = configOf({ seed: o.seed, range: o.range, moulds: o.moulds ?? 1, partsPerMould: o.partsPerMould ?? 4, size: o.size ?? 384, pixelUm: o.pixelUm, individualFraction: o.individualFraction, lightChangeDeg: o.lightChangeDeg });
  const range = mouldRangeOf(config);
  const perMould = o.lookalikesPerMould ?? 1;
  const caps = mouldSetCaptures(config, o.recaptures ?? 1, perMould * config.moulds);
  const out: InMemoryCapture[] = [];
  for (const c of caps) {
    const part = makeMouldPart(config, c.mould, c.role, c.index);
    const params = sampleMouldCapture(part, c.captureIndex, range, config.size);
    const cap = renderMouldCapture(part, params, config);
    const bytes = o.encode ? await encodeMouldCapture(cap.pixels, cap.width, cap.height, params.format, params.jpegQuality) : undefined;
    out.push({ serial: part.serial, mould: part.mould.name, role: c.kind, captureIndex: c.captureIndex, params, width: cap.width, height: cap.height, pixels: cap.pixels, bytes, toRegistered: cap.toRegistered, truePixelUm: cap.truePixelUm });
  }
  return { config, captures: out };
}
