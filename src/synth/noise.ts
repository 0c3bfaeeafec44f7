/**
 * Deterministic noise on the part's pixel lattice. Every value is a pure function of (seed, lattice
 * coordinate), and every filter is computed in "valid" mode over a margin, so rendering any
 * rectangle of the lattice gives exactly the same numbers as rendering a larger one and cropping.
 * That is what keeps a part's fingerprint identical across captures with different framing.
 */

/** A rectangle of the lattice: columns x0..x0+w-1, rows y0..y0+h-1 (lattice pixel indices). */
export interface Region {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

/** murmur3 finaliser. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in [0, 1) from a seed and two integer coordinates. */
export function hash2(seed: number, i: number, j: number): number {
  return mix(mix((seed ^ Math.imul(i | 0, 0x9e3779b1)) >>> 0) + Math.imul(j | 0, 0x85ebca77)) / 4294967296;
}

/** Uniform in [0, 1) from a seed and three integers (the third picks one of several values per cell). */
export function hash3(seed: number, i: number, j: number, k: number): number {
  return hash2(mix((seed + Math.imul(k | 0, 0x27d4eb2f)) >>> 0), i, j);
}

const SQRT12 = Math.sqrt(12);

/** White noise with zero mean and unit variance over a region. */
export function whiteNoise(seed: number, r: Region): Float32Array {
  const out = new Float32Array(r.w * r.h);
  const s2 = mix(seed ^ 0x5bd1e995);
  for (let y = 0; y < r.h; y++) {
    const rowSeed = mix((s2 ^ Math.imul(r.y0 + y, 0x9e3779b1)) >>> 0);
    const base = y * r.w;
    for (let x = 0; x < r.w; x++) {
      let h = (rowSeed + Math.imul(r.x0 + x, 0x85ebca77)) | 0;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      h ^= h >>> 16;
      out[base + x] = ((h >>> 0) / 4294967296 - 0.5) * SQRT12;
    }
  }
  return out;
}

/**
 * A 1-D smoothing kernel applied in passes: n binomial [1 2 1]/4 passes for small sigma
 * (sigma^2 = n/2), three box passes of width `box` for large sigma.
 */
interface Kernel1D {
  /** Half-support in pixels (a valid-mode output shrinks by 2 * radius). */
  radius: number;
  binomial: number;
  box: number;
  /** sqrt(sum of squared effective taps): the standard deviation of filtered unit white noise. */
  gain: number;
}

function convolve(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] += a[i] * b[j];
  return out;
}

const kernelCache = new Map<number, Kernel1D>();

function makeKernel(sigma: number): Kernel1D {
  const key = Math.round(sigma * 1000);
  const hit = kernelCache.get(key);
  if (hit) return hit;
  let k: Kernel1D;
  if (sigma < 0.35) k = { radius: 0, binomial: 0, box: 0, gain: 1 };
  else if (sigma <= 1.25) {
    const n = Math.max(1, Math.round(2 * sigma * sigma));
    let taps = [1];
    for (let i = 0; i < n; i++) taps = convolve(taps, [0.25, 0.5, 0.25]);
    k = { radius: n, binomial: n, box: 0, gain: Math.sqrt(taps.reduce((a, v) => a + v * v, 0)) };
  } else {
    let box = Math.round(Math.sqrt(4 * sigma * sigma + 1));
    if (box % 2 === 0) box += 1;
    const b = new Array<number>(box).fill(1 / box);
    const taps = convolve(convolve(b, b), b);
    k = { radius: (3 * (box - 1)) / 2, binomial: 0, box, gain: Math.sqrt(taps.reduce((a, v) => a + v * v, 0)) };
  }
  kernelCache.set(key, k);
  return k;
}

/**
 * In-place valid-mode filtering of a w x h buffer (row stride w): after the call, the valid result
 * occupies columns 0..w-1-2*kx.radius and rows 0..h-1-2*ky.radius. Each pass reads ahead of where
 * it writes, so no second buffer is needed.
 */
function filterInPlace(a: Float32Array, w: number, h: number, kx: Kernel1D, ky: Kernel1D): void {
  let vw = w;
  for (let p = 0; p < kx.binomial; p++) {
    vw -= 2;
    for (let y = 0; y < h; y++) {
      const si = y * w;
      for (let x = si, end = si + vw; x < end; x++) a[x] = 0.25 * (a[x] + a[x + 2]) + 0.5 * a[x + 1];
    }
  }
  if (kx.box > 0) {
    const b = kx.box;
    const inv = 1 / b;
    for (let p = 0; p < 3; p++) {
      vw -= b - 1;
      for (let y = 0; y < h; y++) {
        const si = y * w;
        let acc = 0;
        for (let i = 0; i < b; i++) acc += a[si + i];
        let prev = a[si];
        a[si] = acc * inv;
        for (let x = 1; x < vw; x++) {
          acc += a[si + x + b - 1] - prev;
          prev = a[si + x];
          a[si + x] = acc * inv;
        }
      }
    }
  }
  let vh = h;
  for (let p = 0; p < ky.binomial; p++) {
    vh -= 2;
    for (let y = 0; y < vh; y++) {
      const r0 = y * w;
      const r1 = r0 + w;
      const r2 = r1 + w;
      for (let x = 0; x < vw; x++) a[r0 + x] = 0.25 * (a[r0 + x] + a[r2 + x]) + 0.5 * a[r1 + x];
    }
  }
  if (ky.box > 0) {
    const b = ky.box;
    const inv = 1 / b;
    const acc = new Float32Array(vw);
    const prev = new Float32Array(vw);
    for (let p = 0; p < 3; p++) {
      vh -= b - 1;
      acc.fill(0);
      for (let i = 0; i < b; i++) for (let x = 0; x < vw; x++) acc[x] += a[i * w + x];
      for (let x = 0; x < vw; x++) {
        prev[x] = a[x];
        a[x] = acc[x] * inv;
      }
      for (let y = 1; y < vh; y++) {
        const add = (y + b - 1) * w;
        const oi = y * w;
        for (let x = 0; x < vw; x++) {
          const v = acc[x] + a[add + x] - prev[x];
          acc[x] = v;
          prev[x] = a[oi + x];
          a[oi + x] = v * inv;
        }
      }
    }
  }
}

/**
 * Smooth noise with zero mean and (about) unit variance: white noise blurred by a Gaussian of
 * standard deviation sigmaX, sigmaY lattice pixels. Scales of 3 pixels and more are computed on a
 * coarser lattice and interpolated, so the cost stays O(pixels) for any scale. With `target`, adds
 * `amp` times the noise into it (no new array) and returns it.
 */
export function smoothNoise(seed: number, r: Region, sigmaX: number, sigmaY: number = sigmaX, target?: Float32Array, amp = 1): Float32Array {
  const stepX = sigmaX >= 2 ? Math.max(2, Math.floor(sigmaX / 2)) : 1;
  const stepY = sigmaY >= 2 ? Math.max(2, Math.floor(sigmaY / 2)) : 1;
  if (stepX === 1 && stepY === 1) return blurredWhite(seed, r, sigmaX, sigmaY, amp, target);
  // Coarse lattice covering the region with one cell to spare for interpolation.
  const cx0 = Math.floor((r.x0 + 0.5) / stepX - 0.5);
  const cy0 = Math.floor((r.y0 + 0.5) / stepY - 0.5);
  const cx1 = Math.floor((r.x0 + r.w - 0.5) / stepX - 0.5) + 1;
  const cy1 = Math.floor((r.y0 + r.h - 0.5) / stepY - 0.5) + 1;
  const coarse = blurredWhite(seed ^ (stepX * 131 + stepY), { x0: cx0, y0: cy0, w: cx1 - cx0 + 1, h: cy1 - cy0 + 1 }, sigmaX / stepX, sigmaY / stepY, amp);
  const cw = cx1 - cx0 + 1;
  const out = target ?? new Float32Array(r.w * r.h);
  const ix = new Int32Array(r.w);
  const fx = new Float32Array(r.w);
  for (let x = 0; x < r.w; x++) {
    const c = (r.x0 + x + 0.5) / stepX - 0.5 - cx0;
    ix[x] = Math.floor(c);
    fx[x] = c - ix[x];
  }
  // Interpolate along x once per coarse row, then blend two such rows per output row.
  const rows = new Map<number, Float32Array>();
  const rowAt = (iy: number): Float32Array => {
    let row = rows.get(iy);
    if (!row) {
      row = new Float32Array(r.w);
      const base = iy * cw;
      for (let x = 0; x < r.w; x++) {
        const i = base + ix[x];
        row[x] = coarse[i] + fx[x] * (coarse[i + 1] - coarse[i]);
      }
      rows.set(iy, row);
      rows.delete(iy - 2);
    }
    return row;
  };
  for (let y = 0; y < r.h; y++) {
    const c = (r.y0 + y + 0.5) / stepY - 0.5 - cy0;
    const iy = Math.floor(c);
    const fy = c - iy;
    const a = rowAt(iy);
    const b = rowAt(iy + 1);
    const oi = y * r.w;
    for (let x = 0; x < r.w; x++) out[oi + x] += a[x] + fy * (b[x] - a[x]);
  }
  return out;
}

function blurredWhite(seed: number, r: Region, sigmaX: number, sigmaY: number, amp = 1, target?: Float32Array): Float32Array {
  const kx = makeKernel(sigmaX);
  const ky = makeKernel(sigmaY);
  const big = { x0: r.x0 - kx.radius, y0: r.y0 - ky.radius, w: r.w + 2 * kx.radius, h: r.h + 2 * ky.radius };
  const data = whiteNoise(seed, big);
  filterInPlace(data, big.w, big.h, kx, ky);
  const g = amp / (kx.gain * ky.gain);
  if (target) {
    for (let y = 0; y < r.h; y++) {
      const si = y * big.w;
      const oi = y * r.w;
      for (let x = 0; x < r.w; x++) target[oi + x] += data[si + x] * g;
    }
    return target;
  }
  if (big.w === r.w) {
    const out = data.subarray(0, r.w * r.h);
    if (g !== 1) for (let i = 0; i < out.length; i++) out[i] *= g;
    return out;
  }
  const out = new Float32Array(r.w * r.h);
  for (let y = 0; y < r.h; y++) {
    const si = y * big.w;
    const oi = y * r.w;
    for (let x = 0; x < r.w; x++) out[oi + x] = data[si + x] * g;
  }
  return out;
}

const EXP_LUT_SIZE = 1024;
const EXP_LUT_MAX = 8; // exp(-t) for t in [0, 8]
const EXP_LUT = (() => {
  const t = new Float32Array(EXP_LUT_SIZE + 1);
  for (let i = 0; i <= EXP_LUT_SIZE; i++) t[i] = Math.exp((-i * EXP_LUT_MAX) / EXP_LUT_SIZE);
  t[EXP_LUT_SIZE] = 0;
  return t;
})();

export interface BumpOptions {
  /** Cell size in lattice pixels; bumps are placed per cell so any region is reproducible. */
  cell: number;
  /** Bumps per cell (the fractional part is a probability of one more). */
  perCell: number;
  /** Radius (Gaussian sigma) range in pixels. */
  radius: [number, number];
  /** Amplitude range; each bump draws uniformly in it. */
  amplitude: [number, number];
  /** sigmaY / sigmaX (1 = round). */
  aspect?: number;
}

/**
 * Adds Gaussian bumps (grains, pores, specks) into `target` over region `r`. Bump positions and
 * sizes are hashed from the cell index, so the result does not depend on the region's framing.
 */
export function addBumps(target: Float32Array, r: Region, seed: number, o: BumpOptions): void {
  const aspect = o.aspect ?? 1;
  const maxR = o.radius[1] * Math.max(1, aspect);
  const reach = Math.ceil(2.9 * maxR);
  const c0x = Math.floor((r.x0 - reach) / o.cell);
  const c1x = Math.floor((r.x0 + r.w + reach) / o.cell);
  const c0y = Math.floor((r.y0 - reach) / o.cell);
  const c1y = Math.floor((r.y0 + r.h + reach) / o.cell);
  const maxN = Math.ceil(o.perCell);
  const scale = EXP_LUT_SIZE / EXP_LUT_MAX;
  for (let cy = c0y; cy <= c1y; cy++) {
    for (let cx = c0x; cx <= c1x; cx++) {
      for (let k = 0; k < maxN; k++) {
        if (k + 1 > o.perCell && hash3(seed, cx, cy, 100 + k) >= o.perCell - k) continue;
        const px = (cx + hash3(seed, cx, cy, 4 * k)) * o.cell - r.x0;
        const py = (cy + hash3(seed, cx, cy, 4 * k + 1)) * o.cell - r.y0;
        const rad = o.radius[0] + (o.radius[1] - o.radius[0]) * hash3(seed, cx, cy, 4 * k + 2);
        const amp = o.amplitude[0] + (o.amplitude[1] - o.amplitude[0]) * hash3(seed, cx, cy, 4 * k + 3);
        const rx = rad;
        const ry = rad * aspect;
        const ext = 2.9;
        const xa = Math.max(0, Math.ceil(px - ext * rx));
        const xb = Math.min(r.w - 1, Math.floor(px + ext * rx));
        const ya = Math.max(0, Math.ceil(py - ext * ry));
        const yb = Math.min(r.h - 1, Math.floor(py + ext * ry));
        if (xa > xb || ya > yb) continue;
        const ax = (0.5 * scale) / (rx * rx);
        const ay = (0.5 * scale) / (ry * ry);
        for (let y = ya; y <= yb; y++) {
          const dy = y + 0.5 - py;
          const ty = dy * dy * ay;
          const row = y * r.w;
          for (let x = xa; x <= xb; x++) {
            const dx = x + 0.5 - px;
            const t = dx * dx * ax + ty;
            if (t < EXP_LUT_SIZE) target[row + x] += amp * EXP_LUT[t | 0];
          }
        }
      }
    }
  }
}

/** Adds `amp * field` into target (same length). */
export function addScaled(target: Float32Array, field: Float32Array, amp: number): void {
  for (let i = 0; i < target.length; i++) target[i] += amp * field[i];
}
