import { describe, expect, it } from 'vitest';
import type { TextureMap } from '../types.js';
import { alignPose, alignTemplate } from './align.js';
import { applyTransform } from './geometry.js';

/** A band-limited random texture (sum of random plane waves), sampled through `toTexture` (map pixel -> texture coordinates). */
function texture(seed: number, size: number, toTexture: (x: number, y: number) => [number, number], gain = 1, noise = 0): TextureMap {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const waves = Array.from({ length: 40 }, () => ({ a: rnd() * 2 * Math.PI, f: 0.15 + 0.6 * rnd(), p: rnd() * 2 * Math.PI }));
  let n = 99991;
  const white = () => ((n = (n * 69069 + 1) % 4294967296) / 4294967296 - 0.5) * 3.46;
  const data = new Int8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [u, v] = toTexture(x, y);
      let val = 0;
      for (const w of waves) val += Math.cos(w.f * (Math.cos(w.a) * u + Math.sin(w.a) * v) + w.p);
      data[y * size + x] = Math.max(-127, Math.min(127, Math.round(gain * 6 * val + noise * white())));
    }
  }
  return { width: size, height: size, scale: 1, data };
}

/** Largest distance between where two matrices send the corners and centre of a size x size map. */
function poseError(a: number[], b: number[], size: number): number {
  let worst = 0;
  for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1], [size / 2, size / 2]]) {
    const [x1, y1] = applyTransform(a, x, y);
    const [x2, y2] = applyTransform(b, x, y);
    worst = Math.max(worst, Math.hypot(x1 - x2, y1 - y2));
  }
  return worst;
}

describe('alignPose', () => {
  const size = 128;
  // Candidate pixel = truth(probe pixel): a small rotation, scale and shift with some perspective.
  const c = Math.cos(0.05) * 1.03, s = Math.sin(0.05) * 1.03;
  const truth = [c, -s, 2.5, s, c, -1.5, 2e-5, -1e-5, 1];
  const candidate = texture(7, size, (x, y) => [x, y]);
  const toTexture = (x: number, y: number) => applyTransform(truth, x, y) as [number, number];

  it('recovers a pose that the keypoints missed by 2-3 pixels, under a change of gain and with sensor noise', () => {
    const probe = texture(7, size, toTexture, 0.6, 25);
    const start = [truth[0], truth[1], truth[2] + 2, truth[3], truth[4], truth[5] - 1.5, truth[6], truth[7], 1];
    expect(poseError(start, truth, size)).toBeGreaterThan(2);
    const refined = alignPose(alignTemplate(probe), candidate, start);
    expect(poseError(refined, truth, size)).toBeLessThan(0.35);
  });

  it('leaves the pose alone when the candidate is another surface', () => {
    const probe = texture(7, size, toTexture);
    const other = texture(12345, size, (x, y) => [x, y]);
    const refined = alignPose(alignTemplate(probe), other, truth);
    // No basin to fall into: either unchanged or a bounded drift (the guard is 6 map pixels).
    expect(poseError(refined, truth, size)).toBeLessThanOrEqual(6);
  });

  it('works in normalised-image pixels when the maps are reduced', () => {
    // Maps at a quarter of the normalised image: the matrix is in normalised-image pixels.
    const probe = { ...texture(7, size, toTexture), scale: 0.25 };
    const cand = { ...candidate, scale: 0.25 };
    const toNorm = (m: number[]) => {
      // S^-1 m S with S = map pixel from normalised pixel (pixel centres).
      const S = [0.25, 0, -0.375, 0, 0.25, -0.375, 0, 0, 1];
      const Si = [4, 0, 1.5, 0, 4, 1.5, 0, 0, 1];
      const mul = (a: number[], b: number[]) => [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]));
      return mul(mul(Si, m), S);
    };
    const start = toNorm([truth[0], truth[1], truth[2] + 2, truth[3], truth[4], truth[5] + 2, truth[6], truth[7], 1]);
    const refined = alignPose(alignTemplate(probe), cand, start);
    expect(poseError(refined, toNorm(truth), 4 * size)).toBeLessThan(4 * 0.35);
  });
});
