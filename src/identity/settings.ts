/** Per-registry identity settings (threshold from calibration), kept in DATA/identity/settings.json. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IdentityError } from '../core/index.js';
import type { ScoreKind } from './types.js';

export interface IdentitySettings {
  /** Same item when the score is at or above this. */
  threshold: number;
  scoreKind: ScoreKind;
  /** And at least this many inliers. */
  minInliers: number;
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
  threshold: 0.008,
  scoreKind: 'inlier-ratio',
  minInliers: 6,
  shortlistSize: 100,
  exhaustiveUpTo: 100,
  calibration: null,
};

export async function loadIdentitySettings(dir: string): Promise<IdentitySettings> {
  const file = path.join(dir, 'settings.json');
  if (!existsSync(file)) return { ...DEFAULT_IDENTITY_SETTINGS };
  try {
    return { ...DEFAULT_IDENTITY_SETTINGS, ...(JSON.parse(await readFile(file, 'utf8')) as Partial<IdentitySettings>) };
  } catch (err) {
    throw new IdentityError(`${file}: not valid JSON (${(err as Error).message}); fix or delete it`, { code: 'CORRUPT', cause: err });
  }
}

export async function saveIdentitySettings(dir: string, settings: IdentitySettings): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'settings.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
