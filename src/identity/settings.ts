/** Per-registry identity settings (threshold from calibration), kept in DATA/identity/settings.json. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IdentityError } from '../core/index.js';
import { IDENTITY_PROFILES, PROFILE_NAMES, resolveProfile, type ProfileName } from './profiles.js';
import type { DecisionScoreKind } from './types.js';
import { DEFAULT_COHORT_OPTIONS, type CohortOptions } from './verify/cohort.js';

export interface IdentitySettings {
  /** Fingerprint and matching profile (profiles.ts); changing it re-extracts every fingerprint. */
  profile: ProfileName;
  /** Same item when the score is at or above this. */
  threshold: number;
  scoreKind: DecisionScoreKind;
  /** And at least this many (individual) inliers. */
  minInliers: number;
  /** 1:1 verify: how many of the most similar other parts form the cohort the score is normalised against. */
  cohortSize: number;
  /** When a probe keypoint counts as shared with the cohort. */
  cohort: CohortOptions;
  /** Candidates taken from the shortlist for geometric verification. */
  shortlistSize: number;
  /**
   * Galleries up to this many captures are verified exhaustively (every capture, ordered by the
   * shortlist): there that costs no more than verifying `shortlistSize` candidates. Lowered from
   * 1,000 to 100 because the LSH shortlist had the true part in its top 100 for every probe at 1k
   * (1,000 recaptures through the service, 300 more over all capture indices) and at 10k
   * (bench/results/identity-synth.md, identity-scaling*.md).
   */
  exhaustiveUpTo: number;
  /** Where the threshold came from. */
  calibration: null | {
    at: string;
    source: string;
    targetFmr: number;
    eer: number;
    genuine: number;
    impostor: number;
    fnmrAt: Record<string, number>;
  };
}

/** Uncalibrated defaults, chosen from the benchmarks (bench/identity-*.md). */
export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  profile: 'parts',
  threshold: IDENTITY_PROFILES.parts.threshold,
  scoreKind: IDENTITY_PROFILES.parts.scoreKind,
  minInliers: IDENTITY_PROFILES.parts.minInliers,
  cohortSize: 20,
  cohort: DEFAULT_COHORT_OPTIONS,
  shortlistSize: 100,
  exhaustiveUpTo: 100,
  calibration: null,
};

export async function loadIdentitySettings(dir: string): Promise<IdentitySettings> {
  const file = path.join(dir, 'settings.json');
  if (!existsSync(file)) return { ...DEFAULT_IDENTITY_SETTINGS };
  // (DEFAULT_IDENTITY_SETTINGS takes its threshold and minInliers from the default profile.)
  let stored: Partial<IdentitySettings>;
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<IdentitySettings>;
  } catch (err) {
    throw new IdentityError(`${file}: not valid JSON (${(err as Error).message}); fix or delete it`, { code: 'CORRUPT', cause: err });
  }
  // A settings file that names a profile but no threshold gets that profile's uncalibrated one.
  const profile = readProfileNameSync(dir);
  const p = resolveProfile(profile);
  return { ...DEFAULT_IDENTITY_SETTINGS, threshold: p.threshold, minInliers: p.minInliers, scoreKind: p.scoreKind, ...stored, cohort: { ...DEFAULT_IDENTITY_SETTINGS.cohort, ...stored.cohort }, profile };
}

export async function saveIdentitySettings(dir: string, settings: IdentitySettings): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'settings.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/**
 * The profile named in DATA/identity/settings.json ('parts' when there is none), read synchronously
 * because the identity service fixes its fingerprint version when it is made.
 */
export function readProfileNameSync(dir: string): ProfileName {
  const file = path.join(dir, 'settings.json');
  if (!existsSync(file)) return DEFAULT_IDENTITY_SETTINGS.profile;
  let profile: unknown;
  try {
    profile = (JSON.parse(readFileSync(file, 'utf8')) as Partial<IdentitySettings>).profile;
  } catch (err) {
    throw new IdentityError(`${file}: not valid JSON (${(err as Error).message}); fix or delete it`, { code: 'CORRUPT', cause: err });
  }
  if (profile === undefined) return DEFAULT_IDENTITY_SETTINGS.profile;
  if (typeof profile !== 'string' || !(PROFILE_NAMES as string[]).includes(profile)) {
    throw new IdentityError(`${file}: "profile" is ${JSON.stringify(profile)}; known profiles: ${PROFILE_NAMES.join(', ')}`, { code: 'CONFIG' });
  }
  return profile as ProfileName;
}
