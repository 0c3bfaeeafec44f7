/**
 * Dense refinement of a candidate's pose on the texture maps, before the residual texture score.
 *
 * Why: the keypoint pose of a recapture taken under another light rests on few inliers (8-20 on
 * the mould generator at 25-30 degrees of light change) and is off by 0.7-3 map pixels; at that
 * error the fine-texture correlation of a part with its own registration falls to the level of
 * its look-alikes (measured on the development range: with the true homographies every recapture
 * is ranked first; with the keypoint poses 6 of 200 are not). The maps themselves carry far more
 * alignment evidence than the keypoints: the mould's shared pattern covers every pixel.
 *
 * Method: the enhanced correlation coefficient (ECC, Evangelidis and Psarakis 2008; the update
 * OpenCV's findTransformECC uses) on an 8-parameter homography, started from the keypoint pose,
 * with the probe's (lightly smoothed) map as the template, sampled on every `step`-th pixel. It
 * maximises the correlation coefficient, so gain, offset and contrast changes between the two
 * captures do not move it. Measured on the development range (200 recaptures, 50 look-alikes):
 * OpenCV's ECC at 5 iterations and this one both rank every recapture first; this one takes a
 * third of the time (a quarter of the pixels, no image pyramid). A plain least-squares
 * (Lucas-Kanade) step was worse: it assumes the two maps correlate perfectly, and under another
 * light they correlate at 0.3-0.8.
 */
import { detMat3, invertMat3, mulMat3 as mul, solveSymmetric } from '../../core/index.js';
import type { TextureMap } from '../types.js';
import { applyTransform } from './geometry.js';

export interface AlignOptions {
  /** Gauss-Newton iterations (the keypoint pose is within a few map pixels; 5 converge on the development range). */
  iterations: number;
  /** Use every `step`-th pixel in both directions (2 = a quarter of the pixels). */
  step: number;
  /** Gaussian sigma (map pixels) applied to both maps before aligning: widens the basin of convergence. */
  smooth: number;
  /** Reject the refinement when it moves any corner of the probe map by more than this (map pixels). */
  maxMove: number;
}

export const DEFAULT_ALIGN_OPTIONS: AlignOptions = { iterations: 5, step: 2, smooth: 1.1, maxMove: 6 };

/** The probe side of the alignment, computed once per probe and shared by all its candidates. */
export interface AlignTemplate {
  map: TextureMap;
  options: AlignOptions;
  /** Sampled pixel coordinates (map pixels) and the template values there (z-normalised). */
  xs: Float32Array;
  ys: Float32Array;
  t: Float32Array;
  /** Coordinate normalisation: u = (x - c) / s. */
  c: [number, number];
  s: number;
}

/** Separable Gaussian blur of an int8 map to float (reflect border). */
function smoothed(map: TextureMap, sigma: number): Float32Array {
  const { width: w, height: h, data } = map;
  const src = Float32Array.from(data);
  if (sigma <= 0) return src;
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const refl = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += k[i + r] * src[y * w + refl(x + i, w)];
      tmp[y * w + x] = a;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += k[i + r] * tmp[refl(y + i, h) * w + x];
      out[y * w + x] = a;
    }
  }
  return out;
}

/** The probe's template: its smoothed map, z-normalised, on every `step`-th pixel. */
export function alignTemplate(probe: TextureMap, options: Partial<AlignOptions> = {}): AlignTemplate {
  const o = { ...DEFAULT_ALIGN_OPTIONS, ...options };
  const { width: w, height: h } = probe;
  const f = smoothed(probe, o.smooth);
  const c: [number, number] = [(w - 1) / 2, (h - 1) / 2];
  const s = Math.max(w, h) / 2;
  const xs: number[] = [], ys: number[] = [], tv: number[] = [];
  for (let y = 1; y < h - 1; y += o.step) {
    for (let x = 1; x < w - 1; x += o.step) {
      const i = y * w + x;
      xs.push(x);
      ys.push(y);
      tv.push(f[i]);
    }
  }
  const t = Float32Array.from(tv);
  let m = 0;
  for (const v of t) m += v;
  m /= t.length;
  let q = 0;
  for (const v of t) q += (v - m) ** 2;
  const sdv = Math.sqrt(q / t.length) || 1;
  for (let i = 0; i < t.length; i++) t[i] = (t[i] - m) / sdv;
  return { map: probe, options: o, xs: Float32Array.from(xs), ys: Float32Array.from(ys), t, c, s };
}

type M3 = number[];
/** The inverse, or null when `m` is (nearly) singular. */
function inverse(m: M3): M3 | null {
  const det = detMat3(m);
  return Number.isFinite(det) && Math.abs(det) >= 1e-12 ? invertMat3(m) : null;
}
/** Map pixel <-> normalised-image pixel for a map of `scale` (pixel centres, as OpenCV's resize). */
const toMap = (s: number): M3 => [s, 0, 0.5 * s - 0.5, 0, s, 0.5 * s - 0.5, 0, 0, 1];

/**
 * Refines `matrix` (probe-normalised pixels -> candidate-normalised pixels, 3x3 row-major) so that
 * the candidate's map, warped into the probe's, best matches the template. Returns the input
 * matrix when the maps hardly overlap, the system is singular, or the refinement would move the
 * view by more than `maxMove` map pixels (a wrong basin).
 *
 * @example
 *   const tpl = alignTemplate(probe.texture);
 *   const better = alignPose(tpl, candidate.texture, verified.matrix);
 */
export function alignPose(tpl: AlignTemplate, candidate: TextureMap, matrix: number[]): number[] {
  const o = tpl.options;
  const probeScale = tpl.map.scale;
  const cw = candidate.width, ch = candidate.height;
  const img = smoothed(candidate, o.smooth);
  // Work in normalised probe-map coordinates: N maps map pixels to u; W = S_c M S_p^-1 N^-1.
  const N: M3 = [1 / tpl.s, 0, -tpl.c[0] / tpl.s, 0, 1 / tpl.s, -tpl.c[1] / tpl.s, 0, 0, 1];
  const Ninv = inverse(N)!;
  const spInv = inverse(toMap(probeScale))!;
  const start = mul(mul(toMap(candidate.scale), matrix), spInv);
  let W = mul(start, Ninv);
  const n = tpl.t.length;
  const gxImg = new Float32Array(cw * ch), gyImg = new Float32Array(cw * ch);
  for (let y = 1; y < ch - 1; y++) {
    for (let x = 1; x < cw - 1; x++) {
      const i = y * cw + x;
      gxImg[i] = (img[i + 1] - img[i - 1]) / 2;
      gyImg[i] = (img[i + cw] - img[i - cw]) / 2;
    }
  }
  const iw = new Float32Array(n), J = new Float32Array(8 * n);
  const ok = new Uint8Array(n);
  for (let it = 0; it < o.iterations; it++) {
    const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = W;
    let cnt = 0, isum = 0, tsum = 0;
    for (let k = 0; k < n; k++) {
      const u = (tpl.xs[k] - tpl.c[0]) / tpl.s, v = (tpl.ys[k] - tpl.c[1]) / tpl.s;
      const z = w6 * u + w7 * v + w8;
      const x = (w0 * u + w1 * v + w2) / z, y = (w3 * u + w4 * v + w5) / z;
      if (!(x >= 1 && y >= 1 && x < cw - 2 && y < ch - 2)) {
        ok[k] = 0;
        continue;
      }
      const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
      const i = y0 * cw + x0;
      const a00 = (1 - fx) * (1 - fy), a01 = fx * (1 - fy), a10 = (1 - fx) * fy, a11 = fx * fy;
      const val = img[i] * a00 + img[i + 1] * a01 + img[i + cw] * a10 + img[i + cw + 1] * a11;
      const gx = gxImg[i] * a00 + gxImg[i + 1] * a01 + gxImg[i + cw] * a10 + gxImg[i + cw + 1] * a11;
      const gy = gyImg[i] * a00 + gyImg[i + 1] * a01 + gyImg[i + cw] * a10 + gyImg[i + cw + 1] * a11;
      iw[k] = val;
      ok[k] = 1;
      cnt++;
      isum += val;
      tsum += tpl.t[k];
      // Jacobian of the warped image with respect to the homography's 8 free entries (w8 fixed).
      const q = 1 / z, gw = -(gx * x + gy * y) * q;
      const j = 8 * k;
      J[j] = gx * u * q;
      J[j + 1] = gx * v * q;
      J[j + 2] = gx * q;
      J[j + 3] = gy * u * q;
      J[j + 4] = gy * v * q;
      J[j + 5] = gy * q;
      J[j + 6] = gw * u;
      J[j + 7] = gw * v;
    }
    if (cnt < Math.max(256, n / 4)) return matrix;
    const im = isum / cnt, tm = tsum / cnt;
    // ECC's update (Evangelidis and Psarakis 2008, as OpenCV's findTransformECC): lambda scales the
    // template to the image, so a pair that correlates at 0.3-0.8 (another light) is not pulled
    // towards the plain least-squares fit of a perfect copy.
    const H = new Float64Array(64), gi = new Float64Array(8), gt = new Float64Array(8);
    let ii = 0, it_ = 0;
    for (let k = 0; k < n; k++) {
      if (!ok[k]) continue;
      const iv = iw[k] - im, tv = tpl.t[k] - tm;
      ii += iv * iv;
      it_ += iv * tv;
      const j = 8 * k;
      for (let a = 0; a < 8; a++) {
        const ga = J[j + a];
        gi[a] += ga * iv;
        gt[a] += ga * tv;
        const row = a * 8;
        for (let c = 0; c <= a; c++) H[row + c] += ga * J[j + c];
      }
    }
    for (let a = 0; a < 8; a++) for (let c = a + 1; c < 8; c++) H[a * 8 + c] = H[c * 8 + a];
    const hgi = solveSymmetric(H, gi, 8);
    if (!hgi) return matrix;
    let iProj = 0, tProj = 0;
    for (let a = 0; a < 8; a++) {
      iProj += gi[a] * hgi[a];
      tProj += gt[a] * hgi[a];
    }
    const lambdaD = it_ - tProj;
    if (!(lambdaD > 1e-9)) return matrix;
    const lambda = (ii - iProj) / lambdaD;
    const e = new Float64Array(8);
    for (let a = 0; a < 8; a++) e[a] = lambda * gt[a] - gi[a];
    const dp = solveSymmetric(H, e, 8);
    if (!dp) return matrix;
    W = [w0 + dp[0], w1 + dp[1], w2 + dp[2], w3 + dp[3], w4 + dp[4], w5 + dp[5], w6 + dp[6], w7 + dp[7], w8];
    let step = 0;
    for (let a = 0; a < 8; a++) step = Math.max(step, Math.abs(dp[a]));
    if (step < 1e-4) break;
  }
  // Back to normalised-image pixels: M' = S_c^-1 W N S_p.
  const refined = mul(mul(inverse(toMap(candidate.scale))!, mul(W, N)), toMap(probeScale));
  const f = refined[8];
  const out = refined.map((v) => v / f);
  if (!out.every(Number.isFinite)) return matrix;
  // Guard: how far does the refinement move the probe map's corners (in candidate map pixels)?
  const endMap = mul(mul(toMap(candidate.scale), out), spInv);
  let worst = 0;
  for (const [x, y] of [[0, 0], [tpl.map.width - 1, 0], [0, tpl.map.height - 1], [tpl.map.width - 1, tpl.map.height - 1]]) {
    const p = applyTransform(start, x, y), q = applyTransform(endMap, x, y);
    worst = Math.max(worst, Math.hypot(p[0] - q[0], p[1] - q[1]));
  }
  return worst <= o.maxMove ? out : matrix;
}
