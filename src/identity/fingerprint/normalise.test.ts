import { describe, expect, it } from 'vitest';
import { normaliseCapture } from './normalise.js';
import { fingerprintVersion } from './fingerprint.js';
import { makeTexture } from '../../../test/helpers/test-images.js';

function stats(data: Uint8Array, width: number, x0: number, x1: number, y0: number, y1: number): { mean: number; std: number } {
  let s = 0, s2 = 0, n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = data[y * width + x];
      s += v; s2 += v * v; n++;
    }
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean) };
}

describe('local brightness normalisation', () => {
  it('gives a faint and a strong copy of one texture the same local contrast, and leaves flat ground flat', async () => {
    const tex = await makeTexture(5, 192, 96);
    // Left: the texture at 1/8 of its contrast around a dark level; middle: full contrast; right: flat.
    const w = 288, h = 96;
    const img = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < 96; x++) img[y * w + x] = Math.round(40 + (tex.data[y * 192 + x] - 128) / 8);
      for (let x = 96; x < 192; x++) img[y * w + x] = tex.data[y * 192 + x];
      for (let x = 192; x < w; x++) img[y * w + x] = 200;
    }
    const raw = { faint: stats(img, w, 16, 80, 16, 80), strong: stats(img, w, 112, 176, 16, 80) };
    expect(raw.strong.std / raw.faint.std).toBeGreaterThan(5);

    const n = await normaliseCapture({ width: w, height: h, data: img, bitDepth: 8 }, { localNormalise: { sigma: 4, minStd: 2 } });
    expect(n.image.width).toBe(w);
    const faint = stats(n.image.data, w, 16, 80, 16, 80);
    const strong = stats(n.image.data, w, 112, 176, 16, 80);
    const flat = stats(n.image.data, w, 224, 272, 16, 80);
    expect(strong.std / faint.std).toBeLessThan(1.3);
    expect(strong.std / faint.std).toBeGreaterThan(0.77);
    expect(Math.abs(faint.mean - 128)).toBeLessThan(12);
    expect(Math.abs(strong.mean - 128)).toBeLessThan(12);
    // No variation to amplify: the floor on the local std keeps it at mid grey.
    expect(Math.abs(flat.mean - 128)).toBeLessThan(1);
    expect(flat.std).toBeLessThan(1);
  });

  it('is part of the fingerprint version, so a registry notices the change', () => {
    const plain = fingerprintVersion({});
    const local = fingerprintVersion({ normalise: { localNormalise: { sigma: 4, minStd: 8 } } });
    expect(local).not.toBe(plain);
    expect(local).toContain('ln4s8');
    expect(fingerprintVersion({ normalise: { localNormalise: { sigma: 3, minStd: 8 } } })).not.toBe(local);
  });
});
