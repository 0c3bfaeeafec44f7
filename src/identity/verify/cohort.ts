/**
 * Cohort normalisation of the inlier score: parts made in one mould (or one machine, one batch)
 * share most of their surface pattern, so a probe's geometrically consistent matches with a
 * registered part are evidence of THAT part only where the probe does not match other parts the
 * same way. The probe's keypoints that are inliers against several other parts of the verified
 * cohort are the shared pattern; what remains is the individual evidence:
 *
 *   S_individual = |inliers(probe, c) minus shared keypoints| / N_total
 *
 * An unregistered look-alike from the same mould matches its registered siblings on the shared
 * pattern only, so its individual score stays near zero however many raw inliers it collects.
 */
import type { VerifyResult } from './verify.js';

export interface CohortOptions {
  /**
   * A probe keypoint is shared when it is an inlier against at least max(minShared,
   * ceil(sharedFraction x other credible parts)) OTHER parts: a pattern of the mould matches most
   * siblings, while a chance coincidence of an individual keypoint with another part is rare.
   */
  sharedFraction: number;
  minShared: number;
  /** Only parts with at least this many inliers count as cohort members (their inliers are real matches, not noise). */
  minMemberInliers: number;
}

export const DEFAULT_COHORT_OPTIONS: CohortOptions = { sharedFraction: 0.05, minShared: 1, minMemberInliers: 6 };

/** One verified candidate: a part's best capture against the probe (the probe is image A of `result`). */
export interface CohortEntry {
  serial: string;
  result: VerifyResult;
}

export interface CohortScore {
  serial: string;
  /** Inliers of this part that are not shared with the cohort. */
  individualInliers: number;
  /** individualInliers / N_total (the same N_total as S). */
  value: number;
  /** Other parts whose inliers counted as the cohort. */
  cohortSize: number;
}

/** Probe keypoint indices that are inliers of a verification (probe = image A). */
export function probeInliers(result: VerifyResult): Uint32Array {
  const { pairs, count } = result.matches;
  const mask = result.geometry.inlierMask;
  const out: number[] = [];
  for (let k = 0; k < count; k++) if (mask[k]) out.push(pairs[2 * k]);
  return Uint32Array.from(out);
}

/**
 * Individual scores of every entry against the others (one entry per part; the probe is image A
 * of every result). Entries with fewer than `minMemberInliers` inliers are scored but do not
 * count as cohort members.
 *
 * @example
 *   const scores = cohortScores(verified.map((v) => ({ serial: v.serial, result: v.result })));
 */
export function cohortScores(entries: CohortEntry[], options: Partial<CohortOptions> = {}): CohortScore[] {
  const o = { ...DEFAULT_COHORT_OPTIONS, ...options };
  const inliers = entries.map((e) => probeInliers(e.result));
  const members = entries.map((e) => e.result.geometry.inliers >= o.minMemberInliers);
  // How many member parts have each probe keypoint as an inlier.
  const hits = new Map<number, number>();
  entries.forEach((_, i) => {
    if (!members[i]) return;
    for (const k of inliers[i]) hits.set(k, (hits.get(k) ?? 0) + 1);
  });
  const memberCount = members.filter(Boolean).length;
  return entries.map((e, i) => {
    const others = memberCount - (members[i] ? 1 : 0);
    const limit = Math.max(o.minShared, Math.ceil(o.sharedFraction * others));
    let individual = 0;
    for (const k of inliers[i]) {
      const elsewhere = (hits.get(k) ?? 0) - (members[i] ? 1 : 0);
      if (elsewhere < limit) individual++;
    }
    const total = e.result.score.total;
    return { serial: e.serial, individualInliers: individual, value: total > 0 ? individual / total : 0, cohortSize: others };
  });
}
