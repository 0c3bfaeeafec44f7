/**
 * A part's surface on its pixel lattice: relief, reflectance and material coverage, then shaded
 * under a directional light into radiance (about 0.4 on the part, less on the background).
 */
import { designSdf, serialBoxMm, serialDigits, serialSdf, windowCentreMm } from './geometry.js';
import { addBumps, smoothNoise, type Region } from './noise.js';
import { addFdm, addFingerprint, addGrid, addMjf, type SurfaceLayers } from './process.js';
import type { PartSpec } from './types.js';

/** Reflectance of the black parts and of the scanner background, as radiance under flat light. */
export const PART_REFLECTANCE = 0.42;
export const BACKGROUND_REFLECTANCE = 0.06;

export interface Surface extends SurfaceLayers {
  /** Material coverage 0..1 (0 = background or hole). */
  mask: Float32Array;
}

const EDGE_MM = 0.12;
const DEBOSS_UM = 300;

/** Renders the surface of `part` over lattice region `r` at `p` micrometres per pixel. */
export function renderSurface(part: PartSpec, r: Region, p: number): Surface {
  const n = r.w * r.h;
  const s: Surface = { r, p, height: new Float32Array(n), albedo: new Float32Array(n).fill(1), mask: new Float32Array(n) };
  const process = part.machine.process;
  if (process === 'FDM') addFdm(s, part, windowCentreMm(part.design)[0] * 1000 + 1700);
  else if (process === 'MJF') addMjf(s, part);
  else addGrid(s, part);
  addFingerprint(s, part);
  addGeometry(s, part);
  const b = part.tray.brightness;
  if (b !== 1) for (let i = 0; i < n; i++) s.albedo[i] *= b;
  return s;
}

/** Outline, holes, rounded edges and the debossed serial; writes mask and lowers relief at edges. */
function addGeometry(s: Surface, part: PartSpec): void {
  const { r, p, height, albedo, mask } = s;
  const B = 32;
  const pxMm = p / 1000;
  const halfDiag = B * pxMm * 0.7072;
  const digits = serialDigits(part.serial);
  const [sx0, sy0, sx1, sy1] = serialBoxMm(part.design);
  for (let by = 0; by < r.h; by += B) {
    for (let bx = 0; bx < r.w; bx += B) {
      const bw = Math.min(B, r.w - bx);
      const bh = Math.min(B, r.h - by);
      const cxMm = (r.x0 + bx + bw / 2) * pxMm;
      const cyMm = (r.y0 + by + bh / 2) * pxMm;
      const d = designSdf(part.design, cxMm, cyMm);
      const nearSerial = cxMm + halfDiag > sx0 && cxMm - halfDiag < sx1 && cyMm + halfDiag > sy0 && cyMm - halfDiag < sy1;
      if (d < -(halfDiag + EDGE_MM + pxMm) && !nearSerial) {
        for (let y = by; y < by + bh; y++) mask.fill(1, y * r.w + bx, y * r.w + bx + bw);
        continue;
      }
      if (d > halfDiag + pxMm) continue; // all background (mask stays 0)
      for (let y = by; y < by + bh; y++) {
        const yMm = (r.y0 + y + 0.5) * pxMm;
        for (let x = bx; x < bx + bw; x++) {
          const xMm = (r.x0 + x + 0.5) * pxMm;
          const i = y * r.w + x;
          const sd = designSdf(part.design, xMm, yMm);
          mask[i] = Math.max(0, Math.min(1, 0.5 - sd / pxMm));
          if (sd > -EDGE_MM) {
            const t = Math.min(1, (sd + EDGE_MM) / EDGE_MM);
            height[i] -= 90 * t * t;
          }
          if (nearSerial) {
            const ss = serialSdf(part.design, digits, xMm, yMm);
            if (ss < 0.03) {
              const t = Math.max(0, Math.min(1, (0.03 - ss) / 0.06));
              height[i] -= DEBOSS_UM * t;
              albedo[i] -= 0.12 * t;
            }
          }
        }
      }
    }
  }
}

/** Share of the directional lamp in the relief shading (the rest is symmetric). */
const DIRECTIONAL = 0.3;

export interface Light {
  azimuthDeg: number;
  elevationDeg: number;
}

/**
 * Lambertian shading of the relief under a directional light (azimuth measured in the lattice
 * frame), times reflectance; background where the mask is 0. Returns radiance over the region
 * shrunk by one pixel on every side (the gradient needs neighbours).
 */
export function shadeSurface(s: Surface, light: Light, backgroundSeed: number): { r: Region; data: Float32Array } {
  const { r, p, height, albedo, mask } = s;
  const az = (light.azimuthDeg * Math.PI) / 180;
  const el = (light.elevationDeg * Math.PI) / 180;
  const lx = Math.cos(az) * Math.cos(el);
  const ly = Math.sin(az) * Math.cos(el);
  const lz = Math.sin(el);
  const out: Region = { x0: r.x0 + 1, y0: r.y0 + 1, w: r.w - 2, h: r.h - 2 };
  const data = new Float32Array(out.w * out.h);
  const bg = smoothNoise(backgroundSeed, out, 40, 40);
  addBumps(bg, out, backgroundSeed + 1, { cell: 400, perCell: 0.3, radius: [1, 3], amplitude: [0.5, 3] });
  const inv2p = 1 / (2 * p);
  for (let y = 0; y < out.h; y++) {
    for (let x = 0; x < out.w; x++) {
      const i = (y + 1) * r.w + x + 1;
      const gx = (height[i + 1] - height[i - 1]) * inv2p;
      const gy = (height[i + r.w] - height[i - r.w]) * inv2p;
      // A flatbed lights the glass from both sides of the scan line, one lamp stronger: a symmetric
      // part (slope magnitude, the same for any direction) plus a directional part.
      const inv = 1 / Math.sqrt(1 + gx * gx + gy * gy);
      const along = -gx * lx - gy * ly;
      const a = Math.max(0, (along + lz) * inv);
      const b = Math.max(0, (lz - along) * inv);
      const shade = 0.3 + (0.7 / lz) * (DIRECTIONAL * a + ((1 - DIRECTIONAL) / 2) * (a + b));
      const partR = PART_REFLECTANCE * albedo[i] * shade;
      const bgR = BACKGROUND_REFLECTANCE * (1 + 0.08 * bg[y * out.w + x]);
      const mk = mask[i];
      data[y * out.w + x] = mk * partR + (1 - mk) * bgR;
    }
  }
  return { r: out, data };
}
