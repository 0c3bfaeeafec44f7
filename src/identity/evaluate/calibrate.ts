/**
 * Calibration: genuine and impostor score distributions -> error rates (ISO/IEC 19795 style) and a
 * threshold for a target false-match rate. Scores are "same item when score >= threshold".
 */
export interface OperatingPoint {
  /** Target false-match rate. */
  targetFmr: number;
  threshold: number;
  /** Measured FMR and FNMR at that threshold. */
  fmr: number;
  fnmr: number;
  /** False when there are too few impostor scores to measure this FMR (fewer than 1 / target). */
  measurable: boolean;
}

export interface Calibration {
  genuineCount: number;
  impostorCount: number;
  eer: number;
  /** Threshold at which FMR and FNMR are closest. */
  eerThreshold: number;
  operatingPoints: OperatingPoint[];
  /** The chosen threshold: the operating point for `targetFmr`. */
  threshold: number;
  targetFmr: number;
  /** (threshold, fmr, fnmr) at every distinct score, ascending threshold. */
  curve: Array<{ threshold: number; fmr: number; fnmr: number }>;
}

function sortedAsc(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** Count of values >= t in an ascending array. */
function countAtLeast(s: Float64Array, t: number): number {
  let lo = 0, hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return s.length - lo;
}

/** FMR and FNMR at threshold t. */
export function errorRatesAt(genuine: Float64Array, impostor: Float64Array, t: number): { fmr: number; fnmr: number } {
  return {
    fmr: impostor.length ? countAtLeast(impostor, t) / impostor.length : 0,
    fnmr: genuine.length ? 1 - countAtLeast(genuine, t) / genuine.length : 0,
  };
}

/**
 * The lowest threshold whose FMR is at most `target`: just above the impostor score at rank
 * floor(target * n) from the top (or just above the highest impostor when target * n < 1).
 */
export function thresholdForFmr(impostorSorted: Float64Array, target: number): number {
  const n = impostorSorted.length;
  if (n === 0) return 0;
  const allowed = Math.floor(target * n);
  const idx = n - 1 - allowed; // this impostor and all above must be rejected
  if (idx < 0) return impostorSorted[0];
  const v = impostorSorted[idx];
  return v + Math.max(1e-9, Math.abs(v) * 1e-9);
}

/**
 * Builds error rates and picks the threshold for `targetFmr`.
 *
 * @example
 *   const c = calibrateScores(genuineScores, impostorScores, 1e-3); // c.threshold, c.eer
 */
export function calibrateScores(genuine: number[], impostor: number[], targetFmr = 1e-3, reportFmrs = [1e-2, 1e-3, 1e-4]): Calibration {
  const g = sortedAsc(genuine);
  const im = sortedAsc(impostor);
  const thresholds = Array.from(new Set([...g, ...im, Infinity])).sort((a, b) => a - b);
  const curve = thresholds.map((t) => ({ threshold: t, ...errorRatesAt(g, im, t) }));
  let eer = 1, eerThreshold = 0, bestGap = Infinity;
  for (const p of curve) {
    const gap = Math.abs(p.fmr - p.fnmr);
    if (gap < bestGap) {
      bestGap = gap;
      eer = (p.fmr + p.fnmr) / 2;
      eerThreshold = p.threshold;
    }
  }
  const point = (target: number): OperatingPoint => {
    const threshold = thresholdForFmr(im, target);
    return { targetFmr: target, threshold, ...errorRatesAt(g, im, threshold), measurable: im.length >= 1 / target };
  };
  const operatingPoints = Array.from(new Set([...reportFmrs, targetFmr])).sort((a, b) => b - a).map(point);
  const chosen = point(targetFmr);
  return {
    genuineCount: g.length,
    impostorCount: im.length,
    eer,
    eerThreshold,
    operatingPoints,
    threshold: chosen.threshold,
    targetFmr,
    curve: curve.filter((p) => Number.isFinite(p.threshold)),
  };
}
