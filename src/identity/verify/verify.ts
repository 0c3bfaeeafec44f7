/** The verification stage composed: FeatureSet pair -> matches -> geometry -> score -> decision. */
import { DEFAULT_GEOMETRY_OPTIONS, estimateTransform, type GeometryOptions } from './geometry.js';
import { DEFAULT_MATCH_OPTIONS, matchDescriptors, type MatchOptions } from './match.js';
import { computeScore } from './score.js';
import type { FeatureSet, GeometricResult, Matches, Score, ScoreKind } from '../types.js';

export interface VerifyOptions {
  match: MatchOptions;
  geometry: GeometryOptions;
  scoreKind: ScoreKind;
  /** Same item when score.value >= threshold. */
  threshold: number;
  /** And at least this many inliers (guards tiny feature sets). */
  minInliers: number;
}

export const DEFAULT_VERIFY_OPTIONS: VerifyOptions = {
  match: DEFAULT_MATCH_OPTIONS,
  geometry: DEFAULT_GEOMETRY_OPTIONS,
  scoreKind: 'inlier-ratio',
  threshold: 0.02,
  minInliers: 8,
};

export interface PartialVerifyOptions {
  match?: Partial<MatchOptions>;
  geometry?: Partial<GeometryOptions>;
  scoreKind?: ScoreKind;
  threshold?: number;
  minInliers?: number;
}

export interface VerifyResult {
  /** True when the two captures are judged to show the same item. */
  same: boolean;
  score: Score;
  threshold: number;
  matches: Matches;
  geometry: GeometricResult;
  /** A sentence explaining the decision. */
  reason: string;
}

/**
 * Compares two fingerprints: putative pairs, geometric verification, score and decision.
 *
 * @example
 *   const r = await verifyPair(probe.features, gallery.features, { threshold: 0.03 });
 *   console.log(r.same, r.score.value, r.score.kind);
 */
export async function verifyPair(a: FeatureSet, b: FeatureSet, options: PartialVerifyOptions = {}): Promise<VerifyResult> {
  const o: VerifyOptions = {
    ...DEFAULT_VERIFY_OPTIONS,
    ...options,
    match: { ...DEFAULT_VERIFY_OPTIONS.match, ...options.match },
    geometry: { ...DEFAULT_VERIFY_OPTIONS.geometry, ...options.geometry },
  };
  const matches = matchDescriptors(a, b, o.match);
  const geometry = await estimateTransform(a, b, matches, o.geometry);
  const score = computeScore(a, b, geometry.inliers, o.scoreKind);
  const same = score.value >= o.threshold && geometry.inliers >= o.minInliers;
  let reason: string;
  if (a.extractor !== b.extractor) reason = `fingerprints come from different extractors (${a.extractor} vs ${b.extractor}); re-extract`;
  else if (same) reason = `${geometry.inliers} inliers, score ${score.value.toFixed(4)} (${score.kind}) >= threshold ${o.threshold}`;
  else if (geometry.inliers < o.minInliers) reason = `only ${geometry.inliers} geometrically consistent pairs (< ${o.minInliers})`;
  else reason = `score ${score.value.toFixed(4)} (${score.kind}) < threshold ${o.threshold}`;
  return { same: same && a.extractor === b.extractor, score, threshold: o.threshold, matches, geometry, reason };
}
