import { describe, expect, it } from 'vitest';
import { makeMouldPart, movedLight, renderMouldCapture, resolveMouldRange, sampleMouldCapture } from '../../synth/mould/index.js';
import { syntheticRecapture } from './synthetic-recapture.js';
import { relight } from '../fingerprint/relight.js';

/** Correlation of two images' detail (each minus its 9x9 box mean). */
function detailCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, w: number): number {
  const hp = (img: ArrayLike<number>) => {
    const out = new Float64Array(img.length);
    for (let y = 4; y < w - 4; y++) {
      for (let x = 4; x < w - 4; x++) {
        let s = 0;
        for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) s += img[(y + dy) * w + x + dx];
        out[y * w + x] = img[y * w + x] - s / 81;
      }
    }
    return out;
  };
  const p = hp(a), q = hp(b);
  let pq = 0, pp = 0, qq = 0;
  for (let i = 0; i < p.length; i++) {
    pq += p[i] * q[i];
    pp += p[i] * p[i];
    qq += q[i] * q[i];
  }
  return pq / Math.sqrt(pp * qq);
}

describe('relight', () => {
  it('moves a registered image towards how the surface shades under a turned light, and only in the direction it is turned', async () => {
    const size = 256;
    const config = { seed: 3, range: 'development' as const, size, pixelUm: 10 };
    const part = makeMouldPart(config, 1, 'registered', 1);
    const registration = sampleMouldCapture(part, 0, resolveMouldRange('development'), size);
    const registered = renderMouldCapture(part, registration, config);
    // The same view with the light moved 30 degrees along its azimuth circle (the shading really changes).
    const light = movedLight(30, 0);
    const turned = renderMouldCapture(part, { ...registration, index: 1, lightAzimuthDeg: light.azimuthDeg, lightElevationDeg: light.elevationDeg }, config);
    const image = { width: size, height: size, data: registered.pixels, bitDepth: 8 as const };
    const before = detailCorrelation(registered.pixels, turned.pixels, size);
    const towards = detailCorrelation(await relight(image, 20), turned.pixels, size);
    const away = detailCorrelation(await relight(image, -20), turned.pixels, size);
    expect(before).toBeLessThan(0.95);
    expect(towards).toBeGreaterThan(before + 0.01);
    expect(away).toBeLessThan(before - 0.01);
  });

  it('gives a synthetic recapture that is reproducible from its seed and differs from the registered image', async () => {
    const size = 256;
    const config = { seed: 5, range: 'development' as const, size, pixelUm: 10 };
    const part = makeMouldPart(config, 1, 'registered', 2);
    const registered = renderMouldCapture(part, sampleMouldCapture(part, 0, resolveMouldRange('development'), size), config);
    const a = await syntheticRecapture({ width: size, height: size, data: registered.pixels, bitDepth: 8 }, 11);
    const b = await syntheticRecapture({ width: size, height: size, data: registered.pixels, bitDepth: 8 }, 11);
    expect(a.width).toBe(size);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(registered.pixels))).toBe(false);
  });
});
