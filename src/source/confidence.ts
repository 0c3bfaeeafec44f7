/**
 * When a prediction cannot be trusted: an out-of-distribution check and a calibration of the
 * confidence, both fitted on the model's own dataset and stored in the card.
 *
 * - Input check (`card.inputCheck`): a part's ROI statistics (mean brightness of v = I/255 and the
 *   log of the ROI's standard deviation, averaged over its ROIs) against the training images of the
 *   class it is predicted to be. A z-score above the threshold, or an open-set score below its
 *   threshold, makes the answer `confidence: low` with the reason, instead of a bare 0.99.
 *   Thresholds come from the validation split (a stated share of in-distribution parts flagged).
 * - Temperature scaling (`card.calibration`): one temperature T for the logits, chosen on the
 *   validation split by the per-ROI negative log-likelihood; the calibrated confidence of a part is
 *   the mean softmax of logits / T over its ROIs. A reliability diagram shows what it gives.
 */
import { SourceError } from '../core/index.js';

/** ROI statistics of one part (before normalisation). */
export interface InputStats {
  /** Mean over the ROIs of the ROI's mean of v = I/255. */
  mean: number;
  /** Mean over the ROIs of ln(std of v + 1e-3). */
  logContrast: number;
}

export interface InputCheck {
  statistic: 'roi-mean-and-log-contrast-z';
  /** Per class: [mean, logContrast] means and standard deviations over the training parts. */
  perClass: Record<string, { mean: [number, number]; sd: [number, number] }>;
  /** Flag when the larger of the two |z| for the predicted class exceeds this. */
  threshold: number;
  /** Share of validation parts the thresholds flag (input and open-set together). */
  valFlaggedShare?: number;
  /** Open-set score (the card's openSet.method, else logit-cosine) below which a part is flagged. */
  openSetThreshold?: number;
  calibratedOn?: string;
  [key: string]: unknown;
}

/** Statistics of ROIs given as `[k, r*r]` planes of v = I/255 (before normalisation). */
export function roiStatistics(rois: Float32Array, plane: number): InputStats {
  const k = rois.length / plane;
  if (!Number.isInteger(k) || k < 1) throw new SourceError(`roiStatistics: ${rois.length} values do not split into planes of ${plane}`, { code: 'INTERNAL' });
  let meanSum = 0;
  let logSum = 0;
  for (let i = 0; i < k; i++) {
    let s = 0;
    let s2 = 0;
    for (let j = i * plane; j < (i + 1) * plane; j++) {
      s += rois[j];
      s2 += rois[j] * rois[j];
    }
    const m = s / plane;
    meanSum += m;
    logSum += Math.log(Math.sqrt(Math.max(s2 / plane - m * m, 0)) + 1e-3);
  }
  return { mean: meanSum / k, logContrast: logSum / k };
}

/** Per-class means and spreads of the statistics (spread floors: 0.01 brightness, 0.05 log contrast). */
export function fitInputStatistics(rows: Array<{ label: string; stats: InputStats }>): InputCheck['perClass'] {
  const by = new Map<string, InputStats[]>();
  for (const r of rows) by.set(r.label, [...(by.get(r.label) ?? []), r.stats]);
  const out: InputCheck['perClass'] = {};
  for (const [label, xs] of by) {
    const mu = (f: (s: InputStats) => number) => xs.reduce((a, s) => a + f(s), 0) / xs.length;
    const sd = (f: (s: InputStats) => number, m: number, floor: number) => Math.max(Math.sqrt(xs.reduce((a, s) => a + (f(s) - m) ** 2, 0) / Math.max(xs.length - 1, 1)), floor);
    const m0 = mu((s) => s.mean);
    const m1 = mu((s) => s.logContrast);
    out[label] = { mean: [m0, m1], sd: [sd((s) => s.mean, m0, 0.01), sd((s) => s.logContrast, m1, 0.05)] };
  }
  return out;
}

/** The larger |z| of the two statistics against the class's training parts (Infinity for a class never fitted). */
export function inputZ(perClass: InputCheck['perClass'], label: string, stats: InputStats): number {
  const c = perClass[label];
  if (!c) return Infinity;
  return Math.max(Math.abs(stats.mean - c.mean[0]) / c.sd[0], Math.abs(stats.logContrast - c.mean[1]) / c.sd[1]);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Thresholds from validation parts: the input z-threshold flags at most half of `maxFlagged`
 * of them, the open-set threshold the other half (so together at most `maxFlagged`).
 */
export function calibrateInputCheck(
  perClass: InputCheck['perClass'],
  val: Array<{ predicted: string; stats: InputStats; openScore: number }>,
  options: { maxFlagged?: number; calibratedOn?: string } = {},
): InputCheck {
  if (val.length === 0) throw new SourceError('calibrateInputCheck: no validation parts', { code: 'BAD_INPUT' });
  const share = (options.maxFlagged ?? 0.02) / 2;
  const zs = val.map((v) => inputZ(perClass, v.predicted, v.stats)).sort((a, b) => a - b);
  // Just above the (1 - share) quantile, never below 3 standard deviations.
  const threshold = Math.max(3, quantile(zs, 1 - share) * 1.0001);
  const scores = val.map((v) => v.openScore).sort((a, b) => a - b);
  // The largest score below which at most `share` of the parts lie.
  const openSetThreshold = scores[Math.floor(share * scores.length)] - 1e-9;
  const check: InputCheck = { statistic: 'roi-mean-and-log-contrast-z', perClass, threshold, openSetThreshold, calibratedOn: options.calibratedOn };
  check.valFlaggedShare = val.filter((v) => assessConfidence(check, v.predicted, v.stats, v.openScore).level === 'low').length / val.length;
  return check;
}

export interface ConfidenceAssessment {
  level: 'high' | 'low';
  reasons: string[];
  /** The input z-score against the predicted class. */
  inputZ: number;
}

/** `low` with every reason that applies; `high` when the check passes (or the card has none). */
export function assessConfidence(check: InputCheck | undefined, predicted: string, stats: InputStats, openScore: number): ConfidenceAssessment {
  if (!check) return { level: 'high', reasons: [], inputZ: NaN };
  const z = inputZ(check.perClass, predicted, stats);
  const reasons: string[] = [];
  if (z > check.threshold) {
    const c = check.perClass[predicted];
    reasons.push(
      c
        ? `input statistics outside the training images of ${predicted} (brightness ${stats.mean.toFixed(3)} vs ${c.mean[0].toFixed(3)} +- ${c.sd[0].toFixed(3)}, log contrast ${stats.logContrast.toFixed(2)} vs ${c.mean[1].toFixed(2)} +- ${c.sd[1].toFixed(2)}; z ${z.toFixed(1)} > ${check.threshold.toFixed(1)})`
        : `no training statistics for ${predicted}`,
    );
  }
  if (check.openSetThreshold !== undefined && openScore < check.openSetThreshold) {
    reasons.push(`model features unlike the training classes (open-set score ${openScore.toFixed(4)} < ${check.openSetThreshold.toFixed(4)})`);
  }
  return { level: reasons.length ? 'low' : 'high', reasons, inputZ: z };
}

// ---------------------------------------------------------------------------------------------
// Temperature scaling and reliability

/** Mean softmax of logits / T over a part's ROIs (`[k, C]` row-major). */
export function temperedDistribution(logits: Float32Array, classes: number, temperature: number): Float64Array {
  const k = logits.length / classes;
  const out = new Float64Array(classes);
  for (let i = 0; i < k; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c] / temperature);
    let s = 0;
    const e = new Float64Array(classes);
    for (let c = 0; c < classes; c++) s += e[c] = Math.exp(logits[i * classes + c] / temperature - max);
    for (let c = 0; c < classes; c++) out[c] += e[c] / s / k;
  }
  return out;
}

/** Part-level negative log-likelihood of the true classes at temperature T. */
export function partNll(parts: Array<{ logits: Float32Array; label: number }>, classes: number, temperature: number): number {
  let s = 0;
  for (const p of parts) s -= Math.log(Math.max(temperedDistribution(p.logits, classes, temperature)[p.label], 1e-12));
  return s / parts.length;
}

/** Per-ROI negative log-likelihood of the true classes at temperature T (every ROI one sample). */
export function roiNll(parts: Array<{ logits: Float32Array; label: number }>, classes: number, temperature: number): number {
  let s = 0;
  let n = 0;
  for (const p of parts) {
    for (let row = 0; row < p.logits.length; row += classes) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, p.logits[row + c] / temperature);
      let z = 0;
      for (let c = 0; c < classes; c++) z += Math.exp(p.logits[row + c] / temperature - max);
      s -= p.logits[row + p.label] / temperature - max - Math.log(z);
      n++;
    }
  }
  return s / n;
}

/**
 * The temperature (log grid 0.1..20, then refined) with the lowest per-ROI NLL on the given
 * parts. Per ROI, not per part: a validation split the 16-ROI vote gets entirely right would
 * otherwise drive T towards 0 (ever sharper, never wrong on those parts).
 */
export function fitTemperature(parts: Array<{ logits: Float32Array; label: number }>, classes: number): { temperature: number; nllBefore: number; nllAfter: number } {
  if (parts.length === 0) throw new SourceError('fitTemperature: no parts', { code: 'BAD_INPUT' });
  let best = 1;
  let bestNll = roiNll(parts, classes, 1);
  const nllBefore = bestNll;
  for (let step = 0.25, lo = Math.log(0.1), hi = Math.log(20); step > 0.005; step /= 4) {
    for (let x = Math.max(lo, Math.log(0.1)); x <= Math.min(hi, Math.log(20)) + 1e-12; x += step) {
      const nll = roiNll(parts, classes, Math.exp(x));
      if (nll < bestNll) [best, bestNll] = [Math.exp(x), nll];
    }
    lo = Math.log(best) - step;
    hi = Math.log(best) + step;
  }
  return { temperature: best, nllBefore, nllAfter: bestNll };
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  n: number;
  confidence: number;
  accuracy: number;
}

/** Confidence bins (equal width over [0, 1]) with their mean confidence and accuracy, and the expected calibration error. */
export function reliability(points: Array<{ confidence: number; correct: boolean }>, bins = 10): { bins: ReliabilityBin[]; ece: number } {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, i) => ({ lo: i / bins, hi: (i + 1) / bins, n: 0, confidence: 0, accuracy: 0 }));
  for (const p of points) {
    const b = out[Math.min(bins - 1, Math.floor(p.confidence * bins))];
    b.n++;
    b.confidence += p.confidence;
    b.accuracy += p.correct ? 1 : 0;
  }
  let ece = 0;
  for (const b of out) {
    if (b.n) {
      b.confidence /= b.n;
      b.accuracy /= b.n;
      ece += (b.n / Math.max(points.length, 1)) * Math.abs(b.accuracy - b.confidence);
    }
  }
  return { bins: out, ece };
}
