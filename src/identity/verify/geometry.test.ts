import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/index.js';
import { applyTransform, estimateTransform, toOriginalPixels } from './geometry.js';
import type { FeatureSet, Matches } from '../types.js';

function sets(n: number, inlierCount: number, m: number[], seed = 1): { a: FeatureSet; b: FeatureSet; matches: Matches } {
  const rng = createRng(seed);
  const mk = (): FeatureSet => ({ keypoints: new Float32Array(2 * n), sizes: new Float32Array(n).fill(4), angles: new Float32Array(n), responses: new Float32Array(n), descriptors: new Uint8Array(n), descriptorBytes: 1, imageSize: { width: 500, height: 500 }, scale: 1, extractor: 't' });
  const a = mk();
  const b = mk();
  const rot = (Math.atan2(m[3], m[0]) * 180) / Math.PI;
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(0, 500), y = rng.uniform(0, 500);
    a.keypoints[2 * i] = x;
    a.keypoints[2 * i + 1] = y;
    a.angles[i] = rng.uniform(0, 360);
    if (i < inlierCount) {
      const [u, v] = applyTransform(m, x, y);
      b.keypoints[2 * i] = u + rng.normal() * 0.5;
      b.keypoints[2 * i + 1] = v + rng.normal() * 0.5;
      b.angles[i] = (a.angles[i] + rot + 360) % 360;
    } else {
      b.keypoints[2 * i] = rng.uniform(0, 500);
      b.keypoints[2 * i + 1] = rng.uniform(0, 500);
      b.angles[i] = rng.uniform(0, 360);
    }
  }
  const pairs = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) { pairs[2 * i] = i; pairs[2 * i + 1] = i; }
  return { a, b, matches: { pairs, distances: new Uint16Array(n), count: n } };
}

describe('estimateTransform', () => {
  const th = (20 * Math.PI) / 180;
  const sim = [1.1 * Math.cos(th), -1.1 * Math.sin(th), 30, 1.1 * Math.sin(th), 1.1 * Math.cos(th), -12, 0, 0, 1];

  it('recovers a similarity from 40 inliers among 160 outliers and marks them', async () => {
    const { a, b, matches } = sets(200, 40, sim);
    const g = await estimateTransform(a, b, matches);
    expect(g.inliers).toBeGreaterThanOrEqual(38);
    expect(g.inliers).toBeLessThan(45);
    for (let i = 0; i < 40; i++) expect(g.inlierMask[i]).toBe(1);
    for (let k = 0; k < 6; k++) expect(g.matrix![k]).toBeCloseTo(sim[k], k === 2 || k === 5 ? 0 : 2);
    expect(g.medianError).toBeLessThan(1.5);
  });

  it('finds few inliers among pure outliers, and none with fewer than two pairs', async () => {
    const { a, b, matches } = sets(200, 0, sim, 2);
    expect((await estimateTransform(a, b, matches)).inliers).toBeLessThan(6);
    const one = sets(1, 1, sim);
    const g = await estimateTransform(one.a, one.b, one.matches);
    expect(g.matrix).toBeNull();
    expect(g.inliers).toBe(0);
  });

  it('recovers a homography through OpenCV USAC MAGSAC', async () => {
    const h = [0.9, 0.1, 20, -0.05, 1.05, 10, 0.0002, -0.0001, 1];
    const { a, b, matches } = sets(200, 80, h, 3);
    const g = await estimateTransform(a, b, matches, { model: 'homography', thresholdPx: 3 });
    expect(g.inliers).toBeGreaterThanOrEqual(75);
    const [x, y] = applyTransform(g.matrix!, 250, 250);
    const [u, v] = applyTransform(h, 250, 250);
    expect(Math.hypot(x - u, y - v)).toBeLessThan(1.5);
  });

  it('converts a transform between normalised and original pixels', () => {
    const m = toOriginalPixels(sim, 0.5, 0.25);
    // original A (x) -> normalised A (0.5x) -> sim -> normalised B -> original B (/0.25)
    const [u, v] = applyTransform(sim, 0.5 * 100, 0.5 * 40);
    const [p, q] = applyTransform(m, 100, 40);
    expect(p).toBeCloseTo(u / 0.25, 6);
    expect(q).toBeCloseTo(v / 0.25, 6);
  });
});
