import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../../test/helpers/cli.js';
import { parseCsv } from '../csv.js';
import { applyMat3, invertMat3, type Mat3 } from '../view.js';
import { makeMouldPart, MOULD_RANGES } from './catalogue.js';
import { encodeMouldCapture, lightAngleDeg, mouldLayer, movedLight, REGISTRATION_LIGHT, renderMouldCapture, sampleMouldCapture } from './capture.js';
import { renderPartSurface, shadeLayer } from './surface.js';
import { highPass } from './filters.js';
import { generateMouldSet, MOULD_MANIFEST_HEADER, readMouldSet, renderMouldSet } from './dataset.js';
import type { MouldCaptureParams, MouldPart } from './types.js';

const SIZE = 320;
const config = { seed: 7, range: 'development' as const, size: SIZE, pixelUm: 5 };

function render(part: MouldPart, params: MouldCaptureParams) {
  return renderMouldCapture(part, params, config);
}

/** The capture resampled into the registered frame (bilinear), NaN outside it. */
function toRegisteredFrame(pixels: Uint8Array, h: Mat3, n: number): Float32Array {
  const inv = invertMat3(h);
  const out = new Float32Array(n * n).fill(NaN);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [u, v] = applyMat3(inv, x, y);
      if (u < 0 || v < 0 || u > n - 2 || v > n - 2) continue;
      const iu = Math.floor(u);
      const iv = Math.floor(v);
      const a = u - iu;
      const b = v - iv;
      const i = iv * n + iu;
      out[y * n + x] = (1 - b) * ((1 - a) * pixels[i] + a * pixels[i + 1]) + b * ((1 - a) * pixels[i + n] + a * pixels[i + n + 1]);
    }
  }
  return out;
}

/** Normalised cross-correlation of two planes after a high-pass (sigma 3 px), over pixels valid in both and away from the border. */
function hpNcc(a: Float32Array | Uint8Array, b: Float32Array | Uint8Array, n: number): number {
  const fill = (p: Float32Array | Uint8Array) => {
    const f = Float32Array.from(p);
    let m = 0, k = 0;
    for (const v of f) {
      if (Number.isNaN(v)) continue;
      m += v;
      k++;
    }
    m /= k;
    return { f: f.map((v) => (Number.isNaN(v) ? m : v)), valid: Float32Array.from(p).map((v) => (Number.isNaN(v) ? 0 : 1)) };
  };
  const A = fill(a);
  const B = fill(b);
  const ha = highPass(A.f, n, n, 3);
  const hb = highPass(B.f, n, n, 3);
  let sab = 0, saa = 0, sbb = 0;
  for (let y = 12; y < n - 12; y++) {
    for (let x = 12; x < n - 12; x++) {
      const i = y * n + x;
      if (!A.valid[i] || !B.valid[i]) continue;
      sab += ha[i] * hb[i];
      saa += ha[i] * ha[i];
      sbb += hb[i] * hb[i];
    }
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('mould generator', () => {
  it('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const part = makeMouldPart(config, 0, 'registered', 1);
    const p = sampleMouldCapture(part, 1, MOULD_RANGES.development, SIZE);
    const a = await encodeMouldCapture(render(part, p).pixels, SIZE, SIZE, p.format, p.jpegQuality);
    const b = await encodeMouldCapture(render(makeMouldPart(config, 0, 'registered', 1), sampleMouldCapture(part, 1, MOULD_RANGES.development, SIZE)).pixels, SIZE, SIZE, p.format, p.jpegQuality);
    expect(Buffer.compare(a, b)).toBe(0);
    const other = makeMouldPart({ ...config, seed: 8 }, 0, 'registered', 1);
    const c = render(other, sampleMouldCapture(other, 1, MOULD_RANGES.development, SIZE));
    expect(Buffer.from(c.pixels).equals(Buffer.from(render(part, p).pixels))).toBe(false);
  });

  it('shares the mould pattern at fine scale, and the individual part is a minority that still tells a recapture apart', () => {
    const a = makeMouldPart(config, 0, 'registered', 0);
    const sibling = makeMouldPart(config, 0, 'registered', 1);
    const lookalike = makeMouldPart(config, 0, 'lookalike', 0);
    const stranger = makeMouldPart(config, 1, 'registered', 0);
    const reg = (p: MouldPart) => render(p, sampleMouldCapture(p, 0, MOULD_RANGES.development, SIZE)).pixels;
    const regA = reg(a);
    const regB = reg(sibling);
    const regL = reg(lookalike);
    const regC = reg(stranger);
    // Siblings (and a look-alike) correlate strongly at fine scale; parts of different moulds do not.
    const sib = hpNcc(regA, regB, SIZE);
    const look = hpNcc(regA, regL, SIZE);
    const strange = hpNcc(regA, regC, SIZE);
    expect(sib).toBeGreaterThan(0.6);
    expect(look).toBeGreaterThan(0.6);
    expect(Math.abs(strange)).toBeLessThan(0.1);
    // The individual share of the fine contrast, on noise-free radiance under the registration light:
    // var(A - B) = 2 var(individual) for two siblings.
    const radiance = (p: MouldPart) => {
      const r = { x0: -SIZE / 2 - 1, y0: -SIZE / 2 - 1, w: SIZE + 2, h: SIZE + 2 };
      return shadeLayer(renderPartSurface(p, r, mouldLayer(p.mould, SIZE, 5, MOULD_RANGES.development)), 5, REGISTRATION_LIGHT).data;
    };
    const ra = radiance(a);
    const rb = radiance(sibling);
    const d = highPass(Float32Array.from(ra, (v, i) => v - rb[i]), SIZE, SIZE, 3);
    const s = highPass(ra, SIZE, SIZE, 3);
    const rms = (f: Float32Array) => Math.sqrt(f.reduce((q, v) => q + v * v, 0) / f.length);
    const individual = rms(d) / Math.SQRT2;
    const ratio = individual / Math.sqrt(Math.max(1e-12, rms(s) ** 2 - individual ** 2));
    expect(ratio).toBeGreaterThan(0.2);
    expect(ratio).toBeLessThan(0.45);
    // Recaptures of A, aligned with their homography, correlate more with A's registration than with its sibling's.
    let checked = 0;
    for (let k = 1; k <= 16 && checked < 2; k++) {
      const params = sampleMouldCapture(a, k, MOULD_RANGES.development, SIZE);
      if (params.occlusion > 0 || params.smudge > 0) continue;
      const cap = render(a, params);
      const aligned = toRegisteredFrame(cap.pixels, cap.toRegistered, SIZE);
      const own = hpNcc(aligned, regA, SIZE);
      const other = hpNcc(aligned, regB, SIZE);
      expect(own).toBeGreaterThan(0.3);
      expect(own - other).toBeGreaterThan(0.02);
      expect(other).toBeGreaterThan(hpNcc(aligned, regC, SIZE) + 0.2);
      checked++;
    }
    expect(checked).toBe(2);
  });

  it('changes the shading with the light direction, by the angle it records', () => {
    const a = makeMouldPart(config, 0, 'registered', 0);
    const base = sampleMouldCapture(a, 0, MOULD_RANGES.development, SIZE);
    const l = movedLight(30, 90);
    expect(lightAngleDeg(l, REGISTRATION_LIGHT)).toBeCloseTo(30, 6);
    const lit = render(a, { ...base, lightAzimuthDeg: l.azimuthDeg, lightElevationDeg: l.elevationDeg, lightChangeDeg: 30 }).pixels;
    const ncc = hpNcc(render(a, base).pixels, lit, SIZE);
    expect(ncc).toBeLessThan(0.95);
    expect(ncc).toBeGreaterThan(0.3);
    for (let k = 1; k < 20; k++) {
      const p = sampleMouldCapture(a, k, MOULD_RANGES.development, SIZE);
      expect(lightAngleDeg({ azimuthDeg: p.lightAzimuthDeg, elevationDeg: p.lightElevationDeg }, REGISTRATION_LIGHT)).toBeCloseTo(p.lightChangeDeg, 0);
      expect(p.lightChangeDeg).toBeLessThanOrEqual(30);
    }
  });

  it('makes the held-out range harder than development on every knob', () => {
    const d = MOULD_RANGES.development;
    const h = MOULD_RANGES.heldout;
    expect(h.individualFraction).toBeLessThan(d.individualFraction);
    expect(h.seedSalt).not.toBe(d.seedSalt);
    expect(h.scale[0]).toBeLessThanOrEqual(d.scale[0]);
    expect(h.scale[1]).toBeGreaterThanOrEqual(d.scale[1]);
    for (const k of ['lightChangeDeg', 'defocusPx', 'motionPx', 'noise', 'smudgeStrength', 'occlusion', 'vignette'] as const) expect(h[k][1]).toBeGreaterThan(d[k][1]);
    for (const k of ['smudgeChance', 'occlusionChance', 'jpegChance', 'maxPerspective', 'maxShift'] as const) expect(h[k]).toBeGreaterThan(d[k]);
    expect(h.jpegQuality[0]).toBeLessThan(d.jpegQuality[0]);
    expect(h.gamma[1] - h.gamma[0]).toBeGreaterThan(d.gamma[1] - d.gamma[0]);
    // Other moulds: the same seed gives another mould in the held-out range.
    expect(makeMouldPart({ seed: 1, range: 'heldout' }, 0, 'registered', 0).mould.seed).not.toBe(makeMouldPart({ seed: 1, range: 'development' }, 0, 'registered', 0).mould.seed);
  });

  it('renders a small set in memory, look-alikes from the same moulds as registered parts', async () => {
    const set = await renderMouldSet({ seed: 3, moulds: 2, partsPerMould: 2, recaptures: 1, lookalikesPerMould: 1, size: 128, encode: true });
    const roles = set.captures.map((c) => c.role);
    expect(roles.filter((r) => r === 'registered')).toHaveLength(4);
    expect(roles.filter((r) => r === 'recapture')).toHaveLength(4);
    const looks = set.captures.filter((c) => c.role === 'lookalike');
    expect(looks.map((c) => c.mould).sort()).toEqual(['M01', 'M02']);
    for (const c of set.captures) expect(c.bytes!.length).toBeGreaterThan(1000);
  });

  it('resumes an interrupted set: images already written are kept, missing ones rendered, the manifest is the same', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-mould-resume-'));
    try {
      const o = { out: dir, seed: 4, moulds: 1, partsPerMould: 2, recaptures: 1, lookalikes: 1, size: 96, workers: 1 };
      await generateMouldSet(o);
      const first = await readFile(path.join(dir, 'manifest.csv'), 'utf8');
      const victim = path.join(dir, parseCsv(first)[1].file);
      const bytes = await readFile(victim);
      await rm(victim);
      await generateMouldSet({ ...o, resume: true });
      expect(await readFile(path.join(dir, 'manifest.csv'), 'utf8')).toBe(first);
      expect(Buffer.compare(await readFile(victim), bytes)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('CLI "synth mould" writes images, manifest.csv and mould.json with the range', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-mould-cli-'));
    try {
      const r = await runCliCaptured('synth', 'mould', '--moulds', '2', '--parts-per-mould', '2', '--recaptures', '1', '--lookalikes', '3', '--range', 'heldout', '--size', '96', '--seed', '5', '--out', dir);
      expect(r.code).toBe(0);
      const rows = parseCsv(await readFile(path.join(dir, 'manifest.csv'), 'utf8'));
      expect(Object.keys(rows[0])).toEqual(MOULD_MANIFEST_HEADER);
      expect(rows.filter((x) => x.role === 'registered')).toHaveLength(4);
      expect(rows.filter((x) => x.role === 'recapture')).toHaveLength(4);
      expect(rows.filter((x) => x.role === 'lookalike')).toHaveLength(3);
      for (const x of rows) {
        expect(x.pixel_size_um).toBe('5');
        expect(x.homography.split(' ').map(Number)).toHaveLength(9);
      }
      const set = await readMouldSet(dir);
      expect(set.info.range.name).toBe('heldout');
      expect(set.info.config.range).toBe('heldout');
      expect(set.entries[0].homography).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      const bad = await runCliCaptured('synth', 'mould', '--range', 'easy', '--out', dir);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/unknown range "easy"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('CLI "synth mould --light-change" moves every recapture\'s light by that much (a development stress set) and records it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-mould-stress-'));
    try {
      const r = await runCliCaptured('synth', 'mould', '--moulds', '1', '--parts-per-mould', '3', '--recaptures', '2', '--lookalikes', '2', '--size', '96', '--light-change', '35,45', '--out', dir);
      expect(r.code, r.err).toBe(0);
      const rows = parseCsv(await readFile(path.join(dir, 'manifest.csv'), 'utf8')).filter((x) => x.role !== 'registered');
      expect(rows).toHaveLength(8);
      for (const x of rows) {
        expect(Number(x.light_change_deg)).toBeGreaterThanOrEqual(35);
        expect(Number(x.light_change_deg)).toBeLessThanOrEqual(45);
      }
      const set = await readMouldSet(dir);
      expect(set.info.range.lightChangeDeg).toEqual([35, 45]);
      expect(set.info.config.lightChangeDeg).toEqual([35, 45]);
      const bad = await runCliCaptured('synth', 'mould', '--light-change', '50,20', '--out', dir);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/light change must be LO,HI/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
