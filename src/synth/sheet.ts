/**
 * Scanner sheets: a flatbed batch of parts (21 by default) at random positions and angles on the
 * scanner's dark lid, with a manifest of which serial lies where.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRng, deriveSeed, SynthError, type ProgressListener } from '../core/index.js';
import { applyCameraEffects, encodeCapture } from './capture.js';
import { DEFAULT_CONFIG, parseSerial, partAttributes } from './catalogue.js';
import { formatCsv, parseCsv } from './csv.js';
import { readSynthInfo } from './dataset.js';
import { PART_SIZE_MM, serialBoxMm } from './geometry.js';
import { partFor } from './jobs.js';
import { smoothNoise } from './noise.js';
import { BACKGROUND_REFLECTANCE } from './surface.js';
import type { CaptureParams, SynthConfig } from './types.js';
import { renderView, type Mat3 } from './view.js';

export interface GenerateSheetsOptions {
  out: string;
  /** A "synth parts" folder whose parts are laid out (in manifest order); otherwise new parts. */
  from?: string;
  sheets?: number;
  partsPerSheet?: number;
  /** Micrometres per pixel of the scan (default 42.3, i.e. 600 dpi). */
  pixelUm?: number;
  widthMm?: number;
  heightMm?: number;
  seed?: number;
  onProgress?: ProgressListener;
}

export const SHEET_HEADER = ['sheet', 'serial', 'x0', 'y0', 'x1', 'y1', 'centre_x', 'centre_y', 'rotation_deg', 'process', 'machine', 'material', 'build', 'tray_position', 'design', 'serial_region'];

interface Placement {
  cx: number;
  cy: number;
  theta: number;
}

/** Corners of the part's outline rectangle (with a margin) placed on the sheet, mm. */
function corners(p: Placement, margin: number): Array<[number, number]> {
  const hw = PART_SIZE_MM[0] / 2 + margin;
  const hh = PART_SIZE_MM[1] / 2 + margin;
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  return [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].map(([x, y]) => [p.cx + c * x - s * y, p.cy + s * x + c * y] as [number, number]);
}

/** Separating-axis test for two convex quadrilaterals. */
function overlaps(a: Array<[number, number]>, b: Array<[number, number]>): boolean {
  for (const poly of [a, b]) {
    for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i];
      const [x2, y2] = poly[(i + 1) % 4];
      const nx = y1 - y2;
      const ny = x2 - x1;
      const pa = a.map(([x, y]) => x * nx + y * ny);
      const pb = b.map(([x, y]) => x * nx + y * ny);
      if (Math.max(...pa) < Math.min(...pb) || Math.max(...pb) < Math.min(...pa)) return false;
    }
  }
  return true;
}

/** Random non-overlapping placements, or an error when the sheet is too small. */
export function placeParts(n: number, widthMm: number, heightMm: number, seed: number): Placement[] {
  const rng = createRng(seed);
  const r = Math.hypot(PART_SIZE_MM[0], PART_SIZE_MM[1]) / 2 + 1;
  const placed: Placement[] = [];
  const shapes: Array<Array<[number, number]>> = [];
  for (let k = 0; k < n; k++) {
    let ok = false;
    for (let attempt = 0; attempt < 5000 && !ok; attempt++) {
      const p = { cx: rng.uniform(r, widthMm - r), cy: rng.uniform(r, heightMm - r), theta: rng.uniform(-Math.PI, Math.PI) };
      const shape = corners(p, 1.5);
      if (shapes.some((s) => overlaps(s, shape))) continue;
      placed.push(p);
      shapes.push(shape);
      ok = true;
    }
    if (!ok) throw new SynthError(`cannot place ${n} parts without overlap on a ${widthMm} x ${heightMm} mm sheet; use a larger sheet or fewer parts`, { code: 'BAD_INPUT' });
  }
  return placed;
}

/**
 * Writes `sheets` scans of `partsPerSheet` parts each under `out/sheets/`, and `out/manifest.csv`
 * (sheet, serial, bounding box and centre in pixels, rotation, attributes, serial_region).
 *
 * @example await generateSheets({ out: 'data/sheets', sheets: 2 })
 */
export async function generateSheets(o: GenerateSheetsOptions): Promise<{ dir: string; manifest: string; sheets: number; parts: number }> {
  const sheets = o.sheets ?? 1;
  const perSheet = o.partsPerSheet ?? 21;
  const p = o.pixelUm ?? 42.3;
  const widthMm = o.widthMm ?? 297;
  const heightMm = o.heightMm ?? 216;
  if (!Number.isInteger(sheets) || sheets < 1 || sheets > 10_000) throw new SynthError(`sheets must be an integer 1..10000, got ${sheets}`, { code: 'BAD_INPUT' });
  if (!Number.isInteger(perSheet) || perSheet < 1 || perSheet > 500) throw new SynthError(`parts per sheet must be 1..500, got ${perSheet}`, { code: 'BAD_INPUT' });
  if (!(p >= 10 && p <= 200)) throw new SynthError(`sheet pixel size must be 10..200 micrometres, got ${p}`, { code: 'BAD_INPUT' });
  const W = Math.round((widthMm * 1000) / p);
  const H = Math.round((heightMm * 1000) / p);
  if (!(W >= 64 && H >= 64 && W * H <= 200e6)) throw new SynthError(`sheet of ${W} x ${H} pixels is out of range`, { code: 'BAD_INPUT' });

  let config: SynthConfig;
  let serials: string[];
  if (o.from) {
    const info = await readSynthInfo(o.from);
    config = info.config;
    serials = parseCsv(await readFile(path.join(path.resolve(o.from), 'manifest.csv'), 'utf8')).map((r) => r.serial);
    if (serials.length < sheets * perSheet) throw new SynthError(`${o.from} has ${serials.length} parts, fewer than ${sheets} x ${perSheet}`, { code: 'BAD_INPUT' });
  } else {
    config = { ...DEFAULT_CONFIG, seed: o.seed ?? DEFAULT_CONFIG.seed, partsPerMachine: Math.ceil((sheets * perSheet) / DEFAULT_CONFIG.machines) };
    serials = Array.from({ length: config.machines * config.partsPerMachine }, (_, i) => `P${String(i + 1).padStart(6, '0')}`);
  }
  const out = path.resolve(o.out);
  await mkdir(path.join(out, 'sheets'), { recursive: true });
  const k = p / 1000;
  const rows: Array<Record<string, string | number>> = [];
  const total = sheets * perSheet;
  let done = 0;
  o.onProgress?.({ phase: 'sheets', done, total });
  for (let s = 0; s < sheets; s++) {
    const sheetSeed = deriveSeed(config.seed, 'sheet', s);
    const placements = placeParts(perSheet, widthMm, heightMm, sheetSeed);
    const radiance = new Float32Array(W * H);
    smoothNoise(deriveSeed(sheetSeed, 'lid'), { x0: 0, y0: 0, w: W, h: H }, 30, 30, radiance, 0.08 * BACKGROUND_REFLECTANCE);
    for (let i = 0; i < radiance.length; i++) radiance[i] += BACKGROUND_REFLECTANCE;
    const name = `sheet-${String(s + 1).padStart(3, '0')}.png`;
    for (let j = 0; j < perSheet; j++) {
      const serial = serials[s * perSheet + j];
      const parsed = parseSerial(serial);
      if (!parsed || parsed.lookalike) throw new SynthError(`serial "${serial}" was not made by synth parts`, { code: 'BAD_INPUT' });
      const part = partFor({ config, kind: 'part', index: parsed.index });
      const pl = placements[j];
      const box = corners(pl, 0.3).map(([x, y]) => [x / k - 0.5, y / k - 0.5]);
      const bx0 = Math.max(0, Math.floor(Math.min(...box.map((q) => q[0]))));
      const by0 = Math.max(0, Math.floor(Math.min(...box.map((q) => q[1]))));
      const bx1 = Math.min(W, Math.ceil(Math.max(...box.map((q) => q[0]))) + 1);
      const by1 = Math.min(H, Math.ceil(Math.max(...box.map((q) => q[1]))) + 1);
      const c = Math.cos(pl.theta);
      const si = Math.sin(pl.theta);
      const ax = bx0 + 0.5 - pl.cx / k;
      const ay = by0 + 0.5 - pl.cy / k;
      const toLattice: Mat3 = [c, si, c * ax + si * ay + PART_SIZE_MM[0] / 2 / k - 0.5, -si, c, -si * ax + c * ay + PART_SIZE_MM[1] / 2 / k - 0.5, 0, 0, 1];
      const v = renderView(part, toLattice, bx1 - bx0, by1 - by0, p, { azimuthDeg: 135 - (pl.theta * 180) / Math.PI, elevationDeg: 50 }, deriveSeed(sheetSeed, 'bg', j));
      for (let y = 0; y < v.height; y++) {
        for (let x = 0; x < v.width; x++) {
          const m = v.mask[y * v.width + x];
          if (m <= 0) continue;
          const i = (by0 + y) * W + bx0 + x;
          radiance[i] = m * v.radiance[y * v.width + x] + (1 - m) * radiance[i];
        }
      }
      const sb = serialBoxMm(part.design);
      const sc = [[sb[0], sb[1]], [sb[2], sb[1]], [sb[2], sb[3]], [sb[0], sb[3]]].map(([x, y]) => {
        const dx = x - PART_SIZE_MM[0] / 2;
        const dy = y - PART_SIZE_MM[1] / 2;
        return [(pl.cx + c * dx - si * dy) / k - 0.5, (pl.cy + si * dx + c * dy) / k - 0.5];
      });
      rows.push({
        sheet: `sheets/${name}`,
        serial,
        x0: bx0, y0: by0, x1: bx1, y1: by1,
        centre_x: Number((pl.cx / k - 0.5).toFixed(1)),
        centre_y: Number((pl.cy / k - 0.5).toFixed(1)),
        rotation_deg: Number(((pl.theta * 180) / Math.PI).toFixed(2)),
        ...partAttributes(part),
        serial_region: [Math.min(...sc.map((q) => q[0])), Math.min(...sc.map((q) => q[1])), Math.max(...sc.map((q) => q[0])), Math.max(...sc.map((q) => q[1]))].map((q, qi) => (qi < 2 ? Math.floor(q) : Math.ceil(q))).join(' '),
      });
      o.onProgress?.({ phase: 'sheets', done: ++done, total, detail: serial });
    }
    const camera: CaptureParams = {
      index: 0, seed: deriveSeed(sheetSeed, 'camera'), rotationDeg: 0, scale: 1, tx: 0, ty: 0, perspX: 0, perspY: 0,
      lightAzimuthDeg: 135, lightElevationDeg: 50, gain: 1, vignette: 0.03, blurPx: 0.5, noise: 1.5, format: 'png', jpegQuality: 0, dust: 12, occlusion: 0,
    };
    const pixels = applyCameraEffects(radiance, W, H, camera);
    await writeFile(path.join(out, 'sheets', name), await encodeCapture(pixels, W, H, 'png', 0));
  }
  const manifest = path.join(out, 'manifest.csv');
  await writeFile(`${manifest}.tmp`, formatCsv(SHEET_HEADER, rows));
  await rename(`${manifest}.tmp`, manifest);
  await writeFile(path.join(out, 'synth.json'), `${JSON.stringify({ generator: 'partprint-synth', kind: 'sheets', config, pixelUm: p, widthMm, heightMm, sheets, partsPerSheet: perSheet }, null, 2)}\n`);
  return { dir: out, manifest, sheets, parts: rows.length };
}
