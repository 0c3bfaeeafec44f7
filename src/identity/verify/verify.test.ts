import { describe, expect, it } from 'vitest';
import { fingerprintImage } from '../fingerprint/fingerprint.js';
import { verifyPair } from './verify.js';
import { makeFlat, makeTexture, recapture } from '../../../test/helpers/test-images.js';
import { applyTransform } from './geometry.js';
import { loadOpenCv } from '../../imaging/index.js';

describe('fingerprint + verifyPair on textured images', async () => {
  const surface = await makeTexture(1);
  const other = await makeTexture(2);
  const fpA = await fingerprintImage(surface);
  it('accepts a textured capture and finds keypoints', () => {
    expect(fpA.quality.ok).toBe(true);
    expect(fpA.features!.sizes.length).toBeGreaterThan(100);
  });

  it('matches a rotated, rescaled, shifted, noisier recapture and recovers the transform', async () => {
    const probe = await recapture(surface, { angleDeg: 35, scale: 0.85, shiftX: 6, shiftY: -4, gain: 0.9, offset: 10 });
    const fpB = await fingerprintImage(probe);
    const r = await verifyPair(fpA.features!, fpB.features!);
    expect(r.same).toBe(true);
    expect(r.geometry.inliers).toBeGreaterThan(30);
    // The centre maps to itself shifted by (6, -4); a point 50 px right is rotated by 35 deg (counter-clockwise on screen) and scaled.
    const [cx, cy] = applyTransform(r.geometry.matrix!, 128, 128);
    expect(cx).toBeCloseTo(134, 0);
    expect(cy).toBeCloseTo(124, 0);
    const [px, py] = applyTransform(r.geometry.matrix!, 178, 128);
    const a = (35 * Math.PI) / 180;
    expect(Math.hypot(px - (134 + 50 * 0.85 * Math.cos(a)), py - (124 - 50 * 0.85 * Math.sin(a)))).toBeLessThan(1.5);
  });

  it('does not match a different surface, nor a mirror image of the same one', async () => {
    const fpO = await fingerprintImage(other);
    const r = await verifyPair(fpA.features!, fpO.features!);
    expect(r.same).toBe(false);
    const fpM = await fingerprintImage(await recapture(surface, { mirror: true }));
    const m = await verifyPair(fpA.features!, fpM.features!);
    expect(m.same).toBe(false);
    const genuine = await verifyPair(fpA.features!, (await fingerprintImage(await recapture(surface, { angleDeg: 5 }))).features!);
    expect(genuine.score.value).toBeGreaterThan(5 * Math.max(r.score.value, m.score.value));
  });

  it('rejects bad captures with a reason instead of failing', async () => {
    expect((await fingerprintImage(makeFlat(0))).quality.reason).toBe('too-dark');
    expect((await fingerprintImage(makeFlat(255))).quality.reason).toBe('too-bright');
    expect((await fingerprintImage(makeFlat(128))).quality.reason).toBe('no-texture');
    expect((await fingerprintImage(makeFlat(128, 20, 20))).quality.reason).toBe('too-small');
    const cv = await loadOpenCv();
    // Heavy blur of a texture: low Laplacian variance.
    const src = cv.matFromArray(256, 256, cv.CV_8UC1, surface.data);
    const dst = new cv.Mat();
    cv.GaussianBlur(src, dst, new cv.Size(0, 0), 8);
    const blurred = { width: 256, height: 256, data: new Uint8Array(dst.data), bitDepth: 8 as const };
    src.delete();
    dst.delete();
    const q = await fingerprintImage(blurred);
    expect(q.quality.ok).toBe(false);
    expect(['blurred', 'too-few-keypoints', 'no-texture']).toContain(q.quality.reason);
    expect(q.quality.message.length).toBeGreaterThan(5);
  });

  it('uses only the given rectangle and reports the scale of a µm/px resampling', async () => {
    const fp = await fingerprintImage(surface, { normalise: { region: { kind: 'rect', x: 64, y: 64, width: 128, height: 128 }, pixelSizeUm: 5, canonicalPixelSizeUm: 10 } });
    expect(fp.normalised.image.width).toBe(64);
    expect(fp.normalised.scale).toBeCloseTo(0.5);
    expect(fp.normalised.offset).toEqual({ x: 64, y: 64 });
  });
});
