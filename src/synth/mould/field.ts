/**
 * Smooth noise whose gradient is continuous. The shading of a relief is a function of its slope,
 * so a field interpolated bilinearly from a coarse lattice (noise.ts's `smoothNoise` above 2 px)
 * would show its coarse cells as lines. Here the coarse lattice is filtered at about 1.5 coarse
 * pixels and resampled with a cubic B-spline (C2). Pure in (seed, lattice position), like noise.ts.
 */
import { smoothNoise, type Region } from '../noise.js';

function step(sigma: number): number {
  return sigma < 2 ? 1 : Math.max(2, Math.round(sigma / 1.5));
}

/** Cubic B-spline weights for fraction t at offsets -1, 0, 1, 2. */
function bspline(t: number, w: Float32Array, o: number): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[o] = (1 - 3 * t + 3 * t2 - t3) / 6;
  w[o + 1] = (4 - 6 * t2 + 3 * t3) / 6;
  w[o + 2] = (1 + 3 * t + 3 * t2 - 3 * t3) / 6;
  w[o + 3] = t3 / 6;
}

/** The B-spline lowers the variance of the coarse field; this restores about unit variance. */
const SPLINE_GAIN = 1.12;

/** Adds `amp` x smooth noise of (sigmaX, sigmaY) lattice pixels into `target` over `r`. */
export function addSmoothField(target: Float32Array, r: Region, seed: number, sigmaX: number, sigmaY: number, amp: number): void {
  const sx = step(sigmaX);
  const sy = step(sigmaY);
  if (sx === 1 && sy === 1) {
    smoothNoise(seed, r, sigmaX, sigmaY, target, amp);
    return;
  }
  const cx0 = Math.floor((r.x0 + 0.5) / sx - 0.5) - 1;
  const cy0 = Math.floor((r.y0 + 0.5) / sy - 0.5) - 1;
  const cx1 = Math.floor((r.x0 + r.w - 0.5) / sx - 0.5) + 2;
  const cy1 = Math.floor((r.y0 + r.h - 0.5) / sy - 0.5) + 2;
  const cw = cx1 - cx0 + 1;
  const ch = cy1 - cy0 + 1;
  const coarse = smoothNoise(seed ^ (sx * 7919 + sy * 104729), { x0: cx0, y0: cy0, w: cw, h: ch }, sigmaX / sx, sigmaY / sy);
  // Along x: every coarse row resampled to the output columns.
  const ix = new Int32Array(r.w);
  const wx = new Float32Array(4 * r.w);
  for (let x = 0; x < r.w; x++) {
    const c = (r.x0 + x + 0.5) / sx - 0.5 - cx0;
    ix[x] = Math.floor(c);
    bspline(c - ix[x], wx, 4 * x);
  }
  const rows = new Float32Array(ch * r.w);
  for (let j = 0; j < ch; j++) {
    const base = j * cw;
    const o = j * r.w;
    for (let x = 0; x < r.w; x++) {
      const i = base + ix[x] - 1;
      const k = 4 * x;
      rows[o + x] = wx[k] * coarse[i] + wx[k + 1] * coarse[i + 1] + wx[k + 2] * coarse[i + 2] + wx[k + 3] * coarse[i + 3];
    }
  }
  const wy = new Float32Array(4);
  const g = amp * SPLINE_GAIN;
  for (let y = 0; y < r.h; y++) {
    const c = (r.y0 + y + 0.5) / sy - 0.5 - cy0;
    const iy = Math.floor(c);
    bspline(c - iy, wy, 0);
    const a = (iy - 1) * r.w;
    const b = a + r.w;
    const d = b + r.w;
    const e = d + r.w;
    const o = y * r.w;
    for (let x = 0; x < r.w; x++) target[o + x] += g * (wy[0] * rows[a + x] + wy[1] * rows[b + x] + wy[2] * rows[d + x] + wy[3] * rows[e + x]);
  }
}
