/**
 * ROI voting: softmax per ROI, summed per class, argmax; plus the scores the open-set rule uses
 * (from the probabilities: vote share, mean softmax; from the raw logits: mean winning logit,
 * mean logsumexp, mean cosine of the logits with the winner's axis). Pure functions on row-major
 * `[k, C]` arrays.
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
  /**
   * Mean over the ROIs of the winner's raw logit ("max-logit" score, Vaze et al. 2022); null when
   * the vote was given probabilities only.
   */
  maxLogit: number | null;
  /**
   * Mean over the ROIs of logsumexp of the logits ("energy" score: the negative free energy of
   * Liu et al. 2020, so higher means more like the training classes); null without logits.
   */
  energy: number | null;
  /**
   * Mean over the ROIs of the winner's logit divided by the L2 norm of that ROI's logit vector
   * ("logit-cosine" score: the cosine between the logits and the winner's axis, so it ignores the
   * logit scale and drops when other classes' logits are large in magnitude, of either sign);
   * null without logits.
   */
  logitCosine: number | null;
  rois: number;
}

/** The open-set scores a card can name; every one is "higher = more like a known class". */
export const OPEN_SET_METHODS = ['max-vote-share', 'max-softmax', 'max-logit', 'energy', 'logit-cosine'] as const;
export type OpenSetMethod = (typeof OPEN_SET_METHODS)[number];

/**
 * Votes over the first `k` ROIs of `[K, C]` probabilities (k <= K; default all). With the raw
 * `[K, C]` logits the probabilities came from, the vote also carries the logit scores.
 *
 * @example
 *   const v = voteRois(softmaxRows(logits, 6), 6, 16, logits); // v.index, v.confidence, v.maxLogit
 */
export function voteRois(probs: Float64Array, classes: number, k = probs.length / classes, logits?: Float32Array): Vote {
  if (k < 1 || k * classes > probs.length) throw new SourceError(`voteRois: cannot vote over ${k} ROIs of ${probs.length / classes}`, { code: 'INTERNAL' });
  if (logits && logits.length !== probs.length) throw new SourceError(`voteRois: ${logits.length} logits for ${probs.length} probabilities`, { code: 'INTERNAL' });
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
  const scores = logits ? logitScores(logits, classes, k, index) : { maxLogit: null, energy: null, logitCosine: null };
  return { index, distribution, confidence: distribution[index], voteShare: argmaxCount[index] / k, ...scores, rois: k };
}

/** Mean winner logit, mean logsumexp (max-shifted, float64) and mean winner cosine over the first k rows. */
function logitScores(logits: Float32Array, classes: number, k: number, winner: number): { maxLogit: number; energy: number; logitCosine: number } {
  let winnerSum = 0;
  let lseSum = 0;
  let cosineSum = 0;
  for (let i = 0; i < k; i++) {
    const row = i * classes;
    let max = -Infinity;
    let squares = 0;
    for (let c = 0; c < classes; c++) {
      max = Math.max(max, logits[row + c]);
      squares += logits[row + c] ** 2;
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[row + c] - max);
    lseSum += max + Math.log(s);
    winnerSum += logits[row + winner];
    cosineSum += squares > 0 ? logits[row + winner] / Math.sqrt(squares) : 0;
  }
  return { maxLogit: winnerSum / k, energy: lseSum / k, logitCosine: cosineSum / k };
}

/** The open-set score of a vote for a method (higher = more like a known class). */
export function openSetScore(vote: Pick<Vote, 'voteShare' | 'confidence' | 'maxLogit' | 'energy' | 'logitCosine'>, method: OpenSetMethod): number {
  switch (method) {
    case 'max-vote-share':
      return vote.voteShare;
    case 'max-softmax':
      return vote.confidence;
    case 'max-logit':
    case 'energy':
    case 'logit-cosine': {
      const score = method === 'max-logit' ? vote.maxLogit : method === 'energy' ? vote.energy : vote.logitCosine;
      if (score === null) throw new SourceError(`open-set method "${method}" needs the raw logits, but this vote was made from probabilities only`, { code: 'INTERNAL' });
      return score;
    }
  }
}

/** True for a name of an open-set method (CLI, API input). */
export function isOpenSetMethod(name: string): name is OpenSetMethod {
  return (OPEN_SET_METHODS as readonly string[]).includes(name);
}
