import { describe, expect, it } from 'vitest';
import { createRng } from '../core/index.js';
import { baselineProbabilities, fft, fitPcaLda, symmetricEigen, textureFeatures } from './baseline.js';

function stripes(r: number, period: number, angle: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(r * r);
  const phase = rng.next() * 2 * Math.PI;
  for (let y = 0; y < r; y++)
    for (let x = 0; x < r; x++) {
      const t = (x * Math.cos(angle) + y * Math.sin(angle)) * ((2 * Math.PI) / period) + phase;
      out[y * r + x] = Math.min(1, Math.max(0, 0.5 + 0.25 * Math.sin(t) + 0.15 * (rng.next() - 0.5)));
    }
  return out;
}

describe('classical baseline', () => {
  it('fft equals the direct DFT', () => {
    const rng = createRng(3);
    const n = 16;
    const re = Float64Array.from({ length: n }, () => rng.next() - 0.5);
    const im = Float64Array.from({ length: n }, () => rng.next() - 0.5);
    const [r0, i0] = [Float64Array.from(re), Float64Array.from(im)];
    fft(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const a = (-2 * Math.PI * k * t) / n;
        sr += r0[t] * Math.cos(a) - i0[t] * Math.sin(a);
        si += r0[t] * Math.sin(a) + i0[t] * Math.cos(a);
      }
      expect(re[k]).toBeCloseTo(sr, 9);
      expect(im[k]).toBeCloseTo(si, 9);
    }
  });

  it('symmetricEigen gives A v = lambda v, values descending', () => {
    const a = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 1]);
    const { values, vectors } = symmetricEigen(a, 3);
    expect(values[0]).toBeGreaterThanOrEqual(values[1]);
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 3; i++) {
        let s = 0;
        for (let j = 0; j < 3; j++) s += a[i * 3 + j] * vectors[k * 3 + j];
        expect(s).toBeCloseTo(values[k] * vectors[k * 3 + i], 8);
      }
  });

  it('features ignore a quarter turn and brightness/contrast, and PCA+LDA separates textures by scale', () => {
    const r = 32;
    const roi = stripes(r, 5, 0.3, 1);
    const turned = new Float32Array(r * r);
    for (let y = 0; y < r; y++) for (let x = 0; x < r; x++) turned[x * r + (r - 1 - y)] = roi[y * r + x];
    const brighter = roi.map((v) => v * 0.5 + 0.3);
    const f = textureFeatures(roi, r);
    const dist = (a: Float64Array, b: Float64Array) => Math.hypot(...a.map((v, i) => v - b[i]));
    expect(dist(f, textureFeatures(brighter, r))).toBeLessThan(1e-4); // float32 rounding of the changed ROI only
    const other = textureFeatures(stripes(r, 9, 0.3, 2), r);
    expect(dist(f, textureFeatures(turned, r))).toBeLessThan(dist(f, other) / 3);
    const rows: Float64Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 24; i++) {
      rows.push(textureFeatures(stripes(r, i % 2 ? 5 : 9, i * 0.4, 10 + i), r));
      labels.push(i % 2);
    }
    const m = fitPcaLda(rows, labels, 2);
    let correct = 0;
    for (let i = 0; i < 10; i++) {
      const label = i % 2;
      const p = baselineProbabilities(m, textureFeatures(stripes(r, label ? 5 : 9, 1 + i * 0.7, 100 + i), r));
      expect(p[0] + p[1]).toBeCloseTo(1, 9);
      if ((p[1] > p[0] ? 1 : 0) === label) correct++;
    }
    expect(correct).toBe(10);
  });
});
