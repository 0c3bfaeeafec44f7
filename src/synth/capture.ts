/**
 * One capture of a part: pose, light and camera effects on top of the part's surface, then
 * quantised and encoded. The registered capture is the part's lattice seen straight on; a recapture
 * moves, turns, scales and tilts the view and changes light and sensor, but the surface (and its
 * fingerprint) stays the same.
 */
import sharp from 'sharp';
import { createRng, deriveSeed, type Rng } from '../core/index.js';
import { serialBoxMm } from './geometry.js';
import { addOccluder } from './occluder.js';
import { captureHomography, invertMat3, applyMat3, mulMat3, renderView, viewOrigin, type Mat3 } from './view.js';
import type { CaptureParams, PartSpec, ViewSpec } from './types.js';

/** Grey level of the part's nominal radiance is about 110. */
const DN_PER_RADIANCE = 262;

export interface CaptureOptions {
  /** Largest rotation of a recapture, degrees (default 180: any orientation). */
  maxRotationDeg?: number;
}

/** Capture parameters: index 0 is the registration capture (fixed pose and light), others vary. */
export function sampleCaptureParams(part: PartSpec, index: number, options: CaptureOptions = {}): CaptureParams {
  const seed = deriveSeed(part.seed, 'capture', index);
  const rng = createRng(seed);
  if (index === 0) {
    return {
      index, seed, rotationDeg: 0, scale: 1, tx: 0, ty: 0, perspX: 0, perspY: 0,
      lightAzimuthDeg: 135, lightElevationDeg: 50, gain: 1, vignette: 0.02, blurPx: 0.5, noise: 1.5,
      format: 'png', jpegQuality: 0, dust: rng.int(3), occlusion: 0,
    };
  }
  const maxRot = options.maxRotationDeg ?? 180;
  const round = (v: number, d = 3) => Number(v.toFixed(d));
  const jpeg = rng.next() < 0.6;
  return {
    index,
    seed,
    rotationDeg: round(rng.uniform(-maxRot, maxRot), 2),
    scale: round(rng.uniform(0.9, 1.1), 4),
    tx: round(rng.uniform(-0.05, 0.05) * 1000, 2),
    ty: round(rng.uniform(-0.05, 0.05) * 1000, 2),
    perspX: round(rng.uniform(-0.03, 0.03), 4),
    perspY: round(rng.uniform(-0.03, 0.03), 4),
    lightAzimuthDeg: round(135 + rng.uniform(-45, 45), 1),
    lightElevationDeg: round(rng.uniform(38, 65), 1),
    gain: round(rng.uniform(0.8, 1.2)),
    vignette: round(rng.uniform(0, 0.15)),
    blurPx: round(rng.uniform(0.3, 1.4)),
    noise: round(rng.uniform(1, 4), 2),
    format: jpeg ? 'jpeg' : 'png',
    jpegQuality: jpeg ? 70 + rng.int(26) : 0,
    dust: rng.int(9),
    occlusion: rng.next() < 0.25 ? round(rng.uniform(0.03, 0.15)) : 0,
  };
}

export interface RenderedCapture {
  width: number;
  height: number;
  /** 8-bit grey pixels. */
  pixels: Uint8Array;
  /** Capture pixel -> registered-image pixel (OpenCV convention: pixel centres at integers). */
  toRegistered: Mat3;
  /** The true micrometres per pixel of this capture (nominal / scale). */
  pixelSizeUm: number;
  /** Bounding box of the debossed serial in this image [x0, y0, x1, y1], or null when not in view. */
  serialBox: [number, number, number, number] | null;
}

/** Renders one capture of a part (translation of tx/ty is given per 1000 px and scaled to the view). */
export function renderCapture(part: PartSpec, params: CaptureParams, view: ViewSpec): RenderedCapture {
  const N = view.size;
  const scaled = { ...params, tx: (params.tx * N) / 1000, ty: (params.ty * N) / 1000 };
  const toRegistered = captureHomography(scaled, N);
  const [ox, oy] = viewOrigin(part, N, view.pixelUm);
  const toLattice = mulMat3([1, 0, ox, 0, 1, oy, 0, 0, 1], toRegistered);
  const rendered = renderView(part, toLattice, N, N, view.pixelUm, { azimuthDeg: params.lightAzimuthDeg + params.rotationDeg, elevationDeg: params.lightElevationDeg }, deriveSeed(params.seed, 'background'));
  const pixels = applyCameraEffects(rendered.radiance, N, N, params);
  return { width: N, height: N, pixels, toRegistered, pixelSizeUm: Number((view.pixelUm / params.scale).toFixed(4)), serialBox: serialBoxInView(part, toLattice, N, view.pixelUm) };
}

/** The serial's box mapped into the capture, clipped; null when it does not overlap the image. */
function serialBoxInView(part: PartSpec, toLattice: Mat3, N: number, pixelUm: number): [number, number, number, number] | null {
  const [x0, y0, x1, y1] = serialBoxMm(part.design);
  const inv = invertMat3(toLattice);
  const pts = [[x0, y0], [x1, y0], [x0, y1], [x1, y1]].map(([x, y]) => applyMat3(inv, (x * 1000) / pixelUm - 0.5, (y * 1000) / pixelUm - 0.5));
  const bx0 = Math.max(0, Math.floor(Math.min(...pts.map((q) => q[0]))));
  const by0 = Math.max(0, Math.floor(Math.min(...pts.map((q) => q[1]))));
  const bx1 = Math.min(N, Math.ceil(Math.max(...pts.map((q) => q[0]))));
  const by1 = Math.min(N, Math.ceil(Math.max(...pts.map((q) => q[1]))));
  return bx1 > bx0 && by1 > by0 ? [bx0, by0, bx1, by1] : null;
}

/** Blur by n binomial passes per axis (sigma^2 = n / 2), edges replicated. */
function binomialBlur(img: Float32Array, w: number, h: number, sigma: number): void {
  const n = Math.round(2 * sigma * sigma);
  const row = new Float32Array(Math.max(w, h) + 2);
  for (let p = 0; p < n; p++) {
    for (let y = 0; y < h; y++) {
      const o = y * w;
      row[0] = img[o];
      row.set(img.subarray(o, o + w), 1);
      row[w + 1] = img[o + w - 1];
      for (let x = 0; x < w; x++) img[o + x] = 0.25 * (row[x] + row[x + 2]) + 0.5 * row[x + 1];
    }
    const prev = new Float32Array(img.subarray(0, w));
    const cur = new Float32Array(w);
    for (let y = 0; y < h; y++) {
      const o = y * w;
      const next = y + 1 < h ? o + w : o;
      for (let x = 0; x < w; x++) {
        const c = img[o + x];
        cur[x] = c;
        img[o + x] = 0.25 * (prev[x] + img[next + x]) + 0.5 * c;
      }
      prev.set(cur);
    }
  }
}

/** 4096 standard normal samples (fixed), looked up by a fast hash: cheap per-pixel sensor noise. */
const NORMALS = (() => {
  const t = new Float32Array(4096);
  for (let i = 0; i < t.length; i++) {
    // Inverse-CDF-free: Box-Muller on a fixed low-discrepancy grid.
    const u = (i + 0.5) / t.length;
    const v = ((i * 0.618034) % 1) + 1e-9;
    t[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return t;
})();

/** Exposure, vignetting, optical blur, dust, occlusion, sensor noise; returns 8-bit pixels. */
export function applyCameraEffects(radiance: Float32Array, w: number, h: number, c: CaptureParams): Uint8Array {
  const rng = createRng(deriveSeed(c.seed, 'camera'));
  const img = new Float32Array(w * h);
  const cx = w / 2;
  const cy = h / 2;
  const k = c.vignette / (cx * cx + cy * cy);
  const g = DN_PER_RADIANCE * c.gain;
  const colTerm = new Float32Array(w);
  for (let x = 0; x < w; x++) colTerm[x] = k * (x + 0.5 - cx) ** 2;
  for (let y = 0; y < h; y++) {
    const rowTerm = 1 - k * (y + 0.5 - cy) ** 2;
    const o = y * w;
    for (let x = 0; x < w; x++) img[o + x] = g * radiance[o + x] * (rowTerm - colTerm[x]);
  }
  binomialBlur(img, w, h, c.blurPx);
  addDust(img, w, h, c.dust, rng);
  if (c.occlusion > 0) addOccluder(img, w, h, c.occlusion, rng, { maxCurve: 0.3, level: [6, 30], soft: 3 });
  const out = new Uint8Array(w * h);
  let state = rng.int(2 ** 31) | 1;
  const sdLut = new Float32Array(1025);
  for (let i = 0; i <= 1024; i++) sdLut[i] = Math.sqrt(c.noise * c.noise + 0.12 * (i / 2));
  for (let i = 0; i < img.length; i++) {
    const v = img[i] > 0 ? img[i] : 0;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const n = v + sdLut[Math.min(1024, (v * 2) | 0)] * NORMALS[(state >>> 8) & 4095];
    out[i] = n <= 0 ? 0 : n >= 255 ? 255 : Math.round(n);
  }
  return out;
}

/** Dust on the glass: small bright or dark specks and the odd fibre. */
function addDust(img: Float32Array, w: number, h: number, count: number, rng: Rng): void {
  for (let k = 0; k < count; k++) {
    const px = rng.uniform(0, w);
    const py = rng.uniform(0, h);
    const amp = (rng.next() < 0.7 ? 1 : -1) * rng.uniform(30, 90);
    if (rng.next() < 0.25) {
      // A fibre: a short curved line.
      const len = rng.uniform(20, 80);
      let a = rng.uniform(0, 2 * Math.PI);
      let x = px;
      let y = py;
      for (let s = 0; s < len; s++) {
        a += rng.uniform(-0.08, 0.08);
        x += Math.cos(a);
        y += Math.sin(a);
        const xi = Math.round(x);
        const yi = Math.round(y);
        if (xi >= 0 && yi >= 0 && xi < w && yi < h) img[yi * w + xi] += amp * 0.7;
      }
    } else {
      const r = rng.uniform(0.8, 3.5);
      const x0 = Math.max(0, Math.floor(px - 3 * r));
      const x1 = Math.min(w - 1, Math.ceil(px + 3 * r));
      const y0 = Math.max(0, Math.floor(py - 3 * r));
      const y1 = Math.min(h - 1, Math.ceil(py + 3 * r));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const d2 = ((x + 0.5 - px) ** 2 + (y + 0.5 - py) ** 2) / (2 * r * r);
          img[y * w + x] += amp * Math.exp(-d2);
        }
      }
    }
  }
}

/** Encodes 8-bit grey pixels as PNG or JPEG. */
export async function encodeCapture(pixels: Uint8Array, w: number, h: number, format: 'png' | 'jpeg', quality: number, pngLevel = 3): Promise<Buffer> {
  const img = sharp(pixels, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w');
  return format === 'jpeg' ? img.jpeg({ quality: Math.max(1, Math.min(100, quality)) }).toBuffer() : img.png({ compressionLevel: pngLevel }).toBuffer();
}
