import { describe, expect, it } from 'vitest';
import { extractFeatures } from './extract.js';
import { decodeFeatureSet, encodeFeatureSet } from './serialise.js';
import { makeTexture } from '../../../test/helpers/test-images.js';

describe('FeatureSet bytes', () => {
  it('round-trips keypoints (1/16 px), angles (1/100 deg) and exact descriptors compactly', async () => {
    const fs = await extractFeatures(await makeTexture(3, 200, 160), { maxKeypoints: 300 });
    const bytes = encodeFeatureSet(fs);
    expect(bytes.length).toBeLessThan(fs.sizes.length * (12 + 61) + 200);
    const back = decodeFeatureSet(bytes);
    expect(back.extractor).toBe(fs.extractor);
    expect(back.imageSize).toEqual({ width: 200, height: 160 });
    expect(Array.from(back.descriptors)).toEqual(Array.from(fs.descriptors));
    for (let i = 0; i < fs.sizes.length; i++) {
      expect(Math.abs(back.keypoints[2 * i] - fs.keypoints[2 * i])).toBeLessThanOrEqual(1 / 32 + 1e-6);
      expect(Math.abs(back.sizes[i] - fs.sizes[i])).toBeLessThanOrEqual(1 / 32 + 1e-6);
      const da = Math.abs(back.angles[i] - fs.angles[i]);
      expect(Math.min(da, 360 - da)).toBeLessThanOrEqual(0.006);
    }
  });

  it('names the problem in corrupt bytes', () => {
    expect(() => decodeFeatureSet(new Uint8Array([1, 2, 3]), 'capture 7')).toThrow(/capture 7: not a partprint fingerprint/);
    const ok = encodeFeatureSet({ keypoints: new Float32Array(0), sizes: new Float32Array(0), angles: new Float32Array(0), responses: new Float32Array(0), descriptors: new Uint8Array(0), descriptorBytes: 61, imageSize: { width: 9, height: 9 }, scale: 1, extractor: 'x' });
    expect(decodeFeatureSet(ok).sizes.length).toBe(0);
    expect(() => decodeFeatureSet(ok.subarray(0, ok.length - 1))).toThrow(/truncated|does not fit/);
  });
});
