/** Turning an inlier count into a score. */
import type { FeatureSet, Score, ScoreKind } from '../types.js';

/**
 * S = n_inlier / N_total (N_total = feature points of both images, as published), and
 * n_inlier / min(N_A, N_B); `kind` says which one is the decision value.
 */
export function computeScore(a: FeatureSet, b: FeatureSet, inliers: number, kind: ScoreKind = 'inlier-ratio'): Score {
  const na = a.sizes.length;
  const nb = b.sizes.length;
  const total = na + nb;
  const inlierRatio = total > 0 ? inliers / total : 0;
  const inlierMin = Math.min(na, nb) > 0 ? inliers / Math.min(na, nb) : 0;
  return { value: kind === 'inlier-ratio' ? inlierRatio : inlierMin, kind, inliers, total, inlierRatio, inlierMin };
}
