/**
 * The classical baseline every trained source model is measured against: rotation-aware texture
 * features of each ROI (a polar power spectrum whose orientation axis is turned to the ROI's
 * dominant orientation, and rotation-invariant uniform LBP histograms), PCA, then LDA, and the
 * same ROI vote as the CNN (per-ROI class probabilities summed over the part's ROIs).
 *
 * Every feature is computed on the ROI after subtracting its own mean and dividing by its own
 * spread, so a global brightness or contrast change of the scan does not move it. No deep
 * learning, no GPU: a few seconds to tens of seconds on a CPU for a few thousand ROIs.
 */
import { SourceError } from '../core/index.js';

// ---------------------------------------------------------------------------------------------
// Features

export interface TextureFeatureOptions {
  /** Radial frequency bins of the power spectrum (log-spaced). Default 24. */
  radialBins?: number;
  /** Orientation bins over 0..180 degrees. Default 12. */
  orientationBins?: number;
  /** Radial bands, each with its own orientation profile. Default 3. */
  orientationBands?: number;
  /** LBP radii (8 samples each, rotation-invariant uniform codes: 10 bins per radius). Default [1, 2, 4]. */
  lbpRadii?: number[];
}

const DEFAULTS: Required<TextureFeatureOptions> = { radialBins: 24, orientationBins: 12, orientationBands: 3, lbpRadii: [1, 2, 4] };

interface FftPlan {
  reverse: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
}

const fftPlans = new Map<number, FftPlan>();

function fftPlan(n: number): FftPlan {
  const hit = fftPlans.get(n);
  if (hit) return hit;
  const bits = Math.log2(n);
  const reverse = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    reverse[i] = r;
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((-2 * Math.PI * i) / n);
    sin[i] = Math.sin((-2 * Math.PI * i) / n);
  }
  const plan = { reverse, cos, sin };
  fftPlans.set(n, plan);
  return plan;
}

/** In-place radix-2 complex FFT of length n (a power of two); twiddles cached per length. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n & (n - 1)) throw new SourceError(`fft: length ${n} is not a power of two`, { code: 'INTERNAL' });
  const { reverse, cos, sin } = fftPlan(n);
  for (let i = 0; i < n; i++) {
    const j = reverse[i];
    if (i < j) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let j = 0; j < half; j++) {
        const cr = cos[j * step];
        const ci = sin[j * step];
        const a = i + j;
        const b = a + half;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** The ROI minus its mean, divided by its standard deviation (floor 1e-6), as float64. */
export function standardiseRoi(roi: Float32Array): Float64Array {
  let s = 0;
  for (const v of roi) s += v;
  const m = s / roi.length;
  let s2 = 0;
  for (const v of roi) s2 += (v - m) * (v - m);
  const sd = Math.max(Math.sqrt(s2 / roi.length), 1e-6);
  const out = new Float64Array(roi.length);
  for (let i = 0; i < roi.length; i++) out[i] = (roi[i] - m) / sd;
  return out;
}

/** 2-D power spectrum of an r x r plane (Hann-windowed, zero-padded to n x n, n a power of two). */
export function powerSpectrum(plane: Float64Array, r: number): { power: Float64Array; n: number } {
  let n = 1;
  while (n < r) n <<= 1;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const w = new Float64Array(r);
  for (let i = 0; i < r; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / r);
  for (let y = 0; y < r; y++) for (let x = 0; x < r; x++) re[y * n + x] = plane[y * r + x] * w[y] * w[x];
  const rr = new Float64Array(n);
  const ri = new Float64Array(n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      rr[x] = re[y * n + x];
      ri[x] = im[y * n + x];
    }
    fft(rr, ri);
    for (let x = 0; x < n; x++) {
      re[y * n + x] = rr[x];
      im[y * n + x] = ri[x];
    }
  }
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      rr[y] = re[y * n + x];
      ri[y] = im[y * n + x];
    }
    fft(rr, ri);
    for (let y = 0; y < n; y++) {
      re[y * n + x] = rr[y];
      im[y * n + x] = ri[y];
    }
  }
  const power = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) power[i] = re[i] * re[i] + im[i] * im[i];
  return { power, n };
}

/**
 * Polar power spectrum: log power in log-spaced radial bins, and per radial band the orientation
 * profile (share of the band's power per orientation bin), circularly shifted so that the ROI's
 * dominant orientation comes first: a rotation of the part moves no feature (up to the bin width).
 */
export function polarSpectrum(power: Float64Array, n: number, options: TextureFeatureOptions = {}): number[] {
  const o = { ...DEFAULTS, ...options };
  const t = polarTable(n, o.radialBins, o.orientationBins, o.orientationBands);
  const radial = new Float64Array(o.radialBins);
  const orient = new Float64Array(o.orientationBands * o.orientationBins);
  const total = new Float64Array(o.orientationBins);
  for (let i = 0; i < n * n; i++) {
    const rb = t.radial[i];
    if (rb < 0) continue;
    const p = power[i];
    radial[rb] += p;
    orient[t.band[i] * o.orientationBins + t.orient[i]] += p;
    total[t.orient[i]] += p;
  }
  let dominant = 0;
  for (let b = 1; b < o.orientationBins; b++) if (total[b] > total[dominant]) dominant = b;
  const out: number[] = [];
  for (let b = 0; b < o.radialBins; b++) out.push(Math.log(t.radialCount[b] ? radial[b] / t.radialCount[b] + 1e-12 : 1e-12));
  for (let band = 0; band < o.orientationBands; band++) {
    let s = 0;
    for (let b = 0; b < o.orientationBins; b++) s += orient[band * o.orientationBins + b];
    for (let b = 0; b < o.orientationBins; b++) out.push(s > 0 ? orient[band * o.orientationBins + ((b + dominant) % o.orientationBins)] / s : 0);
  }
  return out;
}

interface PolarTable {
  radial: Int16Array;
  orient: Uint8Array;
  band: Uint8Array;
  radialCount: Float64Array;
}

const polarTables = new Map<string, PolarTable>();

/** Bin of every frequency of an n x n spectrum (radial -1: outside 1 <= |f| < n/2), cached per geometry. */
function polarTable(n: number, radialBins: number, orientationBins: number, bands: number): PolarTable {
  const key = `${n}/${radialBins}/${orientationBins}/${bands}`;
  const hit = polarTables.get(key);
  if (hit) return hit;
  const rMax = n / 2;
  const logMax = Math.log(rMax);
  const t: PolarTable = { radial: new Int16Array(n * n).fill(-1), orient: new Uint8Array(n * n), band: new Uint8Array(n * n), radialCount: new Float64Array(radialBins) };
  for (let y = 0; y < n; y++) {
    const fy = y < n / 2 ? y : y - n;
    for (let x = 0; x < n; x++) {
      const fx = x < n / 2 ? x : x - n;
      const rad = Math.hypot(fx, fy);
      if (rad < 1 || rad >= rMax) continue;
      const rb = Math.min(radialBins - 1, Math.floor((Math.log(rad) / logMax) * radialBins));
      let theta = Math.atan2(fy, fx);
      if (theta < 0) theta += Math.PI;
      const i = y * n + x;
      t.radial[i] = rb;
      t.radialCount[rb]++;
      t.orient[i] = Math.min(orientationBins - 1, Math.floor((theta / Math.PI) * orientationBins));
      t.band[i] = Math.min(bands - 1, Math.floor((rb * bands) / radialBins));
    }
  }
  polarTables.set(key, t);
  return t;
}

/**
 * Rotation-invariant uniform LBP (riu2, 8 neighbours at radius `radius`, nearest-pixel sampling):
 * a normalised 10-bin histogram (codes 0..8 = number of neighbours >= centre for uniform
 * patterns, 9 = non-uniform).
 */
export function lbpHistogram(plane: Float64Array, r: number, radius: number): number[] {
  const offsets = Array.from({ length: 8 }, (_, k) => {
    const a = (2 * Math.PI * k) / 8;
    return [Math.round(radius * Math.cos(a)), Math.round(-radius * Math.sin(a))];
  });
  const hist = new Float64Array(10);
  let count = 0;
  for (let y = radius; y < r - radius; y++) {
    for (let x = radius; x < r - radius; x++) {
      const c = plane[y * r + x];
      let bits = 0;
      let ones = 0;
      for (let k = 0; k < 8; k++) {
        const b = plane[(y + offsets[k][1]) * r + x + offsets[k][0]] >= c ? 1 : 0;
        bits |= b << k;
        ones += b;
      }
      let transitions = 0;
      for (let k = 0; k < 8; k++) transitions += ((bits >> k) & 1) !== ((bits >> ((k + 1) % 8)) & 1) ? 1 : 0;
      hist[transitions <= 2 ? ones : 9]++;
      count++;
    }
  }
  return Array.from(hist, (h) => (count ? h / count : 0));
}

/** Skewness and excess kurtosis of a standardised plane. */
function moments(plane: Float64Array): number[] {
  let s3 = 0;
  let s4 = 0;
  for (const v of plane) {
    s3 += v * v * v;
    s4 += v * v * v * v;
  }
  return [s3 / plane.length, s4 / plane.length - 3];
}

/** The baseline's feature vector of one r x r ROI (values 0..1, as `cropRoi` returns them). */
export function textureFeatures(roi: Float32Array, r: number, options: TextureFeatureOptions = {}): Float64Array {
  if (roi.length !== r * r) throw new SourceError(`textureFeatures: ROI has ${roi.length} values, expected ${r}x${r}`, { code: 'INTERNAL' });
  const o = { ...DEFAULTS, ...options };
  const plane = standardiseRoi(roi);
  const { power, n } = powerSpectrum(plane, r);
  const f = [...polarSpectrum(power, n, o), ...moments(plane)];
  for (const radius of o.lbpRadii) f.push(...lbpHistogram(plane, r, radius));
  return Float64Array.from(f);
}

// ---------------------------------------------------------------------------------------------
// Linear algebra (small dense symmetric matrices, row-major)

/** Eigen-decomposition of a symmetric d x d matrix by cyclic Jacobi: values descending, vectors as rows. */
export function symmetricEigen(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q] * m[p * d + q];
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * d + q] - m[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const mkp = m[k * d + p];
          const mkq = m[k * d + q];
          m[k * d + p] = c * mkp - s * mkq;
          m[k * d + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < d; k++) {
          const mpk = m[p * d + k];
          const mqk = m[q * d + k];
          m[p * d + k] = c * mpk - s * mqk;
          m[q * d + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => m[j * d + j] - m[i * d + i]);
  const values = Float64Array.from(order, (i) => m[i * d + i]);
  const vectors = new Float64Array(d * d);
  order.forEach((col, row) => {
    for (let k = 0; k < d; k++) vectors[row * d + k] = v[k * d + col];
  });
  return { values, vectors };
}

// ---------------------------------------------------------------------------------------------
// PCA + LDA classifier

export interface BaselineModel {
  classes: number;
  /** Feature mean and standard deviation (z-scoring before PCA). */
  mean: Float64Array;
  scale: Float64Array;
  /** Projection from z-scored features to the discriminant space: `dims` rows of `features` values. */
  projection: Float64Array;
  features: number;
  dims: number;
  pcaDims: number;
  /** Class centroids in the discriminant space, `[classes, dims]`. */
  centroids: Float64Array;
}

export interface FitOptions {
  /** Share of the z-scored feature variance PCA keeps (default 0.99). */
  pcaVariance?: number;
  /** Upper bound on PCA components (default 64). */
  maxPcaDims?: number;
  /** Shrinkage of the within-class scatter towards its mean eigenvalue (default 1e-3). */
  shrinkage?: number;
}

/**
 * Fits z-scoring, PCA and LDA on feature rows with integer labels 0..classes-1.
 *
 * @example
 *   const m = fitPcaLda(rows, labels, 6);
 *   const p = baselineProbabilities(m, textureFeatures(roi, 160));
 */
export function fitPcaLda(rows: Float64Array[], labels: number[], classes: number, options: FitOptions = {}): BaselineModel {
  if (rows.length !== labels.length || rows.length < classes + 1) throw new SourceError(`fitPcaLda: ${rows.length} rows for ${classes} classes`, { code: 'BAD_INPUT' });
  const f = rows[0].length;
  const n = rows.length;
  const mean = new Float64Array(f);
  const scale = new Float64Array(f);
  for (const r of rows) for (let j = 0; j < f; j++) mean[j] += r[j] / n;
  for (const r of rows) for (let j = 0; j < f; j++) scale[j] += ((r[j] - mean[j]) ** 2) / n;
  for (let j = 0; j < f; j++) scale[j] = Math.sqrt(scale[j]) || 1;
  const z = rows.map((r) => Float64Array.from(r, (v, j) => (v - mean[j]) / scale[j]));
  const cov = new Float64Array(f * f);
  for (const r of z) for (let i = 0; i < f; i++) for (let j = i; j < f; j++) cov[i * f + j] += r[i] * r[j];
  for (let i = 0; i < f; i++) for (let j = i; j < f; j++) cov[j * f + i] = cov[i * f + j] /= n;
  const pca = symmetricEigen(cov, f);
  const totalVar = pca.values.reduce((s, v) => s + Math.max(v, 0), 0);
  let p = 0;
  for (let acc = 0; p < Math.min(f, options.maxPcaDims ?? 64, n - 1) && acc < (options.pcaVariance ?? 0.99) * totalVar; p++) acc += Math.max(pca.values[p], 0);
  const project = (r: Float64Array, basis: Float64Array, dims: number, width: number) => {
    const out = new Float64Array(dims);
    for (let k = 0; k < dims; k++) {
      let s = 0;
      for (let j = 0; j < width; j++) s += basis[k * width + j] * r[j];
      out[k] = s;
    }
    return out;
  };
  const y = z.map((r) => project(r, pca.vectors, p, f));
  // Within- and between-class scatter in PCA space.
  const centroid = Array.from({ length: classes }, () => new Float64Array(p));
  const count = new Float64Array(classes);
  y.forEach((r, i) => {
    count[labels[i]]++;
    for (let j = 0; j < p; j++) centroid[labels[i]][j] += r[j];
  });
  for (let c = 0; c < classes; c++) {
    if (!count[c]) throw new SourceError(`fitPcaLda: class ${c} has no rows`, { code: 'BAD_INPUT' });
    for (let j = 0; j < p; j++) centroid[c][j] /= count[c];
  }
  const sw = new Float64Array(p * p);
  y.forEach((r, i) => {
    const m = centroid[labels[i]];
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) sw[a * p + b] += (r[a] - m[a]) * (r[b] - m[b]);
  });
  let trace = 0;
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) sw[b * p + a] = sw[a * p + b] /= n;
    trace += sw[a * p + a];
  }
  const shrink = (options.shrinkage ?? 1e-3) * (trace / p);
  for (let a = 0; a < p; a++) sw[a * p + a] += shrink;
  // Whiten the within-class scatter: W = D^-1/2 E, then eigen of W Sb W^T.
  const swe = symmetricEigen(sw, p);
  const white = new Float64Array(p * p);
  for (let k = 0; k < p; k++) for (let j = 0; j < p; j++) white[k * p + j] = swe.vectors[k * p + j] / Math.sqrt(Math.max(swe.values[k], 1e-12));
  const wc = centroid.map((c) => project(c, white, p, p));
  const gm = new Float64Array(p);
  wc.forEach((c, i) => {
    for (let j = 0; j < p; j++) gm[j] += (c[j] * count[i]) / n;
  });
  const sb = new Float64Array(p * p);
  wc.forEach((c, i) => {
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) sb[a * p + b] += (count[i] / n) * (c[a] - gm[a]) * (c[b] - gm[b]);
  });
  const lda = symmetricEigen(sb, p);
  const dims = Math.min(classes - 1, p);
  // projection = V_lda[:dims] . white . V_pca[:p]  (from z-scored features)
  const wp = new Float64Array(dims * p);
  for (let k = 0; k < dims; k++) for (let j = 0; j < p; j++) for (let i = 0; i < p; i++) wp[k * p + j] += lda.vectors[k * p + i] * white[i * p + j];
  const projection = new Float64Array(dims * f);
  for (let k = 0; k < dims; k++) for (let j = 0; j < f; j++) for (let i = 0; i < p; i++) projection[k * f + j] += wp[k * p + i] * pca.vectors[i * f + j];
  const centroids = new Float64Array(classes * dims);
  for (let c = 0; c < classes; c++) centroids.set(project(project(centroid[c], white, p, p), lda.vectors, dims, p), c * dims);
  return { classes, mean, scale, projection, features: f, dims, pcaDims: p, centroids };
}

/** A feature row in the discriminant space. */
export function discriminantCoordinates(model: BaselineModel, features: Float64Array): Float64Array {
  const out = new Float64Array(model.dims);
  for (let k = 0; k < model.dims; k++) {
    let s = 0;
    for (let j = 0; j < model.features; j++) s += model.projection[k * model.features + j] * ((features[j] - model.mean[j]) / model.scale[j]);
    out[k] = s;
  }
  return out;
}

/**
 * Class probabilities of one ROI: the LDA posterior with equal priors (softmax of minus half the
 * squared distance to each class centroid in the whitened discriminant space).
 */
export function baselineProbabilities(model: BaselineModel, features: Float64Array): Float64Array {
  const z = discriminantCoordinates(model, features);
  const logits = new Float64Array(model.classes);
  for (let c = 0; c < model.classes; c++) {
    let d2 = 0;
    for (let k = 0; k < model.dims; k++) d2 += (z[k] - model.centroids[c * model.dims + k]) ** 2;
    logits[c] = -0.5 * d2;
  }
  const max = Math.max(...logits);
  let s = 0;
  for (let c = 0; c < model.classes; c++) s += logits[c] = Math.exp(logits[c] - max);
  for (let c = 0; c < model.classes; c++) logits[c] /= s;
  return logits;
}
