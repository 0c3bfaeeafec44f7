/**
 * Measurements on generated images, used by the tests and the benchmark to check that the data
 * has the properties it claims: alignment with the known homography, normalised cross-correlation,
 * and a few spectral features of a texture.
 */
import { invertMat3, applyMat3, type Mat3 } from './view.js';

export interface Plane {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/**
 * Resamples a capture into the registered image's frame using `toRegistered` (capture pixel ->
 * registered pixel). Pixels that fall outside the capture get NaN.
 */
export function alignToRegistered(capture: Plane, toRegistered: Mat3, width: number, height: number): Float32Array {
  const inv = invertMat3(toRegistered);
  const out = new Float32Array(width * height);
  const { width: w, height: h, data } = capture;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = applyMat3(inv, x, y);
      const iu = Math.floor(u);
      const iv = Math.floor(v);
      if (iu < 0 || iv < 0 || iu >= w - 1 || iv >= h - 1) {
        out[y * width + x] = Number.NaN;
        continue;
      }
      const fu = u - iu;
      const fv = v - iv;
      const i = iv * w + iu;
      const a = data[i] + fu * (data[i + 1] - data[i]);
      const b = data[i + w] + fu * (data[i + w + 1] - data[i + w]);
      out[y * width + x] = a + fv * (b - a);
    }
  }
  return out;
}

/** Subtracts a box-blurred copy (radius r): keeps the fine texture, removes light and shading trends. */
export function highPass(data: ArrayLike<number>, w: number, h: number, r: number): Float32Array {
  const out = new Float32Array(w * h);
  const integral = new Float64Array((w + 1) * (h + 1));
  const count = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let s = 0;
    let c = 0;
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x];
      if (!Number.isNaN(v)) {
        s += v;
        c++;
      }
      integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + s;
      count[(y + 1) * (w + 1) + x + 1] = count[y * (w + 1) + x + 1] + c;
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x];
      if (Number.isNaN(v)) {
        out[y * w + x] = Number.NaN;
        continue;
      }
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      const a = (y1 * (w + 1) + x1);
      const b = (y0 * (w + 1) + x1);
      const c = (y1 * (w + 1) + x0);
      const d = (y0 * (w + 1) + x0);
      const n = count[a] - count[b] - count[c] + count[d];
      out[y * w + x] = v - (integral[a] - integral[b] - integral[c] + integral[d]) / n;
    }
  }
  return out;
}

/** Normalised cross-correlation of two equally sized planes over the pixels where both are numbers. */
export function normalisedCrossCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): { ncc: number; pixels: number } {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    sa += a[i];
    sb += b[i];
    n++;
  }
  if (n < 2) return { ncc: 0, pixels: n };
  const ma = sa / n;
  const mb = sb / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    const da = a[i] - ma;
    const db = b[i] - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return { ncc: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0, pixels: n };
}

/**
 * Mean power of the texture at each spatial period (in pixels) along x and along y: the image's
 * rows (or columns) projected onto cosines and sines of that period, averaged over the image.
 */
export function periodPower(img: Plane, periodPx: number, axis: 'x' | 'y'): number {
  const { width: w, height: h, data } = img;
  const len = axis === 'x' ? w : h;
  const lines = axis === 'x' ? h : w;
  const c = new Float64Array(len);
  const s = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    c[i] = Math.cos((2 * Math.PI * i) / periodPx);
    s[i] = Math.sin((2 * Math.PI * i) / periodPx);
  }
  let total = 0;
  for (let l = 0; l < lines; l++) {
    let mean = 0;
    for (let i = 0; i < len; i++) mean += axis === 'x' ? data[l * w + i] : data[i * w + l];
    mean /= len;
    let re = 0;
    let im = 0;
    for (let i = 0; i < len; i++) {
      const v = (axis === 'x' ? data[l * w + i] : data[i * w + l]) - mean;
      re += v * c[i];
      im += v * s[i];
    }
    total += (re * re + im * im) / (len * len);
  }
  return total / lines;
}

/** The period (pixels) with the most power among `periods`, along one axis. */
export function dominantPeriod(img: Plane, periods: number[], axis: 'x' | 'y'): number {
  let best = periods[0];
  let bestP = -Infinity;
  for (const p of periods) {
    const pw = periodPower(img, p, axis);
    if (pw > bestP) {
      bestP = pw;
      best = p;
    }
  }
  return best;
}
