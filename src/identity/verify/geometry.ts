/**
 * Geometric verification: a robust transform estimate from putative pairs that keeps only the
 * pairs consistent with the layout of the others. Similarity (4 dof) by a seeded RANSAC in
 * TypeScript with a keypoint-orientation check; affine and homography through OpenCV (USAC MAGSAC).
 */
import { createRng, DisposeScope } from '../../core/index.js';
import { loadOpenCv } from '../../imaging/index.js';
import type { FeatureSet, GeometricResult, Matches, TransformModel } from '../types.js';

export interface GeometryOptions {
  model: TransformModel;
  /** Inlier threshold in normalised pixels. */
  thresholdPx: number;
  maxIterations: number;
  confidence: number;
  /** Allowed scale change of a similarity, [min, max]. */
  scaleRange: [number, number];
  /** Reject a pair whose keypoint orientations disagree with the rotation by more than this (degrees); null = off. */
  angleToleranceDeg: number | null;
  seed: number;
}

export const DEFAULT_GEOMETRY_OPTIONS: GeometryOptions = {
  model: 'similarity',
  thresholdPx: 6,
  maxIterations: 2000,
  confidence: 0.999,
  scaleRange: [0.5, 2],
  angleToleranceDeg: 20,
  seed: 1,
};

function angleDiff(a: number, b: number): number {
  let d = (a - b) % 360;
  if (d < -180) d += 360;
  if (d > 180) d -= 360;
  return Math.abs(d);
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Maps (x, y) by a 3 x 3 row-major matrix. */
export function applyTransform(m: number[], x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

interface PairPoints {
  ax: Float64Array;
  ay: Float64Array;
  bx: Float64Array;
  by: Float64Array;
  dAngle: Float64Array;
}

function pairPoints(a: FeatureSet, b: FeatureSet, m: Matches): PairPoints {
  const n = m.count;
  const p: PairPoints = { ax: new Float64Array(n), ay: new Float64Array(n), bx: new Float64Array(n), by: new Float64Array(n), dAngle: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const i = m.pairs[2 * k];
    const j = m.pairs[2 * k + 1];
    p.ax[k] = a.keypoints[2 * i];
    p.ay[k] = a.keypoints[2 * i + 1];
    p.bx[k] = b.keypoints[2 * j];
    p.by[k] = b.keypoints[2 * j + 1];
    p.dAngle[k] = b.angles[j] - a.angles[i];
  }
  return p;
}

/** Least-squares similarity (a, b, tx, ty) over the selected pairs; x' = a x - b y + tx, y' = b x + a y + ty. */
function fitSimilarity(p: PairPoints, idx: number[]): number[] | null {
  let mx = 0, my = 0, nx = 0, ny = 0;
  for (const k of idx) {
    mx += p.ax[k]; my += p.ay[k]; nx += p.bx[k]; ny += p.by[k];
  }
  const n = idx.length;
  mx /= n; my /= n; nx /= n; ny /= n;
  let sxx = 0, sa = 0, sb = 0;
  for (const k of idx) {
    const x = p.ax[k] - mx, y = p.ay[k] - my, u = p.bx[k] - nx, v = p.by[k] - ny;
    sxx += x * x + y * y;
    sa += x * u + y * v;
    sb += x * v - y * u;
  }
  if (sxx < 1e-9) return null;
  const a = sa / sxx, b = sb / sxx;
  return [a, -b, nx - (a * mx - b * my), b, a, ny - (b * mx + a * my), 0, 0, 1];
}

function countInliers(p: PairPoints, m: number[], o: GeometryOptions, mask: Uint8Array | null): number {
  const t2 = o.thresholdPx * o.thresholdPx;
  const rot = (Math.atan2(m[3], m[0]) * 180) / Math.PI;
  let count = 0;
  for (let k = 0; k < p.ax.length; k++) {
    const u = m[0] * p.ax[k] + m[1] * p.ay[k] + m[2] - p.bx[k];
    const v = m[3] * p.ax[k] + m[4] * p.ay[k] + m[5] - p.by[k];
    let ok = u * u + v * v <= t2;
    if (ok && o.angleToleranceDeg !== null) ok = angleDiff(p.dAngle[k], rot) <= o.angleToleranceDeg;
    if (ok) count++;
    if (mask) mask[k] = ok ? 1 : 0;
  }
  return count;
}

function scaleOk(m: number[], o: GeometryOptions): boolean {
  const s = Math.hypot(m[0], m[3]);
  return s >= o.scaleRange[0] && s <= o.scaleRange[1];
}

function estimateSimilarity(p: PairPoints, o: GeometryOptions): GeometricResult {
  const n = p.ax.length;
  const empty: GeometricResult = { model: 'similarity', matrix: null, inlierMask: new Uint8Array(n), inliers: 0, medianError: Number.NaN };
  if (n < 2) return empty;
  const rng = createRng(o.seed);
  let best: number[] | null = null;
  let bestCount = 0;
  let iterations = o.maxIterations;
  for (let it = 0; it < iterations; it++) {
    const i = rng.int(n);
    let j = rng.int(n - 1);
    if (j >= i) j++;
    const m = fitSimilarity(p, [i, j]);
    if (!m || !scaleOk(m, o)) continue;
    const c = countInliers(p, m, o, null);
    if (c > bestCount) {
      bestCount = c;
      best = m;
      const w = c / n;
      const need = Math.log(1 - o.confidence) / Math.log(Math.max(1e-12, 1 - w * w));
      iterations = Math.min(o.maxIterations, Math.max(50, Math.ceil(need)));
    }
  }
  if (!best || bestCount < 2) return empty;
  // Local optimisation: refit on the inliers until the count stops growing.
  const mask = new Uint8Array(n);
  countInliers(p, best, o, mask);
  for (let round = 0; round < 5; round++) {
    const idx: number[] = [];
    for (let k = 0; k < n; k++) if (mask[k]) idx.push(k);
    const refit = idx.length >= 2 ? fitSimilarity(p, idx) : null;
    if (!refit || !scaleOk(refit, o)) break;
    const trial = new Uint8Array(n);
    const c = countInliers(p, refit, o, trial);
    if (c < bestCount) break;
    const grew = c > bestCount;
    best = refit;
    bestCount = c;
    mask.set(trial);
    if (!grew) break;
  }
  return { model: 'similarity', matrix: best, inlierMask: mask, inliers: bestCount, medianError: residualMedian(p, best, mask) };
}

function residualMedian(p: PairPoints, m: number[], mask: Uint8Array): number {
  const errs: number[] = [];
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    const [x, y] = applyTransform(m, p.ax[k], p.ay[k]);
    errs.push(Math.hypot(x - p.bx[k], y - p.by[k]));
  }
  return median(errs);
}

async function estimateWithOpenCv(p: PairPoints, o: GeometryOptions): Promise<GeometricResult> {
  const n = p.ax.length;
  const minPairs = o.model === 'homography' ? 4 : 3;
  const empty: GeometricResult = { model: o.model, matrix: null, inlierMask: new Uint8Array(n), inliers: 0, medianError: Number.NaN };
  if (n < minPairs) return empty;
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const src = new Float32Array(2 * n);
  const dst = new Float32Array(2 * n);
  for (let k = 0; k < n; k++) {
    src[2 * k] = p.ax[k]; src[2 * k + 1] = p.ay[k];
    dst[2 * k] = p.bx[k]; dst[2 * k + 1] = p.by[k];
  }
  const a = scope.track(cv.matFromArray(n, 1, cv.CV_32FC2, src));
  const b = scope.track(cv.matFromArray(n, 1, cv.CV_32FC2, dst));
  const maskMat = scope.track(new cv.Mat());
  let h;
  if (o.model === 'homography') {
    h = scope.track(cv.findHomography(a, b, cv.USAC_MAGSAC, o.thresholdPx, maskMat, o.maxIterations, o.confidence));
  } else {
    h = scope.track(cv.estimateAffine2D(a, b, maskMat, cv.RANSAC, o.thresholdPx, o.maxIterations, o.confidence, 10));
  }
  if (h.empty() || h.rows === 0) return empty;
  const d = h.data64F as Float64Array;
  const m = o.model === 'homography' ? Array.from(d) : [d[0], d[1], d[2], d[3], d[4], d[5], 0, 0, 1];
  const mask = new Uint8Array(n);
  const md = maskMat.data as Uint8Array;
  let inliers = 0;
  for (let k = 0; k < n; k++) {
    mask[k] = md[k] ? 1 : 0;
    inliers += mask[k];
  }
  return { model: o.model, matrix: m, inlierMask: mask, inliers, medianError: residualMedian(p, m, mask) };
}

/**
 * Estimates the transform from A to B over the putative pairs and marks the inliers.
 * A failed estimate is a result with `matrix: null` and no inliers, not an exception.
 *
 * @example
 *   const g = await estimateTransform(a, b, matchDescriptors(a, b)); // g.inliers, g.matrix (3 x 3)
 */
export async function estimateTransform(a: FeatureSet, b: FeatureSet, matches: Matches, options: Partial<GeometryOptions> = {}): Promise<GeometricResult> {
  const o = { ...DEFAULT_GEOMETRY_OPTIONS, ...options };
  const p = pairPoints(a, b, matches);
  return o.model === 'similarity' ? estimateSimilarity(p, o) : estimateWithOpenCv(p, o);
}

/** Expresses a normalised-pixel transform in the original captures' pixels: S_b^-1 * H * S_a. */
export function toOriginalPixels(m: number[], scaleA: number, scaleB: number): number[] {
  const r = [...m];
  r[0] *= scaleA / scaleB; r[1] *= scaleA / scaleB; r[2] /= scaleB;
  r[3] *= scaleA / scaleB; r[4] *= scaleA / scaleB; r[5] /= scaleB;
  r[6] *= scaleA; r[7] *= scaleA;
  return r;
}
