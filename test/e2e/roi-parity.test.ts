/**
 * The ROI sampler is specified once (docs/source-spec.md) and implemented twice: TypeScript for
 * inference, Python (trainer/) for training. For the same image, spec and seed both must pick the
 * same ROIs and produce the same tensors (max abs difference < 1e-4).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/index.js';
import { readGreyImage, writeGreyPng, type GreyImage } from '../../src/imaging/index.js';
import { DEFAULT_ROI_SPEC, PYTHON, buildRoiTensor, missingPythonModules, trainerDir, type Normalization, type RoiSpec } from '../../src/source/index.js';

const missing = missingPythonModules(['numpy', 'PIL']);
const required = process.env.PARTPRINT_REQUIRE_ALL === '1';
if (missing.length > 0 && required) {
  throw new Error(`roi-parity: ${PYTHON} lacks ${missing.join(', ')} (PARTPRINT_REQUIRE_ALL=1)`);
}
if (missing.length > 0) console.warn(`roi-parity skipped: ${PYTHON} lacks ${missing.join(', ')} (install python3-numpy python3-pil)`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-roi-parity-'));

/** A textured surface with a dark background margin and a dark hole, so the threshold matters. */
function surface(width: number, height: number, seed: number): GreyImage {
  const rng = createRng(seed);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x > width * 0.2 && x < width * 0.85 && y > height * 0.1 && y < height * 0.9;
      const hole = (x - width * 0.5) ** 2 + (y - height * 0.5) ** 2 < (width * 0.12) ** 2;
      const base = inside && !hole ? 120 + 40 * Math.sin(x / 3.7) * Math.cos(y / 5.1) : 8;
      data[y * width + x] = Math.max(0, Math.min(255, Math.round(base + rng.normal() * 12)));
    }
  }
  return { width, height, data, bitDepth: 8 };
}

function runPython(image: string, card: object, seed: number, k: number, flips: boolean): { data: Float32Array; positions: number[][] } | { error: string } {
  const spec = path.join(tmp, `spec-${seed}.json`);
  const out = path.join(tmp, `out-${seed}.f32`);
  const pos = path.join(tmp, `pos-${seed}.json`);
  writeFileSync(spec, JSON.stringify(card));
  const args = ['-m', 'partprint_trainer.sample_rois', '--image', image, '--spec', spec, '--seed', String(seed), '--k', String(k), '--out', out, '--positions', pos];
  if (flips) args.push('--flips');
  const r = spawnSync(PYTHON, args, { env: { ...process.env, PYTHONPATH: trainerDir() }, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { error: `${r.stderr}${r.stdout}` };
  const buf = readFileSync(out);
  return { data: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), positions: JSON.parse(readFileSync(pos, 'utf8')) as number[][] };
}

const cases: Array<{ name: string; size: [number, number]; roi: Partial<RoiSpec>; norm: Normalization; k: number; flips?: boolean }> = [
  { name: 'upsizing 40 -> 64, downscale 2, dataset statistics', size: [300, 220], roi: { side: 40, outputSize: 64, downscale: 2 }, norm: { mode: 'dataset', mean: 0.4, std: 0.2 }, k: 16 },
  { name: 'downsizing 72 -> 48, per-ROI normalisation', size: [257, 199], roi: { side: 72, outputSize: 48 }, norm: { mode: 'per-roi' }, k: 12 },
  { name: 'same size, strict threshold (halving), downscale 3', size: [420, 390], roi: { side: 56, outputSize: 56, downscale: 3, minMeanFraction: 1.6, rejectHalvingEvery: 3 }, norm: { mode: 'dataset', mean: 0.5, std: 0.25 }, k: 20 },
  { name: 'training flips', size: [200, 200], roi: { side: 32, outputSize: 40 }, norm: { mode: 'per-roi' }, k: 8, flips: true },
];

describe.skipIf(missing.length > 0)('ROI sampler parity, TypeScript vs Python', () => {
  for (const [n, c] of cases.entries()) {
    it(c.name, async () => {
      const seed = 1000 + n;
      const file = path.join(tmp, `surface-${n}.png`);
      await writeGreyPng(surface(c.size[0], c.size[1], seed), file);
      const roi: RoiSpec = { ...DEFAULT_ROI_SPEC, ...c.roi };
      const py = runPython(file, { roi, normalization: c.norm }, seed, c.k, c.flips ?? false);
      if ('error' in py) throw new Error(py.error);
      const ts = buildRoiTensor(await readGreyImage(file), roi, c.norm, c.k, seed, { drawFlips: c.flips });
      expect(ts.boxes.map((b) => [b.x, b.y, b.hflip ? 1 : 0, b.vflip ? 1 : 0])).toEqual(py.positions);
      expect(py.data.length).toBe(ts.data.length);
      let maxDiff = 0;
      for (let i = 0; i < ts.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ts.data[i] - py.data[i]));
      expect(maxDiff).toBeLessThan(1e-4);
      if (c.roi.minMeanFraction) expect(ts.boxes.some((b) => b.attempts > 3)).toBe(true); // the threshold was halved
    });
  }

  it('both refuse an all-dark image', async () => {
    const file = path.join(tmp, 'dark.png');
    await writeGreyPng({ width: 100, height: 100, data: new Uint8Array(100 * 100).fill(1), bitDepth: 8 }, file);
    const roi: RoiSpec = { ...DEFAULT_ROI_SPEC, side: 32, outputSize: 32 };
    const py = runPython(file, { roi, normalization: { mode: 'per-roi' } }, 1, 4, false);
    expect('error' in py && py.error).toMatch(/all dark/);
    expect(() => buildRoiTensor({ width: 100, height: 100, data: new Uint8Array(100 * 100).fill(1), bitDepth: 8 }, roi, { mode: 'per-roi' }, 4, 1)).toThrow(/all dark/);
  });
});
