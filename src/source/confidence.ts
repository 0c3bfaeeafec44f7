/**
 * When a prediction cannot be trusted: an out-of-distribution check and a calibration of the
 * confidence, both fitted on the model's own dataset and stored in the card.
 *
 * - Input check (`card.inputCheck`): a part's ROI statistics against the training images of the
 *   class it is predicted to be: (1) z-scores of the mean brightness of v = I/255 and the log of the
 *   ROI's standard deviation; (2) the squared Mahalanobis distance of eleven texture statistics
 *   (TEXTURE_FEATURES: brightness and contrast, skewness, kurtosis, clipped and flat-pixel shares,
 *   gradient energy relative to the variance at four scales, orientation coherence), averaged over
 *   the ROIs, to a Gaussian of the class with a shrunk covariance; (3) the open-set score of the
 *   model's logits. Any of them past its threshold makes the answer `confidence: low` with the
 *   reason, instead of a bare 0.99. A per-ROI-normalised model cannot see a brightness or contrast
 *   change, and an unseen surface can get confident logits: the image statistics see both (on NEU
 *   the brightness/contrast z alone caught 68% of the shifted copy, the texture distance all of it).
 *   Thresholds come from the validation split (each a stated share of in-distribution parts).
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
  /** Mean over the ROIs of the TEXTURE_FEATURES, in that order (square ROIs only). */
  texture?: number[];
}

/** The texture statistics of one ROI, in the order roiTextureFeatures returns them. */
export const TEXTURE_FEATURES = [
  'mean',
  'log-contrast',
  'skewness',
  'log-kurtosis',
  'log-clipped-share',
  'log-gradient-energy-1px',
  'log-gradient-energy-2px',
  'log-gradient-energy-4px',
  'log-gradient-energy-8px',
  'orientation-coherence',
  'log-flat-share',
] as const;

/**
 * TEXTURE_FEATURES of one square ROI `side x side` of v = I/255 at `offset`: moments; the share
 * of pixels at 0 or 255 (clipped) and of horizontal neighbours with equal values (flat,
 * posterised); the energy of pixel differences at 1, 2, 4 and 8 px relative to the variance (how
 * fine the texture is, independent of brightness and contrast); the coherence of the summed
 * structure tensor (0 isotropic .. 1 one direction).
 */
export function roiTextureFeatures(v: Float32Array, offset: number, side: number): number[] {
  const plane = side * side;
  let sum = 0;
  let sum2 = 0;
  for (let i = offset; i < offset + plane; i++) {
    sum += v[i];
    sum2 += v[i] * v[i];
  }
  const m = sum / plane;
  const variance = Math.max(sum2 / plane - m * m, 1e-12);
  const sd = Math.sqrt(variance);
  let m3 = 0;
  let m4 = 0;
  let clipped = 0;
  for (let i = offset; i < offset + plane; i++) {
    const d = v[i] - m;
    const d2 = d * d;
    m3 += d2 * d;
    m4 += d2 * d2;
    if (v[i] <= 1 / 255 || v[i] >= 254 / 255) clipped++;
  }
  const gradientEnergy = (step: number): number => {
    let g = 0;
    let n = 0;
    for (let y = 0; y + step < side; y++) {
      const row = offset + y * side;
      for (let x = 0; x + step < side; x++) {
        const a = v[row + x];
        const dx = v[row + x + step] - a;
        const dy = v[row + step * side + x] - a;
        g += dx * dx + dy * dy;
        n++;
      }
    }
    return Math.log(g / Math.max(n, 1) / variance + 1e-9);
  };
  let jxx = 0;
  let jyy = 0;
  let jxy = 0;
  let flat = 0;
  for (let y = 0; y + 1 < side; y++) {
    const row = offset + y * side;
    for (let x = 0; x + 1 < side; x++) {
      const a = v[row + x];
      const dx = v[row + x + 1] - a;
      const dy = v[row + side + x] - a;
      jxx += dx * dx;
      jyy += dy * dy;
      jxy += dx * dy;
      if (dx === 0) flat++;
    }
  }
  const coherence = Math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / (jxx + jyy + 1e-12);
  return [
    m,
    Math.log(sd + 1e-3),
    m3 / plane / sd ** 3,
    Math.log(m4 / plane / variance ** 2),
    Math.log(clipped / plane + 1e-3),
    gradientEnergy(1),
    gradientEnergy(2),
    gradientEnergy(4),
    gradientEnergy(8),
    coherence,
    Math.log(flat / plane + 1e-3),
  ];
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
  /** The texture distance (absent on cards calibrated before it existed). */
  texture?: TextureCheck;
  [key: string]: unknown;
}

export interface TextureCheck {
  features: string[];
  /** Per class: mean vector and the inverse of its shrunk covariance. */
  perClass: Record<string, { mean: number[]; precision: number[][] }>;
  /** Flag when the squared Mahalanobis distance to the predicted class exceeds this. */
  threshold: number;
  shrinkage?: number;
  /** Share of validation parts this threshold alone flags. */
  valShare?: number;
}

/** Statistics of ROIs given as `[k, r*r]` planes of v = I/255 (before normalisation). */
export function roiStatistics(rois: Float32Array, plane: number): InputStats {
  const k = rois.length / plane;
  if (!Number.isInteger(k) || k < 1) throw new SourceError(`roiStatistics: ${rois.length} values do not split into planes of ${plane}`, { code: 'INTERNAL' });
  const side = Math.round(Math.sqrt(plane));
  let texture: number[] | undefined;
  if (side * side === plane && side >= 9) {
    texture = new Array<number>(TEXTURE_FEATURES.length).fill(0);
    for (let i = 0; i < k; i++) roiTextureFeatures(rois, i * plane, side).forEach((f, j) => (texture![j] += f / k));
  }
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
  return { mean: meanSum / k, logContrast: logSum / k, ...(texture ? { texture } : {}) };
}

/** Inverse of a small symmetric positive-definite matrix (Gauss-Jordan with partial pivoting). */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-15) throw new SourceError('texture check: singular covariance', { code: 'BAD_INPUT' });
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c || m[r][c] === 0) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/**
 * Per class: the mean of the parts' texture vectors and the inverse of their covariance, shrunk
 * towards its diagonal by `shrinkage` (0.3: about 140 parts per class for 11 statistics) plus a
 * 1e-4 ridge (a statistic constant within a class, such as no clipping at all, stays invertible).
 */
export function fitTextureCheck(rows: Array<{ label: string; texture: number[] }>, shrinkage = 0.3): Omit<TextureCheck, 'threshold'> {
  const by = new Map<string, number[][]>();
  for (const r of rows) by.set(r.label, [...(by.get(r.label) ?? []), r.texture]);
  const perClass: TextureCheck['perClass'] = {};
  for (const [label, xs] of by) {
    if (xs.length < 3) throw new SourceError(`texture check: class ${label} has ${xs.length} training parts (needs at least 3)`, { code: 'BAD_INPUT' });
    const d = xs[0].length;
    const mean = Array.from({ length: d }, (_, j) => xs.reduce((a, x) => a + x[j], 0) / xs.length);
    const cov = Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => xs.reduce((a, x) => a + (x[i] - mean[i]) * (x[j] - mean[j]), 0) / (xs.length - 1)),
    );
    const shrunk = cov.map((row, i) => row.map((v, j) => (i === j ? v + 1e-4 : (1 - shrinkage) * v)));
    perClass[label] = { mean, precision: invert(shrunk) };
  }
  return { features: [...TEXTURE_FEATURES], perClass, shrinkage };
}

/** Squared Mahalanobis distance of a part's texture vector to a class (Infinity for a class never fitted or no texture). */
export function textureDistance(check: Pick<TextureCheck, 'perClass'>, label: string, texture: number[] | undefined): number {
  const c = check.perClass[label];
  if (!c || !texture || texture.length !== c.mean.length) return Infinity;
  const dx = texture.map((v, i) => v - c.mean[i]);
  let s = 0;
  for (let i = 0; i < dx.length; i++) for (let j = 0; j < dx.length; j++) s += dx[i] * c.precision[i][j] * dx[j];
  return s;
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
 * Thresholds from validation parts. With a texture fit: the texture distance may flag half of
 * `maxFlagged`, the brightness/contrast z and the open-set score a quarter each; without one, the
 * z and the open-set score half each (so together at most `maxFlagged`).
 */
export function calibrateInputCheck(
  perClass: InputCheck['perClass'],
  val: Array<{ predicted: string; stats: InputStats; openScore: number }>,
  options: { maxFlagged?: number; calibratedOn?: string; texture?: Omit<TextureCheck, 'threshold'> } = {},
): InputCheck {
  if (val.length === 0) throw new SourceError('calibrateInputCheck: no validation parts', { code: 'BAD_INPUT' });
  const maxFlagged = options.maxFlagged ?? 0.02;
  const share = options.texture ? maxFlagged / 4 : maxFlagged / 2;
  const zs = val.map((v) => inputZ(perClass, v.predicted, v.stats)).sort((a, b) => a - b);
  // Just above the (1 - share) quantile, never below 3 standard deviations.
  const threshold = Math.max(3, quantile(zs, 1 - share) * 1.0001);
  const scores = val.map((v) => v.openScore).sort((a, b) => a - b);
  // The largest score below which at most `share` of the parts lie.
  const openSetThreshold = scores[Math.floor(share * scores.length)] - 1e-9;
  let texture: TextureCheck | undefined;
  if (options.texture) {
    const fit = options.texture;
    const ds = val.map((v) => textureDistance(fit, v.predicted, v.stats.texture)).sort((a, b) => a - b);
    if (!Number.isFinite(ds[0])) throw new SourceError('calibrateInputCheck: validation parts without texture statistics', { code: 'BAD_INPUT' });
    // Just above the (1 - maxFlagged / 2) quantile of the validation distances (finite ones: a part
    // predicted as a class without a fit is flagged anyway).
    const finite = ds.filter(Number.isFinite);
    const t = quantile(finite, 1 - maxFlagged / 2) * 1.0001;
    texture = { ...fit, threshold: t, valShare: ds.filter((d) => d > t).length / ds.length };
  }
  const check: InputCheck = { statistic: 'roi-mean-and-log-contrast-z', perClass, threshold, openSetThreshold, calibratedOn: options.calibratedOn, ...(texture ? { texture } : {}) };
  check.valFlaggedShare = val.filter((v) => assessConfidence(check, v.predicted, v.stats, v.openScore).level === 'low').length / val.length;
  return check;
}

export interface ConfidenceAssessment {
  level: 'high' | 'low';
  reasons: string[];
  /** The input z-score against the predicted class. */
  inputZ: number;
  /** Squared Mahalanobis texture distance to the predicted class (NaN when the card has no texture check). */
  textureDistance: number;
}

/** `low` with every reason that applies; `high` when the check passes (or the card has none). */
export function assessConfidence(check: InputCheck | undefined, predicted: string, stats: InputStats, openScore: number): ConfidenceAssessment {
  if (!check) return { level: 'high', reasons: [], inputZ: NaN, textureDistance: NaN };
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
  const d = check.texture ? textureDistance(check.texture, predicted, stats.texture) : NaN;
  if (check.texture) {
    if (d > check.texture.threshold) {
      reasons.push(
        Number.isFinite(d)
          ? `surface texture unlike the training images of ${predicted} (texture distance ${d.toFixed(1)} > ${check.texture.threshold.toFixed(1)}; ${describeTexture(check.texture, predicted, stats.texture!)})`
          : `no texture statistics to compare with the training images of ${predicted}`,
      );
    }
  }
  if (check.openSetThreshold !== undefined && openScore < check.openSetThreshold) {
    reasons.push(`model features unlike the training classes (open-set score ${openScore.toFixed(4)} < ${check.openSetThreshold.toFixed(4)})`);
  }
  return { level: reasons.length ? 'low' : 'high', reasons, inputZ: z, textureDistance: d };
}

/** The statistics furthest from the class mean, in units of the class's spread (for the reason text). */
function describeTexture(check: TextureCheck, label: string, texture: number[]): string {
  const c = check.perClass[label];
  // Spread of statistic i alone: 1 / sqrt(precision[i][i]) is its conditional sd; enough to rank them.
  const z = texture.map((v, i) => ({ name: check.features[i] ?? `#${i}`, z: (v - c.mean[i]) * Math.sqrt(Math.max(c.precision[i][i], 0)) }));
  z.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  return `most off: ${z
    .slice(0, 2)
    .map((f) => `${f.name} ${f.z > 0 ? '+' : ''}${f.z.toFixed(1)}`)
    .join(', ')}`;
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
