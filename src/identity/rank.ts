/**
 * The 1:N / 1:1 decision over a verified shortlist, as pure functions of fingerprints and settings:
 * geometric verification of each gallery capture (best capture per part), then the decision scores
 * over all verified parts together. `IdentityService` runs them in its own thread; a server's compute
 * pool runs `rankGallery` on a worker thread, one task per request (the same calls in the same order,
 * so the same answer).
 */
import type { IdentitySettings } from './settings.js';
import type { DecisionScoreKind, FeatureSet } from './types.js';
import { cohortScores, type CohortScore } from './verify/cohort.js';
import type { AlignOptions } from './verify/align.js';
import type { MatchOptions } from './verify/match.js';
import { refinedTransform, residualScores } from './verify/texture.js';
import { steer } from './fingerprint/relight.js';
import { verifyPair, type PartialVerifyOptions, type VerifyResult } from './verify/verify.js';

export interface Candidate {
  serial: string;
  captureId: number;
  /** Decision score (`scoreKind`): the cohort-normalised S by default. */
  score: number;
  scoreKind: DecisionScoreKind;
  /** S = n_inlier / N_total as published, before cohort normalisation. */
  rawScore: number;
  inliers: number;
  /** Inliers not shared with the cohort (equals `inliers` when the decision is not cohort-normalised). */
  individualInliers: number;
  /** Other parts the score was normalised against. */
  cohortSize: number;
  /** Shortlist similarity: pose-consistent descriptor collisions per probe keypoint (ShortlistHit). */
  shortlistSimilarity: number | null;
  same: boolean;
}

/** One gallery capture to verify the probe against, in shortlist order. */
export interface GalleryEntry {
  serial: string;
  captureId: number;
  features: FeatureSet;
  similarity: number | null;
}

export interface Verified {
  serial: string;
  /** Probe and gallery fingerprints come from the same extractor version (else no decision can be made). */
  comparable: boolean;
  captureId: number;
  features: FeatureSet;
  result: VerifyResult;
  similarity: number | null;
  /** The inlier homography for the texture check, once computed (calibration decides twice over one verified set). */
  refined?: Promise<number[] | null>;
}

/** What of the identity profile the verification and the decision use. */
export interface RankProfile {
  match: Partial<MatchOptions>;
  /** Dense pose refinement of the texture check (verify/align.ts); null = keypoint pose only. */
  align: Partial<AlignOptions> | null;
  /** The residual score also tries the probe's texture under other in-plane lights (verify/texture.ts). */
  steered?: boolean;
}

/** `verifyPair`'s options for a registry's settings and profile matching. */
export function pairOptions(s: IdentitySettings, match: Partial<MatchOptions>): PartialVerifyOptions {
  return { threshold: s.threshold, scoreKind: s.scoreKind === 'inlier-min' ? 'inlier-min' : 'inlier-ratio', minInliers: s.minInliers, match };
}

/** Picks each part's best capture (by raw score) from pair results in shortlist order. */
export function bestPerPart(probe: FeatureSet, entries: GalleryEntry[], results: Array<VerifyResult | null>): Verified[] {
  const bestOf = new Map<string, Verified>();
  for (const [i, g] of entries.entries()) {
    const result = results[i];
    if (!result) continue;
    const prev = bestOf.get(g.serial);
    if (!prev || result.score.value > prev.result.score.value) bestOf.set(g.serial, { serial: g.serial, comparable: probe.extractor === g.features.extractor, captureId: g.captureId, features: g.features, result, similarity: g.similarity });
  }
  return [...bestOf.values()];
}

/** Verifies the probe against every entry, one after another in entry order; one Verified per part. */
export async function verifyGallery(probe: FeatureSet, entries: GalleryEntry[], options: PartialVerifyOptions): Promise<Verified[]> {
  const results: VerifyResult[] = [];
  for (const g of entries) results.push(await verifyPair(probe, g.features, options));
  return bestPerPart(probe, entries, results);
}

/**
 * Decision scores of verified parts, ranked: cohort-normalised inliers (`individual`), the dense
 * residual correlation with the cohort's mean texture subtracted (`residual`), or the raw pair score.
 */
export async function decideVerified(
  probe: FeatureSet,
  verified: Verified[],
  s: IdentitySettings,
  align: Partial<AlignOptions> | null = null,
  probePerpendicular: Float32Array | null = null,
): Promise<Candidate[]> {
  const cohort: CohortScore[] | null = s.scoreKind === 'individual' || s.scoreKind === 'residual' ? cohortScores(verified.map((v) => ({ serial: v.serial, result: v.result })), s.cohort) : null;
  // Cohort members: credible geometric matches, relative to the best one (parts of other moulds collect a few chance inliers).
  const most = Math.max(0, ...verified.map((v) => v.result.geometry.inliers));
  const members = verified.map((v) => v.result.geometry.inliers >= Math.max(s.cohort.minMemberInliers, s.cohort.memberFraction * most) && v.result.geometry.matrix !== null);
  let residual: number[] | null = null;
  if (s.scoreKind === 'residual' && probe.texture) {
    const entries = [];
    for (const [i, v] of verified.entries()) {
      const matrix = v.features.texture ? await (v.refined ??= refinedTransform(probe, v.features, v.result)) : null;
      entries.push({ map: v.features.texture ?? { width: 0, height: 0, scale: 1, data: new Int8Array(0) }, matrix, member: members[i] && matrix !== null });
    }
    // A texture score needs a credible pose: a candidate with fewer than minInliers inliers was
    // warped by a guess, and its correlation is chance or the mould's pattern at a wrong place
    // (development stress set, light moved 30-45 deg: look-alikes with 2-7 inliers scored up to 0.49).
    const scored = verified.map((v) => v.result.geometry.inliers >= s.minInliers);
    residual = residualScores(probe.texture, entries, { align, probePerpendicular, scored }).map((r, i) => (scored[i] ? r : 0));
  }
  // Second-best normalisation: a part's residual correlation minus the best of the other parts'.
  const margin = residual?.map((r, i) => r - Math.max(0, ...residual.filter((_, j) => j !== i)));
  return verified
    .map((v, i) => {
      const c = cohort?.[i];
      // Thin evidence counts no more than no texture score (0), so rankings and error curves see it too.
      const thin = residual !== null && thinEvidence(v.result.geometry.inliers, c?.cohortSize ?? 0);
      const score = margin ? (thin ? Math.min(0, margin[i]) : margin[i]) : c ? c.value : v.result.score.value;
      const individualInliers = c ? c.individualInliers : v.result.geometry.inliers;
      const enough = (residual ? v.result.geometry.inliers : individualInliers) >= s.minInliers && !thin;
      const same = v.comparable && score >= s.threshold && enough;
      return { serial: v.serial, captureId: v.captureId, score, scoreKind: residual ? ('residual' as const) : s.scoreKind === 'residual' ? ('individual' as const) : s.scoreKind, rawScore: v.result.score.inlierRatio, inliers: v.result.geometry.inliers, individualInliers, cohortSize: c?.cohortSize ?? 0, shortlistSimilarity: v.similarity, same };
    })
    .sort((a, b) => b.score - a.score || b.inliers - a.inliers);
}

/** Below this many other cohort members, a residual answer also needs SMALL_COHORT_MIN_INLIERS inliers. */
export const SMALL_COHORT = 3;
export const SMALL_COHORT_MIN_INLIERS = 12;

/**
 * A residual score over a cohort of fewer than SMALL_COHORT other parts rests on a template of
 * one or two siblings (or none: then it is the plain correlation, the mould's pattern included),
 * and a pose from few inliers leaves that pattern in the residual: such an answer is not evidence
 * of the part itself. 12 inliers is where the texture check's pose becomes a refitted homography
 * (texture.ts refinedTransform). (Development hard set, 300 parts of 6 moulds, 300 look-alikes:
 * the highest look-alike, 0.103, had 8 inliers and a cohort of 1; no genuine recapture of it or
 * of the 1000-part development set was identified with a cohort under 3. The demo, whose parts
 * share no mould, identifies a recapture with 16 inliers and no cohort: 20 would reject it.)
 */
export function thinEvidence(inliers: number, cohortSize: number): boolean {
  return cohortSize < SMALL_COHORT && inliers < SMALL_COHORT_MIN_INLIERS;
}

/** What `rankGallery` answers: the ranking and the pair results asked for. */
export interface GalleryRanking {
  candidates: Candidate[];
  /** Pair results (and the gallery fingerprint) of the best capture of the top candidate and of the parts named in `resultsFor`. */
  results: Array<{ serial: string; captureId: number; result: VerifyResult; features: FeatureSet }>;
}

/**
 * Verification and decision in one call (one worker task per request in the server): verifies the
 * probe against `entries` in order, decides over the verified parts, and returns the pair results
 * of the top candidate and of `resultsFor`, not every pair's (they are large and only the shown
 * ones are needed).
 */
export async function rankGallery(
  probe: FeatureSet,
  entries: GalleryEntry[],
  s: IdentitySettings,
  profile: RankProfile,
  options: { resultsFor?: string[] } = {},
): Promise<GalleryRanking> {
  const verified = await verifyGallery(probe, entries, pairOptions(s, profile.match));
  return rankVerified(probe, verified, s, profile, options);
}

/** The decision part of `rankGallery` over an already verified set. */
export async function rankVerified(probe: FeatureSet, verified: Verified[], s: IdentitySettings, profile: RankProfile, options: { resultsFor?: string[] } = {}): Promise<GalleryRanking> {
  // Steered: the probe's shading under the perpendicular light too, so a light turned in the
  // surface plane (and a relit view turned the wrong way) still correlates (verify/texture.ts).
  const t = probe.texture;
  const perpendicular = profile.steered && t && s.scoreKind === 'residual' ? await steer(Float32Array.from(t.data), t.width, t.height, 90) : null;
  const candidates = await decideVerified(probe, verified, s, profile.align, perpendicular);
  const wanted = new Set([...(candidates[0] ? [candidates[0].serial] : []), ...(options.resultsFor ?? [])]);
  const results = verified.filter((v) => wanted.has(v.serial)).map((v) => ({ serial: v.serial, captureId: v.captureId, result: v.result, features: v.features }));
  return { candidates, results };
}
