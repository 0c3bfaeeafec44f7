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
   * `shared`: a probe keypoint that is an inlier against several other parts does not count.
   * `nearest`: a probe keypoint that is an inlier against several parts counts only for the part
   * whose descriptor is clearly the closest (distance < `ratio` x the closest other part's): a
   * ratio test across the cohort, since the probe's own part shares the individual relief on top
   * of the mould's pattern.
   */
  mode: 'shared' | 'nearest';
  ratio: number;
  /**
   * A probe keypoint is shared when it is an inlier against at least max(minShared,
   * ceil(sharedFraction x other credible parts)) OTHER parts: a pattern of the mould matches most
   * siblings, while a chance coincidence of an individual keypoint with another part is rare.
   */
  sharedFraction: number;
  minShared: number;
  /** Only parts with at least this many inliers count as cohort members (their inliers are real matches, not noise). */
  minMemberInliers: number;
  /** And (residual score) at least this fraction of the most inliers any candidate has. */
  memberFraction: number;
}

export const DEFAULT_COHORT_OPTIONS: CohortOptions = { mode: 'nearest', ratio: 0.9, sharedFraction: 0.05, minShared: 1, minMemberInliers: 6, memberFraction: 0.2 };

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

/** Probe keypoint indices that are inliers of a verification (probe = image A), with their descriptor distances. */
export function probeInliers(result: VerifyResult): { index: Uint32Array; distance: Uint16Array } {
  const { pairs, distances, count } = result.matches;
  const mask = result.geometry.inlierMask;
  const index: number[] = [], distance: number[] = [];
  for (let k = 0; k < count; k++) {
    if (!mask[k]) continue;
    index.push(pairs[2 * k]);
    distance.push(distances[k]);
  }
  return { index: Uint32Array.from(index), distance: Uint16Array.from(distance) };
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
  // Per probe keypoint: how many member parts have it as an inlier, and the two smallest distances.
  const hits = new Map<number, { n: number; d1: number; d2: number }>();
  entries.forEach((_, i) => {
    if (!members[i]) return;
    const { index, distance } = inliers[i];
    for (let t = 0; t < index.length; t++) {
      const h = hits.get(index[t]) ?? { n: 0, d1: Infinity, d2: Infinity };
      h.n++;
      const d = distance[t];
      if (d < h.d1) {
        h.d2 = h.d1;
        h.d1 = d;
      } else if (d < h.d2) h.d2 = d;
      hits.set(index[t], h);
    }
  });
  const memberCount = members.filter(Boolean).length;
  return entries.map((e, i) => {
    const others = memberCount - (members[i] ? 1 : 0);
    const limit = Math.max(o.minShared, Math.ceil(o.sharedFraction * others));
    let individual = 0;
    const { index, distance } = inliers[i];
    for (let t = 0; t < index.length; t++) {
      const h = hits.get(index[t]);
      const self = members[i] ? 1 : 0;
      const elsewhere = (h?.n ?? 0) - self;
      if (o.mode === 'shared') {
        if (elsewhere < limit) individual++;
      } else if (elsewhere <= 0) individual++;
      else {
        // The closest other part: d2 when this part holds the smallest distance, else d1.
        const d = distance[t];
        const other = members[i] && d <= h!.d1 ? h!.d2 : h!.d1;
        if (d < o.ratio * other) individual++;
      }
    }
    const total = e.result.score.total;
    return { serial: e.serial, individualInliers: individual, value: total > 0 ? individual / total : 0, cohortSize: others };
  });
}
