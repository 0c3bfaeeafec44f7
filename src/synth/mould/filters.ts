/** Small image filters on Float32 planes (edges replicated): Gaussian blur, line (motion) blur, high-pass. */

const kernelCache = new Map<number, Float32Array>();

function gaussianKernel(sigma: number): Float32Array {
  const key = Math.round(sigma * 1000);
  const hit = kernelCache.get(key);
  if (hit) return hit;
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  kernelCache.set(key, k);
  return k;
}

function boxPass(src: Float32Array, dst: Float32Array, n: number, stride: number, lines: number, lineStride: number, radius: number): void {
  const inv = 1 / (2 * radius + 1);
  for (let l = 0; l < lines; l++) {
    const o = l * lineStride;
    let acc = 0;
    for (let i = -radius; i <= radius; i++) acc += src[o + Math.min(n - 1, Math.max(0, i)) * stride];
    for (let i = 0; i < n; i++) {
      dst[o + i * stride] = acc * inv;
      acc += src[o + Math.min(n - 1, i + radius + 1) * stride] - src[o + Math.max(0, i - radius) * stride];
    }
  }
}

/** Gaussian blur in place: an exact kernel up to sigma 2, three box passes above. */
export function gaussianBlur(img: Float32Array, w: number, h: number, sigma: number): void {
  if (!(sigma > 0.05)) return;
  const tmp = new Float32Array(img.length);
  if (sigma > 2) {
    // Three boxes of radius r have variance 3 * ((2r+1)^2 - 1) / 12.
    const r = Math.max(1, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
    for (let p = 0; p < 3; p++) {
      boxPass(img, tmp, w, 1, h, w, r);
      img.set(tmp);
    }
    for (let p = 0; p < 3; p++) {
      boxPass(img, tmp, h, w, w, 1, r);
      img.set(tmp);
    }
    return;
  }
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const taps = k.length;
  // Rows: each row copied into a padded line (edges replicated), then convolved without bounds checks.
  const line = new Float32Array(Math.max(w, h) + 2 * r);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let i = 0; i < r; i++) {
      line[i] = img[o];
      line[r + w + i] = img[o + w - 1];
    }
    line.set(img.subarray(o, o + w), r);
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < taps; i++) s += k[i] * line[x + i];
      tmp[o + x] = s;
    }
  }
  // Columns: accumulate whole rows (row-major access), edges replicated.
  img.fill(0);
  for (let i = 0; i < taps; i++) {
    const kv = k[i];
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y + i - r)) * w;
      const o = y * w;
      for (let x = 0; x < w; x++) img[o + x] += kv * tmp[sy + x];
    }
  }
}

/** Motion blur in place: the mean of samples along a streak of `length` pixels at `angleDeg` (bilinear). */
export function motionBlur(img: Float32Array, w: number, h: number, length: number, angleDeg: number): void {
  if (!(length >= 0.5)) return;
  const n = Math.max(2, Math.ceil(length) + 1);
  const a = (angleDeg * Math.PI) / 180;
  const dx = Math.cos(a);
  const dy = Math.sin(a);
  const src = new Float32Array(img);
  const offs = Array.from({ length: n }, (_, k) => (k / (n - 1) - 0.5) * length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (const t of offs) {
        const fx = Math.min(w - 1.001, Math.max(0, x + t * dx));
        const fy = Math.min(h - 1.001, Math.max(0, y + t * dy));
        const ix = fx | 0;
        const iy = fy | 0;
        const ax = fx - ix;
        const ay = fy - iy;
        const i = iy * w + ix;
        const t0 = src[i] + ax * (src[i + 1] - src[i]);
        const t1 = src[i + w] + ax * (src[i + w + 1] - src[i + w]);
        s += t0 + ay * (t1 - t0);
      }
      img[y * w + x] = s / n;
    }
  }
}

/** `img` minus its Gaussian blur of `sigma` (a new array): what lives at scales below about sigma. */
export function highPass(img: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const low = new Float32Array(img);
  gaussianBlur(low, w, h, sigma);
  const out = new Float32Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = img[i] - low[i];
  return out;
}

/** RMS of the gradient (central differences, interior pixels) of a plane. */
export function gradientRms(img: Float32Array, w: number, h: number): number {
  let s = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = (img[i + 1] - img[i - 1]) / 2;
      const gy = (img[i + w] - img[i - w]) / 2;
      s += gx * gx + gy * gy;
      n++;
    }
  }
  return Math.sqrt(s / Math.max(1, n));
}
