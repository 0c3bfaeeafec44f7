/**
 * Named identity profiles: the fingerprint (normalisation, extraction) and matching settings for
 * one kind of surface, chosen by measurement. A registry uses one (`profile` in
 * DATA/identity/settings.json, set with `partprint identity profile NAME`); `identity eval DIR
 * --profile NAME` evaluates a labelled folder with one.
 */
import { IdentityError } from '../core/index.js';
import type { AlignOptions } from './verify/align.js';
import type { MatchOptions } from './verify/match.js';
import type { PartialFingerprintOptions } from './fingerprint/fingerprint.js';
import type { DecisionScoreKind } from './types.js';

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
  /** What the decision compares with the threshold (types.ts DecisionScoreKind). */
  scoreKind: DecisionScoreKind;
  /** Dense refinement of each cohort member's pose on the texture maps before the residual score (verify/align.ts); null = keypoint pose only. */
  align: Partial<AlignOptions> | null;
  /** The residual score also tries the probe's texture under other in-plane light directions (verify/texture.ts). */
  steered: boolean;
  /** Relit probe views tried when the probe's own matches are too few for a pose (fingerprint/relight.ts); null = never. */
  relight: RelightOptions | null;
}

export interface RelightOptions {
  /** Turns of the probe's light tried, in this order, degrees (positive = counter-clockwise in the image). */
  turnsDeg: number[];
  /** Try them when no candidate has this many inliers with the probe as captured. */
  below: number;
  /** Stop trying once a view has this many inliers with some candidate. */
  enough: number;
  /** A view is checked against this many of its best shortlist hits; the chosen one is ranked over all. */
  check: number;
  /** Also try them when the probe as captured matched well enough but identified nothing. */
  whenUnidentified: boolean;
}

export const IDENTITY_PROFILES: Readonly<Record<ProfileName, IdentityProfile>> = {
  /**
   * Manufactured surfaces (the registry default). Chosen on the DEVELOPMENT range of the mould
   * generator (src/synth/mould: parts of one mould share form, machining marks and fine texture;
   * handheld recaptures), never on its held-out range: CLAHE (low-contrast surfaces); the working
   * image at 10 um per pixel when the capture's pixel size is stated, and at most 512 px on its
   * longer side (a 1024 px capture at 5 um keeps the relief that 256 px lost: AKAZE found 0-13
   * keypoints there); 600 keypoints, enough for the pose; a texture map at a quarter of the working
   * image (128 px from 512) high-passed at sigma 6 (on the development set 256 px maps and
   * sigma 3 separated less: AUC 0.88-0.95 against 0.96), whose correlation with the cohort's mean texture removed (`residual`,
   * verify/texture.ts) decides: on the development set it separated genuine recaptures from
   * same-mould look-alikes where the keypoint scores (raw or cohort-normalised) could not.
   */
  parts: {
    name: 'parts',
    description: 'manufactured surfaces: CLAHE, 10 um/px when stated, <= 512 px, 600 keypoints for the pose, dense residual texture check against the cohort',
    fingerprint: { normalise: { clahe: { clipLimit: 2, tileGrid: 8 }, canonicalPixelSizeUm: 10, maxSide: 512 }, extract: { maxKeypoints: 600 }, texture: { scale: 0.25, sigma: 6 } },
    match: { ratio: 0.9 },
    // Uncalibrated: between the development range's look-alikes (highest 0.035 of 50) and its
    // genuine recaptures (10% below 0.113); `identity calibrate` replaces it.
    threshold: 0.1,
    minInliers: 8,
    scoreKind: 'residual',
    // The keypoint pose under another light is off by 0.7-3 map pixels, enough to hide the part's
    // own texture; ECC on the maps (5 iterations, a quarter of the pixels) recovers it: development
    // range, 200 recaptures and 50 look-alikes, rank-1 97.0% -> 100%, AUC 0.967 -> 1.000.
    align: { iterations: 5, step: 2, smooth: 1.1 },
    // A recapture lit 30-45 degrees away from the registration keeps 2-12 inliers with every part
    // (a light at 50 degrees elevation moved by 40 degrees turns its horizontal direction by up to
    // 55-75 degrees); the probe relit back by 25-50 degrees gets 40-290 (development stress set, 40
    // recaptures). Probes that match already (20 inliers or more) pay nothing.
    // At 1000 parts a recapture lit 20-30 degrees away often gets 20-50 inliers with a sibling of its
    // own mould and none with itself, so the views are tried too when the probe as captured
    // identifies nothing (development range, 1000 parts of 20 moulds, 150 recaptures and 100
    // look-alikes: rank-1 142 -> 149 of 150, 39 -> 44 of 45 at 20-30 deg; highest look-alike
    // unchanged at 0.084; a look-alike's identify 780 -> 1305 ms median).
    // Turns of 45 degrees too: a recapture whose light's azimuth moved 45-55 degrees (elevation
    // higher) keeps 30-53 inliers with its part only near that turn, and the views' own shortlists
    // miss the part at 30 or 60 (development hard set, recaptures lit 25 degrees or more away:
    // rank-1 46 -> 49 of 60, highest of 60 look-alikes unchanged at 0.030, their identify
    // 1684 -> 1767 ms median).
    relight: { turnsDeg: [-30, 30, -45, 45, -60, 60], below: 20, enough: 40, check: 10, whenUnidentified: true },
    // A recapture's light turned in the surface plane lowers the correlation of its fine shading with
    // the registration's (cos of the turn); the steered score takes the best mix of the probe's
    // shading and its estimated shading under the perpendicular light (development, light 15-35
    // deg, individual fraction 0.2, 50 parts: genuine margin q10 0.151 -> 0.220, median 0.340 ->
    // 0.400; highest look-alike 0.036 -> 0.041).
    steered: true,
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
    scoreKind: 'inlier-ratio',
    align: null,
    relight: null,
    steered: false,
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
