import { describe, expect, it } from 'vitest';
import { decideVerified, type Verified } from './rank.js';
import { DEFAULT_IDENTITY_SETTINGS } from './settings.js';
import type { FeatureSet, TextureMap } from './types.js';
import type { VerifyResult } from './verify/verify.js';

/** A 128 px band-limited random texture map (int8 z-scores x 32, as textureMap stores them). */
function map(seed: number): TextureMap {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const waves = Array.from({ length: 40 }, () => ({ a: rnd() * 2 * Math.PI, f: 0.2 + 0.8 * rnd(), p: rnd() * 2 * Math.PI }));
  const data = new Int8Array(128 * 128);
  for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
    let v = 0;
    for (const w of waves) v += Math.cos(w.f * (Math.cos(w.a) * x + Math.sin(w.a) * y) + w.p);
    data[y * 128 + x] = Math.max(-127, Math.min(127, Math.round(7 * v)));
  }
  return { width: 128, height: 128, scale: 0.25, data };
}

function features(texture: TextureMap): FeatureSet {
  return { keypoints: new Float32Array(0), sizes: new Float32Array(0), angles: new Float32Array(0), responses: new Float32Array(0), descriptors: new Uint8Array(0), descriptorBytes: 61, imageSize: { width: 512, height: 512 }, scale: 0.5, extractor: 'akaze-mldb/test', texture };
}

/** A verified pair with `inliers` inliers and an identity pose (fewer than 12: no refit needs the keypoints). */
function verified(serial: string, texture: TextureMap, inliers: number): Verified {
  const result: VerifyResult = {
    same: false,
    threshold: 0,
    reason: '',
    score: { value: inliers / 1200, kind: 'inlier-ratio', inliers, total: 1200, inlierRatio: inliers / 1200, inlierMin: inliers / 600 },
    matches: { pairs: new Uint32Array(0), distances: new Uint16Array(0), count: 0 },
    geometry: { model: 'similarity', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], inlierMask: new Uint8Array(0), inliers, medianError: 0 },
  } as VerifyResult;
  return { serial, comparable: true, captureId: serial.length, features: features(texture), result, similarity: null };
}

describe('decideVerified (residual score)', () => {
  const s = { ...DEFAULT_IDENTITY_SETTINGS, scoreKind: 'residual' as const, threshold: 0.1, minInliers: 8 };
  const probe = features(map(1));

  it('scores the part whose texture the probe shows far above an unrelated one when both poses are credible', async () => {
    const ranked = await decideVerified(probe, [verified('A', map(2), 10), verified('B', map(3), 10), verified('C', map(4), 10), verified('SAME', map(1), 10)], s);
    expect(ranked[0].serial).toBe('SAME');
    expect(ranked[0].score).toBeGreaterThan(0.5);
    expect(ranked[0].same).toBe(true);
    expect(ranked.slice(1).every((c) => !c.same)).toBe(true);
  });

  it('gives no texture score to a candidate whose pose rests on fewer than minInliers inliers, however well its map correlates', async () => {
    const ranked = await decideVerified(probe, [verified('OTHER', map(2), 10), verified('GUESS', map(1), 5)], s);
    const guess = ranked.find((c) => c.serial === 'GUESS')!;
    expect(guess.score).toBeLessThanOrEqual(0);
    expect(guess.same).toBe(false);
  });

  it('does not identify from few inliers when fewer than 3 other parts make the cohort, however high the score', async () => {
    // The same texture as the probe, so its texture would score high; with 10 inliers and one other part it is no evidence.
    const thin = await decideVerified(probe, [verified('OTHER', map(2), 10), verified('SAME', map(1), 10)], s);
    expect(thin.every((c) => !c.same && c.score <= 0)).toBe(true);
    // (With three other parts the same 10 inliers count: the first test.)
  });
});
