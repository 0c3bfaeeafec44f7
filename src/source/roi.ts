/**
 * ROI sampling, exactly as docs/source-spec.md section 2 says (the Python trainer implements the
 * same steps; test/e2e/roi-parity.test.ts compares the two). Small pure functions:
 * `downscaleBox` -> `sampleRois` (positions) -> `cropRoi` + `resizeBilinear` -> `normaliseRois`,
 * composed by `buildRoiTensor`.
 */
import { SourceError, createRng, type Rng } from '../core/index.js';
import { to8Bit, type GreyImage } from '../imaging/index.js';
import { roiStatistics, type InputStats } from './confidence.js';

/** The ROI part of a model card (`card.roi`). */
export interface RoiSpec {
  /** Integer downscale factor d >= 1 applied to the raw image before sampling. */
  downscale: number;
  /** ROI side r in pixels at the downscaled resolution. */
  side: number;
  /** Network input side s; crops are resized to s x s when r != s. */
  outputSize: number;
  minMeanFraction: number;
  rejectHalvingEvery: number;
  maxAttempts: number;
}

export const DEFAULT_ROI_SPEC: RoiSpec = {
  downscale: 1,
  side: 448,
  outputSize: 448,
  minMeanFraction: 0.5,
  rejectHalvingEvery: 20,
  maxAttempts: 200,
};

export interface Normalization {
  mode: 'dataset' | 'per-roi';
  mean?: number;
  std?: number;
}

/** One accepted ROI: top-left corner at the downscaled resolution, and training flips. */
export interface RoiBox {
  x: number;
  y: number;
  /** Attempts this ROI took (1 = first draw accepted). */
  attempts: number;
  hflip: boolean;
  vflip: boolean;
}

/**
 * Integer box downscale (spec 2.1): output floor(W/d) x floor(H/d), each pixel the mean of its
 * d x d block, rounded half up to 8 bit (`Math.round`), so the dataset export and inference see
 * the same 8-bit image. d = 1 returns the (8-bit) image unchanged.
 *
 * @example
 *   const small = downscaleBox(await readGreyImage('scan.png'), 4);
 */
export function downscaleBox(image: GreyImage, d: number): GreyImage {
  if (!Number.isInteger(d) || d < 1) throw new SourceError(`downscale factor must be an integer >= 1, got ${d}`, { code: 'BAD_INPUT' });
  const src = to8Bit(image);
  if (d === 1) return src;
  const w = Math.floor(src.width / d);
  const h = Math.floor(src.height / d);
  if (w < 1 || h < 1) {
    throw new SourceError(`image ${src.width}x${src.height} is smaller than the downscale factor ${d}`, { code: 'BAD_INPUT' });
  }
  const out = new Uint8Array(w * h);
  const rowSums = new Float64Array(w);
  const area = d * d;
  for (let oy = 0; oy < h; oy++) {
    rowSums.fill(0);
    for (let dy = 0; dy < d; dy++) {
      const row = (oy * d + dy) * src.width;
      for (let ox = 0; ox < w; ox++) {
        let s = 0;
        const base = row + ox * d;
        for (let dx = 0; dx < d; dx++) s += src.data[base + dx];
        rowSums[ox] += s;
      }
    }
    for (let ox = 0; ox < w; ox++) out[oy * w + ox] = Math.round(rowSums[ox] / area);
  }
  return { width: w, height: h, data: out, bitDepth: 8 };
}

/** Summed-area table of 8-bit samples, (W+1) x (H+1); exact in float64. */
function integralImage(img: GreyImage): Float64Array {
  const w = img.width;
  const sat = new Float64Array((w + 1) * (img.height + 1));
  for (let y = 0; y < img.height; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += img.data[y * w + x];
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
    }
  }
  return sat;
}

export interface SampleOptions {
  /** Name used in error messages (file name, serial). */
  name?: string;
  /** Draw flips after each acceptance (training mode); inference draws none. */
  drawFlips?: boolean;
}

/**
 * Draws K ROI positions from one mulberry32 stream (spec 2.3-2.5) on an image that is already
 * downscaled. Terminates on any image: all-dark or too-small images fail before sampling, and
 * each ROI gets at most `maxAttempts` draws.
 *
 * @example
 *   const boxes = sampleRois(downscaleBox(img, 4), { ...DEFAULT_ROI_SPEC, side: 128 }, 16, 7);
 */
export function sampleRois(image: GreyImage, spec: RoiSpec, k: number, seed: number | Rng, options: SampleOptions = {}): RoiBox[] {
  const name = options.name ?? 'image';
  const img = to8Bit(image);
  const r = spec.side;
  if (img.width < r || img.height < r) {
    throw new SourceError(`${name}: image ${img.width}x${img.height} (after downscaling) is smaller than the ROI side ${r}`, { code: 'BAD_INPUT' });
  }
  let max = 0;
  let total = 0;
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i];
    if (v > max) max = v;
    total += v;
  }
  // max(v) < 2/255 with v = I/255 on 8-bit samples is max(I) < 2.
  if (max < 2) throw new SourceError(`${name}: image is all dark (max value ${max}/255); no ROI can be sampled`, { code: 'BAD_INPUT' });
  const n = img.width * img.height;
  // Work in 0..255 units: mean(v) >= tau  <=>  sum(I) / r^2 >= minMeanFraction * mean(I).
  const tau0 = spec.minMeanFraction * (total / n);
  const sat = integralImage(img);
  const stride = img.width + 1;
  const rng = typeof seed === 'number' ? createRng(seed) : seed;
  const spanX = img.width - r + 1;
  const spanY = img.height - r + 1;
  const area = r * r;
  const boxes: RoiBox[] = [];
  for (let i = 0; i < k; i++) {
    let tau = tau0;
    let accepted: RoiBox | undefined;
    for (let attempt = 1; attempt <= spec.maxAttempts; attempt++) {
      const x = Math.floor(rng.next() * spanX);
      const y = Math.floor(rng.next() * spanY);
      const sum = sat[(y + r) * stride + x + r] - sat[y * stride + x + r] - sat[(y + r) * stride + x] + sat[y * stride + x];
      if (sum / area >= tau) {
        accepted = { x, y, attempts: attempt, hflip: false, vflip: false };
        break;
      }
      if (attempt % spec.rejectHalvingEvery === 0) tau /= 2;
    }
    if (!accepted) {
      throw new SourceError(`${name}: ROI ${i + 1} of ${k} found no region bright enough in ${spec.maxAttempts} attempts`, { code: 'BAD_INPUT' });
    }
    if (options.drawFlips) {
      accepted.hflip = rng.next() < 0.5;
      accepted.vflip = rng.next() < 0.5;
    }
    boxes.push(accepted);
  }
  return boxes;
}

/** Copies one r x r crop as float32 in [0, 1] (v = I / 255), applying its flips. Row-major. */
export function cropRoi(image: GreyImage, box: RoiBox, r: number): Float32Array {
  const img = to8Bit(image);
  const out = new Float32Array(r * r);
  for (let j = 0; j < r; j++) {
    const sy = box.vflip ? r - 1 - j : j;
    const row = (box.y + sy) * img.width + box.x;
    for (let i = 0; i < r; i++) {
      const sx = box.hflip ? r - 1 - i : i;
      out[j * r + i] = img.data[row + sx] / 255;
    }
  }
  return out;
}

/** Source index and weight for half-pixel bilinear sampling along one axis. */
function axisTaps(r: number, s: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const i0 = new Int32Array(s);
  const i1 = new Int32Array(s);
  const w = new Float64Array(s);
  for (let o = 0; o < s; o++) {
    const src = Math.min(Math.max(((o + 0.5) * r) / s - 0.5, 0), r - 1);
    const lo = Math.floor(src);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, r - 1);
    w[o] = src - lo;
  }
  return { i0, i1, w };
}

/**
 * Bilinear resize of a square r x r plane to s x s with half-pixel centres (PyTorch
 * `interpolate(bilinear, align_corners=False, antialias=False)`, OpenCV INTER_LINEAR):
 * `sx = (ox + 0.5) * r / s - 0.5`, clamped to [0, r-1]. Returns the input when r == s.
 *
 * @example
 *   const big = resizeBilinear(crop, 128, 448); // Float32Array(448 * 448)
 */
export function resizeBilinear(src: Float32Array, r: number, s: number): Float32Array {
  if (src.length !== r * r) throw new SourceError(`resizeBilinear: expected ${r * r} samples, got ${src.length}`, { code: 'INTERNAL' });
  if (r === s) return src;
  const t = axisTaps(r, s);
  const out = new Float32Array(s * s);
  for (let oy = 0; oy < s; oy++) {
    const a = t.i0[oy] * r;
    const b = t.i1[oy] * r;
    const wy = t.w[oy];
    for (let ox = 0; ox < s; ox++) {
      const x0 = t.i0[ox];
      const x1 = t.i1[ox];
      const wx = t.w[ox];
      const top = src[a + x0] * (1 - wx) + src[a + x1] * wx;
      const bottom = src[b + x0] * (1 - wx) + src[b + x1] * wx;
      out[oy * s + ox] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * Normalises a batch of K planes of `plane` samples each, in place (spec 2.7): `dataset` uses the
 * card's mean/std; `per-roi` each plane's own mean and population std (floor 1e-6).
 */
export function normaliseRois(batch: Float32Array, plane: number, norm: Normalization): Float32Array {
  if (batch.length % plane !== 0) throw new SourceError(`normaliseRois: batch length ${batch.length} is not a multiple of ${plane}`, { code: 'INTERNAL' });
  if (norm.mode === 'dataset') {
    const mean = norm.mean;
    const std = norm.std;
    if (mean === undefined || std === undefined || !(std > 0)) {
      throw new SourceError('normalization mode "dataset" needs a mean and a std > 0 in the model card', { code: 'BAD_INPUT' });
    }
    for (let i = 0; i < batch.length; i++) batch[i] = (batch[i] - mean) / std;
    return batch;
  }
  for (let start = 0; start < batch.length; start += plane) {
    let sum = 0;
    for (let i = start; i < start + plane; i++) sum += batch[i];
    const mean = sum / plane;
    let sq = 0;
    for (let i = start; i < start + plane; i++) sq += (batch[i] - mean) ** 2;
    const std = Math.max(Math.sqrt(sq / plane), 1e-6);
    for (let i = start; i < start + plane; i++) batch[i] = (batch[i] - mean) / std;
  }
  return batch;
}

export interface RoiTensor {
  /** float32 NCHW `[k, 1, s, s]`. */
  data: Float32Array;
  dims: [number, number, number, number];
  boxes: RoiBox[];
  /** Brightness and log contrast of the ROIs before normalisation (the input check's statistics). */
  stats: InputStats;
}

/**
 * The whole sampler: downscale (unless the image already is), sample K ROIs, crop, resize,
 * normalise, pack as NCHW float32 `[K, 1, outputSize, outputSize]`.
 *
 * @example
 *   const t = buildRoiTensor(img, card.roi, card.normalization, 16, 1);
 */
export function buildRoiTensor(
  image: GreyImage,
  spec: RoiSpec,
  norm: Normalization,
  k: number,
  seed: number,
  options: SampleOptions & { alreadyDownscaled?: boolean } = {},
): RoiTensor {
  const small = options.alreadyDownscaled ? to8Bit(image) : downscaleBox(image, spec.downscale);
  const boxes = sampleRois(small, spec, k, seed, options);
  const s = spec.outputSize;
  const plane = s * s;
  const data = new Float32Array(k * plane);
  boxes.forEach((box, i) => data.set(resizeBilinear(cropRoi(small, box, spec.side), spec.side, s), i * plane));
  const stats = roiStatistics(data, plane);
  normaliseRois(data, plane, norm);
  return { data, dims: [k, 1, s, s], boxes, stats };
}
