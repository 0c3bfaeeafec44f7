/**
 * Open-set 1:N figures from per-probe outcomes: rank-1 of the mated probes (recaptures of
 * registered parts), AUC of the mated score against the best score of each non-mated probe
 * (look-alike), FNIR at a given FPIR (the threshold is set on the look-alike scores), and FPIR/FNIR
 * at a fixed decision threshold.
 */
import { quantile } from './stats.js';

export interface MatedOutcome {
  /** The true part ranked first. */
  rank1: boolean;
  /** Score of the true part (0 when it was not among the candidates, or the probe was rejected). */
  score: number;
  /** The system's own decision: identified as the true part. */
  identifiedCorrectly?: boolean;
  /** Identified as another registered part. */
  identifiedWrongly?: boolean;
}

export interface NonMatedOutcome {
  /** Best score over the gallery (0 when rejected or no candidate). */
  bestScore: number;
  /** The system's own decision: identified (a false positive). */
  identified?: boolean;
}

/** Probability that a mated score beats a non-mated one (ties count half). */
export function auc(genuine: number[], impostor: number[]): number {
  if (genuine.length === 0 || impostor.length === 0) return NaN;
  const all = [...genuine.map((v) => [v, 1] as const), ...impostor.map((v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  // Rank-sum with average ranks for ties.
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k][1] === 1) rankSum += avg;
    i = j + 1;
  }
  const g = genuine.length;
  return (rankSum - (g * (g + 1)) / 2) / (g * impostor.length);
}

export interface FnirAtFpir {
  targetFpir: number;
  /** Look-alikes whose best score exceeds the threshold, over all look-alikes. */
  fpir: number;
  fnir: number;
  threshold: number;
  /** False when target x look-alikes < 1: the threshold is then above every look-alike score (FPIR 0, an upper bound on FNIR). */
  measurable: boolean;
}

/**
 * FNIR at FPIR <= target: the threshold t is the (k+1)-th highest look-alike score with
 * k = floor(target x L), and a look-alike is accepted when its best score > t; a mated probe is
 * found when its true part is ranked first with a score > t.
 */
export function fnirAtFpir(mated: MatedOutcome[], nonMated: NonMatedOutcome[], target: number): FnirAtFpir {
  const looks = nonMated.map((n) => n.bestScore).sort((a, b) => b - a);
  const k = Math.floor(target * looks.length + 1e-9);
  const threshold = k < looks.length ? looks[k] : -Infinity;
  const fpir = looks.filter((s) => s > threshold).length / Math.max(1, looks.length);
  const found = mated.filter((m) => m.rank1 && m.score > threshold).length;
  return { targetFpir: target, fpir, fnir: 1 - found / Math.max(1, mated.length), threshold, measurable: k >= 1 };
}

export interface OpenSetSummary {
  mated: number;
  nonMated: number;
  rank1: number;
  auc: number;
  at1e3: FnirAtFpir;
  at1e2: FnirAtFpir;
  /** Share of mated probes found when 95% of the look-alikes are rejected. */
  foundAt95Rejected: number;
  /** At the system's own decision (when given). */
  decision: { fpir: number; fnir: number; wrongPart: number } | null;
  msMedian: number;
  msP95: number;
}

export function summarise(mated: MatedOutcome[], nonMated: NonMatedOutcome[], ms: number[]): OpenSetSummary {
  const hasDecision = mated.every((m) => m.identifiedCorrectly !== undefined) && nonMated.every((n) => n.identified !== undefined);
  return {
    mated: mated.length,
    nonMated: nonMated.length,
    rank1: mated.filter((m) => m.rank1).length / Math.max(1, mated.length),
    auc: auc(mated.map((m) => m.score), nonMated.map((n) => n.bestScore)),
    at1e3: fnirAtFpir(mated, nonMated, 1e-3),
    at1e2: fnirAtFpir(mated, nonMated, 1e-2),
    foundAt95Rejected: 1 - fnirAtFpir(mated, nonMated, 0.05).fnir,
    decision: hasDecision
      ? {
          fpir: nonMated.filter((n) => n.identified).length / Math.max(1, nonMated.length),
          fnir: 1 - mated.filter((m) => m.identifiedCorrectly).length / Math.max(1, mated.length),
          wrongPart: mated.filter((m) => m.identifiedWrongly).length / Math.max(1, mated.length),
        }
      : null,
    msMedian: quantile(ms, 0.5),
    msP95: quantile(ms, 0.95),
  };
}
