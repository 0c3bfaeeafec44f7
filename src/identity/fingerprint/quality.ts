/**
 * Quality gate: a capture that cannot identify is rejected, with the reason as a value, before it
 * enters the registry or a search.
 */
import { DisposeScope } from '../../core/index.js';
import { loadOpenCv, type GreyImage } from '../../imaging/index.js';
import type { QualityReport } from '../types.js';

export interface QualityOptions {
  /** Shorter side of the normalised image, pixels. */
  minSide: number;
  /** Rejected as too dark when the 99th percentile of brightness is below this. */
  darkP99: number;
  /** Rejected as too bright when the 1st percentile is above this. */
  brightP01: number;
  /** Rejected as textureless when the standard deviation is below this (grey levels). */
  minStd: number;
  /** Rejected as blurred when the variance of the Laplacian is below this. */
  minLaplacianVar: number;
  /** Rejected when fewer keypoints are found. */
  minKeypoints: number;
}

export const DEFAULT_QUALITY_OPTIONS: QualityOptions = {
  minSide: 64,
  darkP99: 24,
  brightP01: 235,
  minStd: 3,
  minLaplacianVar: 8,
  minKeypoints: 40,
};

function percentile(hist: Uint32Array, total: number, q: number): number {
  const target = q * total;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v];
    if (acc >= target) return v;
  }
  return 255;
}

function reject(reason: QualityReport['reason'], message: string, metrics: QualityReport['metrics']): QualityReport {
  return { ok: false, reason, message, metrics };
}

/**
 * Measures an 8-bit normalised capture (before extraction). `mask` limits the measurement.
 *
 * @example
 *   const q = await assessImageQuality(normalised.image); if (!q.ok) console.log(q.message);
 */
export async function assessImageQuality(img: GreyImage, mask: Uint8Array | null = null, options: Partial<QualityOptions> = {}): Promise<QualityReport> {
  const o = { ...DEFAULT_QUALITY_OPTIONS, ...options };
  const { width, height } = img;
  const metrics: QualityReport['metrics'] = { width, height, mean: 0, std: 0, laplacianVar: 0 };
  if (Math.min(width, height) < o.minSide) {
    return reject('too-small', `image is ${width}x${height} pixels after normalisation; at least ${o.minSide} on the shorter side is needed: move closer or use a higher resolution`, metrics);
  }
  const hist = new Uint32Array(256);
  let n = 0, sum = 0, sum2 = 0;
  for (let i = 0; i < img.data.length; i++) {
    if (mask && !mask[i]) continue;
    const v = img.data[i];
    hist[v]++;
    n++;
    sum += v;
    sum2 += v * v;
  }
  if (n === 0) return reject('too-small', 'the region to use is empty', metrics);
  metrics.mean = sum / n;
  metrics.std = Math.sqrt(Math.max(0, sum2 / n - metrics.mean ** 2));
  const cv = await loadOpenCv();
  {
    using scope = new DisposeScope();
    const mat = scope.track(cv.matFromArray(height, width, cv.CV_8UC1, img.data));
    const lap = scope.track(new cv.Mat());
    cv.Laplacian(mat, lap, cv.CV_32F, 1, 1, 0, cv.BORDER_REFLECT);
    const d = lap.data32F as Float32Array;
    let ls = 0, ls2 = 0, ln = 0;
    for (let y = 1; y < height - 1; y++) {
      for (let x = 1; x < width - 1; x++) {
        const i = y * width + x;
        if (mask && !mask[i]) continue;
        ls += d[i];
        ls2 += d[i] * d[i];
        ln++;
      }
    }
    metrics.laplacianVar = ln > 0 ? ls2 / ln - (ls / ln) ** 2 : 0;
  }
  const p99 = percentile(hist, n, 0.99);
  const p01 = percentile(hist, n, 0.01);
  if (p99 < o.darkP99) return reject('too-dark', `too dark: 99% of pixels are below ${p99 + 1} (limit ${o.darkP99}): add light or a longer exposure`, metrics);
  if (p01 > o.brightP01) return reject('too-bright', `too bright: 99% of pixels are above ${p01 - 1} (limit ${o.brightP01}): less light or a shorter exposure, avoid glare`, metrics);
  if (metrics.std < o.minStd) return reject('no-texture', `no texture: brightness standard deviation ${metrics.std.toFixed(2)} < ${o.minStd}: aim at the part's surface, light it from the side`, metrics);
  if (metrics.laplacianVar < o.minLaplacianVar) {
    return reject('blurred', `too blurred: variance of the Laplacian ${metrics.laplacianVar.toFixed(2)} < ${o.minLaplacianVar}: hold still and focus on the surface`, metrics);
  }
  return { ok: true, reason: null, message: 'ok', metrics };
}

/** Adds the keypoint count to an image-quality report and rejects when it is too low. */
export function checkKeypointCount(report: QualityReport, keypoints: number, options: Partial<QualityOptions> = {}): QualityReport {
  const o = { ...DEFAULT_QUALITY_OPTIONS, ...options };
  const metrics = { ...report.metrics, keypoints };
  if (!report.ok) return { ...report, metrics };
  if (keypoints < o.minKeypoints) {
    return reject('too-few-keypoints', `too few stable keypoints: ${keypoints} < ${o.minKeypoints}: move closer, focus, and light the surface from the side`, metrics);
  }
  return { ...report, metrics };
}
