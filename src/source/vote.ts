/**
 * ROI voting: softmax per ROI, summed per class, argmax; plus the scores the open-set rule uses.
 * Pure functions on row-major `[k, C]` arrays.
 */
import { SourceError } from '../core/index.js';

/** Row-wise softmax of `[k, C]` logits (max-subtracted, float64 inside). */
export function softmaxRows(logits: Float32Array, classes: number): Float64Array {
  if (classes < 1 || logits.length % classes !== 0) throw new SourceError(`softmaxRows: ${logits.length} logits do not split into rows of ${classes}`, { code: 'INTERNAL' });
  const out = new Float64Array(logits.length);
  for (let row = 0; row < logits.length; row += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(logits[row + c] - max);
      out[row + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[row + c] /= sum;
  }
  return out;
}

export interface Vote {
  /** Winning class index (argmax of the summed softmax; ties go to the lower index). */
  index: number;
  /** Summed softmax divided by the number of ROIs: a distribution over classes (sums to 1). */
  distribution: number[];
  /** distribution[index]: the mean softmax of the winner ("max-softmax" score). */
  confidence: number;
  /** Share of ROIs whose own argmax is the winner ("max-vote-share" score). */
  voteShare: number;
  rois: number;
}

/**
 * Votes over the first `k` ROIs of `[K, C]` probabilities (k <= K; default all).
 *
 * @example
 *   const v = voteRois(softmaxRows(logits, 6), 6); // v.index, v.distribution, v.confidence
 */
export function voteRois(probs: Float64Array, classes: number, k = probs.length / classes): Vote {
  if (k < 1 || k * classes > probs.length) throw new SourceError(`voteRois: cannot vote over ${k} ROIs of ${probs.length / classes}`, { code: 'INTERNAL' });
  const sum = new Array<number>(classes).fill(0);
  const argmaxCount = new Array<number>(classes).fill(0);
  for (let i = 0; i < k; i++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const p = probs[i * classes + c];
      sum[c] += p;
      if (p > probs[i * classes + best]) best = c;
    }
    argmaxCount[best]++;
  }
  let index = 0;
  for (let c = 1; c < classes; c++) if (sum[c] > sum[index]) index = c;
  const distribution = sum.map((s) => s / k);
  return { index, distribution, confidence: distribution[index], voteShare: argmaxCount[index] / k, rois: k };
}

/** The open-set score of a vote for a method. */
export function openSetScore(vote: Vote, method: 'max-vote-share' | 'max-softmax'): number {
  return method === 'max-vote-share' ? vote.voteShare : vote.confidence;
}
