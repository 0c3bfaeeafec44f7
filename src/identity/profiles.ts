/**
 * Named identity profiles: the fingerprint (normalisation, extraction) and matching settings for
 * one kind of surface, chosen by measurement. A registry uses one (`profile` in
 * DATA/identity/settings.json, set with `partprint identity profile NAME`); `identity eval DIR
 * --profile NAME` evaluates a labelled folder with one.
 */
import { IdentityError } from '../core/index.js';
import type { MatchOptions } from './verify/match.js';
import type { PartialFingerprintOptions } from './fingerprint/fingerprint.js';

export type ProfileName = 'parts' | 'fingerprint';

export interface IdentityProfile {
  name: ProfileName;
  /** One line for listings. */
  description: string;
  fingerprint: PartialFingerprintOptions;
  match: Partial<MatchOptions>;
  /** Uncalibrated decision threshold on the decision score (until `identity calibrate`). */
  threshold: number;
  /** And at least this many (individual) inliers. */
  minInliers: number;
}

export const IDENTITY_PROFILES: Readonly<Record<ProfileName, IdentityProfile>> = {
  /**
   * Manufactured surfaces (the registry default), chosen on the synthetic parts: CLAHE because the
   * surfaces are low-contrast; the image reduced to 256 px on its longer side, which kept more
   * genuine inliers under light changes than 320/384/1024 px and is 5-10x faster; ratio 0.9.
   */
  parts: {
    name: 'parts',
    description: 'machined/cast surfaces: CLAHE, 256 px, ratio 0.9 (chosen on synthetic parts)',
    fingerprint: { normalise: { clahe: { clipLimit: 2, tileGrid: 8 }, maxSide: 256 } },
    match: { ratio: 0.9 },
    threshold: 0.008,
    minInliers: 6,
  },
  /**
   * Elastic, pressure-dependent ridge patterns (human fingerprints): native resolution and local
   * brightness normalisation over Gaussian windows of sigma 4 px (about half a ridge period at
   * 500 dpi), so dark, smeared and faint, dry impressions of a finger look alike to AKAZE.
   * FVC2002 DB1-B: EER 2.50% -> 1.43% (bench/results/identity-fvc.md; chosen on the same data).
   * Threshold 0.004: above every impostor score there (highest 0.0036; FMR 1e-2 is at 0.0026).
   */
  fingerprint: {
    name: 'fingerprint',
    description: 'fingerprints and other ridge patterns: local brightness normalisation (sigma 4 px), native size, ratio 0.95',
    fingerprint: { normalise: { localNormalise: { sigma: 4, minStd: 8 } } },
    match: { ratio: 0.95 },
    threshold: 0.004,
    minInliers: 6,
  },
};

export const PROFILE_NAMES = Object.keys(IDENTITY_PROFILES) as ProfileName[];

/**
 * The profile called `name`; an unknown name is a configuration error naming the known ones.
 *
 * @example
 *   const p = resolveProfile('fingerprint'); // p.fingerprint, p.match
 */
export function resolveProfile(name: string): IdentityProfile {
  if (!Object.hasOwn(IDENTITY_PROFILES, name)) {
    throw new IdentityError(`unknown identity profile "${name}" (known: ${PROFILE_NAMES.join(', ')})`, { code: 'CONFIG' });
  }
  return IDENTITY_PROFILES[name as ProfileName];
}

/**
 * The fingerprint options for one capture: the profile's, with the capture's stated pixel size
 * (normalisation resamples to the profile's canonical pixel size when both are known).
 */
export function resolveFingerprintFor(options: PartialFingerprintOptions, _size: { width: number; height: number }, pixelSizeUm: number | null): PartialFingerprintOptions {
  return { ...options, normalise: { ...options.normalise, pixelSizeUm } };
}
