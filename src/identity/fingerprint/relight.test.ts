import { describe, expect, it } from 'vitest';
import { IDENTITY_PROFILES } from '../profiles.js';
import { makeMouldPart, MOULD_RANGES, movedLight, renderMouldCapture, sampleMouldCapture } from '../../synth/index.js';
import { verifyPair } from '../verify/verify.js';
import { fingerprintNormalised, resolveFingerprintOptions } from './fingerprint.js';
import { normaliseCapture } from './normalise.js';
import { relitFingerprint } from './relight.js';

const SIZE = 768;
const config = { seed: 3, range: 'development' as const, size: SIZE, pixelUm: 5 };
const options = resolveFingerprintOptions({ ...IDENTITY_PROFILES.parts.fingerprint, normalise: { ...IDENTITY_PROFILES.parts.fingerprint.normalise, pixelSizeUm: 5 } });

async function fingerprintOf(pixels: Uint8Array) {
  const normalised = await normaliseCapture({ width: SIZE, height: SIZE, bitDepth: 8, data: pixels }, options.normalise);
  return { normalised, features: (await fingerprintNormalised(normalised, options)).features! };
}

describe('relitFingerprint', () => {
  it('brings back the matches of a recapture lit 40 degrees away from the registration', async () => {
    const part = makeMouldPart(config, 0, 'registered', 0);
    const reg = sampleMouldCapture(part, 0, MOULD_RANGES.development, SIZE);
    const registered = await fingerprintOf(renderMouldCapture(part, reg, config).pixels);
    // The same part turned by 35 degrees, its light moved 40 degrees along the azimuth circle.
    const light = movedLight(40, 0);
    const params = { ...reg, index: 1, rotationDeg: 35, lightAzimuthDeg: light.azimuthDeg, lightElevationDeg: light.elevationDeg, lightChangeDeg: 40 };
    const probe = await fingerprintOf(renderMouldCapture(part, params, config).pixels);
    const asCaptured = (await verifyPair(probe.features, registered.features, { match: IDENTITY_PROFILES.parts.match })).geometry.inliers;
    const relit: Record<number, number> = {};
    for (const turn of IDENTITY_PROFILES.parts.relight!.turnsDeg) {
      const view = await relitFingerprint(probe.normalised, turn, options);
      expect(view?.extractor).toBe(probe.features.extractor);
      expect(view?.texture?.width).toBe(probe.features.texture?.width);
      relit[turn] = (await verifyPair(view!, registered.features, { match: IDENTITY_PROFILES.parts.match })).geometry.inliers;
    }
    const best = Math.max(...Object.values(relit));
    expect(asCaptured, JSON.stringify({ asCaptured, relit })).toBeLessThan(IDENTITY_PROFILES.parts.relight!.below);
    expect(best, JSON.stringify({ asCaptured, relit })).toBeGreaterThanOrEqual(Math.max(40, 3 * asCaptured));
    // Turned the wrong way, the shading moves further from the registration's.
    expect(Math.min(relit[-60], relit[60]), JSON.stringify(relit)).toBeLessThan(best / 2);
  }, 60_000);
});
