import { describe, expect, it } from 'vitest';
import { SourceError, createRng } from '../core/index.js';
import type { GreyImage } from '../imaging/index.js';
import { DEFAULT_ROI_SPEC, buildRoiTensor, cropRoi, downscaleBox, normaliseRois, resizeBilinear, sampleRois, type RoiSpec } from './roi.js';

function image(width: number, height: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data, bitDepth: 8 };
}

const spec = (side: number, extra: Partial<RoiSpec> = {}): RoiSpec => ({ ...DEFAULT_ROI_SPEC, side, outputSize: side, ...extra });

describe('downscaleBox', () => {
  it('averages d x d blocks, drops the remainder and rounds half up', () => {
    // 5x3 image, d = 2 -> 2x1; block (0,0) = 1,2,3,4 -> 2.5 -> 3; block (1,0) = 10,11,13,14 -> 12.
    const img: GreyImage = { width: 5, height: 3, bitDepth: 8, data: Uint8Array.from([1, 2, 10, 11, 99, 3, 4, 13, 14, 99, 99, 99, 99, 99, 99]) };
    const out = downscaleBox(img, 2);
    expect([out.width, out.height]).toEqual([2, 1]);
    expect(Array.from(out.data)).toEqual([3, 12]);
  });

  it('rejects a factor that is not a positive integer', () => {
    const img = image(4, 4, () => 1);
    expect(() => downscaleBox(img, 0)).toThrow(SourceError);
    expect(() => downscaleBox(img, 1.5)).toThrow(/integer/);
  });
});

describe('sampleRois', () => {
  // Bright square (200) in the middle of a dark background (5): ROIs must land mostly on it.
  const scene = image(200, 200, (x, y) => (x >= 60 && x < 140 && y >= 60 && y < 140 ? 200 : 5));

  it('accepts only ROIs whose mean is at least the threshold, and is deterministic for a seed', () => {
    const s = spec(32);
    const a = sampleRois(scene, s, 16, 42);
    const b = sampleRois(scene, s, 16, 42);
    expect(a).toEqual(b);
    const c = sampleRois(scene, s, 16, 43);
    expect(c).not.toEqual(a);
    let total = 0;
    for (const v of scene.data) total += v;
    const tau0 = 0.5 * (total / scene.data.length);
    for (const box of a) {
      const crop = cropRoi(scene, box, 32);
      const mean = (crop.reduce((p, v) => p + v, 0) / crop.length) * 255;
      // The first 20 draws use the full threshold; later ones a halved one.
      const tau = tau0 / 2 ** Math.floor((box.attempts - 1) / 20);
      expect(mean).toBeGreaterThanOrEqual(tau - 1e-6);
      expect(box.x).toBeLessThanOrEqual(200 - 32);
      expect(box.y).toBeLessThanOrEqual(200 - 32);
    }
  });

  it('follows the spec draw order: x then y from one mulberry32 stream', () => {
    const flat = image(50, 40, () => 100); // every ROI accepted at the first draw
    const rng = createRng(9);
    const boxes = sampleRois(flat, spec(10), 3, 9);
    for (const box of boxes) {
      expect(box.x).toBe(Math.floor(rng.next() * 41));
      expect(box.y).toBe(Math.floor(rng.next() * 31));
      expect(box.attempts).toBe(1);
    }
  });

  it('fails with the image name on an all-dark image instead of looping', () => {
    const dark = image(64, 64, () => 1);
    expect(() => sampleRois(dark, spec(16), 4, 1, { name: 'dark.png' })).toThrow(/dark\.png: image is all dark/);
  });

  it('fails on an image smaller than the ROI', () => {
    expect(() => sampleRois(image(30, 100, () => 50), spec(32), 1, 1, { name: 'thin.png' })).toThrow(/thin\.png.*smaller than the ROI side 32/);
  });

  it('terminates with an error after maxAttempts when no ROI can pass', () => {
    // One bright pixel: the threshold halves every 20 rejections but with maxAttempts 30 it cannot
    // drop far enough for a 16x16 ROI of zeros to pass.
    const speck = image(64, 64, (x, y) => (x === 0 && y === 0 ? 255 : 0));
    expect(() => sampleRois(speck, spec(16, { maxAttempts: 30 }), 1, 3, { name: 'speck.png' })).toThrow(/speck\.png: ROI 1 of 1 found no region bright enough in 30 attempts/);
  });

  it('halving the threshold lets a mostly dark image terminate successfully', () => {
    // A bright stripe 4 px wide: full-threshold ROIs are rare, halved ones less so.
    const stripe = image(128, 128, (x) => (x >= 60 && x < 64 ? 255 : 10));
    const boxes = sampleRois(stripe, spec(32), 8, 5);
    expect(boxes).toHaveLength(8);
  });

  it('draws flips after acceptance only in training mode', () => {
    const flat = image(40, 40, () => 100);
    const rng = createRng(2);
    const boxes = sampleRois(flat, spec(8), 2, 2, { drawFlips: true });
    for (const box of boxes) {
      rng.next();
      rng.next();
      expect(box.hflip).toBe(rng.next() < 0.5);
      expect(box.vflip).toBe(rng.next() < 0.5);
    }
  });
});

describe('resizeBilinear', () => {
  it('matches a hand computation with half-pixel centres (2x2 -> 4x4)', () => {
    // src = [[0, 1], [2, 3]]; sx for ox = 0..3 is -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
    const out = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 4);
    const row = (a: number, b: number) => [a, a + 0.25 * (b - a), a + 0.75 * (b - a), b];
    const top = row(0, 1);
    const bottom = row(2, 3);
    const wy = [0, 0.25, 0.75, 1];
    const expected = wy.flatMap((w) => top.map((t, i) => t * (1 - w) + bottom[i] * w));
    expect(Array.from(out).map((v) => +v.toFixed(6))).toEqual(expected.map((v) => +v.toFixed(6)));
  });

  it('downsizes 4x4 -> 2x2 by averaging the centre taps', () => {
    // sx = (0 + 0.5) * 2 - 0.5 = 0.5: mean of columns 0 and 1.
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    const out = resizeBilinear(src, 4, 2);
    expect(Array.from(out)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('returns the crop as is when sizes match', () => {
    const src = Float32Array.from([1, 2, 3, 4]);
    expect(resizeBilinear(src, 2, 2)).toBe(src);
  });
});

describe('normaliseRois', () => {
  it('dataset mode uses the card statistics', () => {
    const out = normaliseRois(Float32Array.from([0.5, 0.7]), 2, { mode: 'dataset', mean: 0.5, std: 0.2 });
    expect(Array.from(out).map((v) => +v.toFixed(5))).toEqual([0, 1]);
  });

  it('per-roi mode gives each plane zero mean and unit population std', () => {
    const out = normaliseRois(Float32Array.from([1, 3, 10, 10]), 2, { mode: 'per-roi' });
    expect(Array.from(out.subarray(0, 2))).toEqual([-1, 1]);
    expect(Array.from(out.subarray(2))).toEqual([0, 0]); // std floor, no division by zero
  });

  it('refuses dataset mode without statistics', () => {
    expect(() => normaliseRois(new Float32Array(4), 4, { mode: 'dataset' })).toThrow(/mean and a std/);
  });
});

describe('buildRoiTensor', () => {
  it('packs K resized, normalised ROIs as NCHW float32', () => {
    const img = image(120, 100, (x, y) => (x * 3 + y * 5) % 256);
    const t = buildRoiTensor(img, spec(20, { downscale: 2, outputSize: 32 }), { mode: 'per-roi' }, 3, 11);
    expect(t.dims).toEqual([3, 1, 32, 32]);
    expect(t.data.length).toBe(3 * 32 * 32);
    const small = downscaleBox(img, 2);
    const again = sampleRois(small, spec(20, { downscale: 2, outputSize: 32 }), 3, 11);
    expect(t.boxes).toEqual(again);
  });
});
