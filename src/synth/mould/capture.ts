/**
 * Captures of moulded parts. The registration is taken at a fixed pose under controlled light; a
 * handheld recapture turns, scales, shifts and tilts the view, moves the light (by up to the
 * range's angle, in the part's frame, so the shading of the relief really changes), and adds
 * defocus, motion blur, vignetting, a grease smudge, an occluder, sensor noise, a tone curve and
 * JPEG. Each capture knows its homography to the registered image (OpenCV convention).
 */
import sharp from 'sharp';
import { createRng, deriveSeed, type Rng } from '../../core/index.js';
import { smoothNoise, type Region } from '../noise.js';
import { addOccluder } from '../occluder.js';
import { applyMat3, captureHomography, mulMat3, type Mat3 } from '../view.js';
import { resolveMouldRange } from './catalogue.js';
import { gaussianBlur, motionBlur } from './filters.js';
import { containsRegion, cropLayer, renderMouldLayer, renderPartSurface, shadeLayer, type Layer } from './surface.js';
import type { Interval, MouldCaptureParams, MouldPart, MouldRange, MouldSetConfig, MouldSpec } from './types.js';

/** Light of the registration station, in the part's frame. */
export const REGISTRATION_LIGHT = { azimuthDeg: 135, elevationDeg: 50 };
/** Grey levels per unit radiance (the flat surface under the registration light is about 125). */
const DN_PER_RADIANCE = 165;

const round = (v: number, d = 3) => Number(v.toFixed(d));
const pick = (rng: Rng, [lo, hi]: Interval) => rng.uniform(lo, hi);

/** The light direction at angle `changeDeg` from the registration light, towards direction `towardsDeg` around it. */
export function movedLight(changeDeg: number, towardsDeg: number): { azimuthDeg: number; elevationDeg: number } {
  const az = (REGISTRATION_LIGHT.azimuthDeg * Math.PI) / 180;
  const el = (REGISTRATION_LIGHT.elevationDeg * Math.PI) / 180;
  const l = [Math.cos(az) * Math.cos(el), Math.sin(az) * Math.cos(el), Math.sin(el)];
  // Two unit vectors perpendicular to l: along the azimuth circle and along the elevation arc.
  const e1 = [-Math.sin(az), Math.cos(az), 0];
  const e2 = [-Math.cos(az) * Math.sin(el), -Math.sin(az) * Math.sin(el), Math.cos(el)];
  const t = (changeDeg * Math.PI) / 180;
  const psi = (towardsDeg * Math.PI) / 180;
  const v = [0, 1, 2].map((k) => Math.cos(t) * l[k] + Math.sin(t) * (Math.cos(psi) * e1[k] + Math.sin(psi) * e2[k]));
  const elev = Math.asin(Math.max(-1, Math.min(1, v[2])));
  return { azimuthDeg: ((Math.atan2(v[1], v[0]) * 180) / Math.PI + 360) % 360, elevationDeg: (elev * 180) / Math.PI };
}

/** Angle between two light directions, degrees. */
export function lightAngleDeg(a: { azimuthDeg: number; elevationDeg: number }, b: { azimuthDeg: number; elevationDeg: number }): number {
  const v = (l: typeof a) => {
    const az = (l.azimuthDeg * Math.PI) / 180;
    const el = (l.elevationDeg * Math.PI) / 180;
    return [Math.cos(az) * Math.cos(el), Math.sin(az) * Math.cos(el), Math.sin(el)];
  };
  const p = v(a);
  const q = v(b);
  return (Math.acos(Math.max(-1, Math.min(1, p[0] * q[0] + p[1] * q[1] + p[2] * q[2]))) * 180) / Math.PI;
}

/** Capture `index` of a part: 0 = registration (fixed), others drawn from the range. Shifts in output pixels for an image of `size`. */
export function sampleMouldCapture(part: MouldPart, index: number, range: MouldRange, size: number): MouldCaptureParams {
  const seed = deriveSeed(part.seed, 'capture', index);
  const rng = createRng(seed);
  if (index === 0) {
    return {
      index, seed, rotationDeg: 0, scale: 1, tx: 0, ty: 0, perspX: 0, perspY: 0,
      lightAzimuthDeg: REGISTRATION_LIGHT.azimuthDeg, lightElevationDeg: REGISTRATION_LIGHT.elevationDeg, lightChangeDeg: 0,
      gain: 1, gamma: 1, vignette: 0.05, defocusPx: 0.5, motionPx: 0, motionAngleDeg: 0, noise: 1, smudge: 0, occlusion: 0, format: 'png', jpegQuality: 0,
    };
  }
  const change = pick(rng, range.lightChangeDeg);
  const light = movedLight(change, rng.uniform(0, 360));
  const [s0, s1] = range.scale;
  const jpeg = rng.next() < range.jpegChance;
  const smudge = rng.next() < range.smudgeChance ? pick(rng, range.smudgeStrength) : 0;
  const occlusion = rng.next() < range.occlusionChance ? pick(rng, range.occlusion) : 0;
  return {
    index,
    seed,
    rotationDeg: round(rng.uniform(-range.maxRotationDeg, range.maxRotationDeg), 2),
    scale: round(Math.exp(rng.uniform(Math.log(s0), Math.log(s1))), 4),
    tx: round(rng.uniform(-range.maxShift, range.maxShift) * size, 2),
    ty: round(rng.uniform(-range.maxShift, range.maxShift) * size, 2),
    perspX: round(rng.uniform(-range.maxPerspective, range.maxPerspective), 4),
    perspY: round(rng.uniform(-range.maxPerspective, range.maxPerspective), 4),
    lightAzimuthDeg: round(light.azimuthDeg, 2),
    lightElevationDeg: round(light.elevationDeg, 2),
    lightChangeDeg: round(change, 2),
    gain: round(pick(rng, range.gain)),
    gamma: round(pick(rng, range.gamma)),
    vignette: round(pick(rng, range.vignette)),
    defocusPx: round(pick(rng, range.defocusPx)),
    motionPx: round(pick(rng, range.motionPx)),
    motionAngleDeg: round(rng.uniform(0, 180), 1),
    noise: round(pick(rng, range.noise), 2),
    smudge: round(smudge),
    occlusion: round(occlusion),
    format: jpeg ? 'jpeg' : 'png',
    jpegQuality: jpeg ? Math.round(pick(rng, range.jpegQuality)) : 0,
  };
}

/**
 * The fixed lattice region of a mould's shared layer for views of `size` px in `range`: large
 * enough for any rotation, the smallest scale, the largest shift and perspective, plus margins.
 */
export function mouldLayerRegion(size: number, range: MouldRange): Region {
  const half = Math.ceil(((size / 2) * Math.SQRT2 * (1 + 2 * range.maxPerspective)) / range.scale[0] + range.maxShift * size + 8);
  return { x0: -half, y0: -half, w: 2 * half, h: 2 * half };
}

/** Shared layers of the last moulds rendered in this thread (jobs come grouped by mould). */
const layerCache: Array<{ key: string; layer: Layer }> = [];
const LAYER_CACHE_SIZE = 2;

/** The mould's shared layer over the fixed region (cached), as a crop function. */
export function mouldLayer(m: MouldSpec, size: number, pixelUm: number, range: MouldRange): (r: Region) => Layer {
  const region = mouldLayerRegion(size, range);
  const key = `${m.seed}:${pixelUm}:${region.x0}:${region.w}`;
  let hit = layerCache.find((c) => c.key === key);
  if (!hit) {
    hit = { key, layer: renderMouldLayer(m, region, pixelUm) };
    layerCache.unshift(hit);
    layerCache.length = Math.min(layerCache.length, LAYER_CACHE_SIZE);
  }
  const layer = hit.layer;
  // A view outside the fixed region (only with parameters beyond the range) is rendered directly.
  return (r) => (containsRegion(layer.r, r) ? cropLayer(layer, r) : renderMouldLayer(m, r, pixelUm));
}

export interface RenderedMouldCapture {
  width: number;
  height: number;
  pixels: Uint8Array;
  /** Capture pixel -> registered-image pixel, 3x3 row-major (OpenCV convention: pixel centres at integers). */
  toRegistered: Mat3;
  /** True micrometres per pixel of this capture (stated / scale). */
  truePixelUm: number;
  /** Scale applied to the part's unit individual relief (for diagnostics). */
  individualScale: number;
}

/** Lattice index of the registered image's pixel (0, 0): the view is centred on lattice 0. */
export function registeredOrigin(size: number): [number, number] {
  return [-size / 2, -size / 2];
}

/** Renders capture `params` of `part` as 8-bit grey pixels. */
export function renderMouldCapture(part: MouldPart, params: MouldCaptureParams, config: Pick<MouldSetConfig, 'size' | 'pixelUm' | 'range'>): RenderedMouldCapture {
  const N = config.size;
  const p = config.pixelUm;
  const range = resolveMouldRange(config.range);
  const toRegistered = captureHomography(params, N);
  const [ox, oy] = registeredOrigin(N);
  const toLattice = mulMat3([1, 0, ox, 0, 1, oy, 0, 0, 1], toRegistered);
  const shared = mouldLayer(part.mould, N, p, range);
  const exact = params.index === 0;
  let rr: Region;
  if (exact) rr = { x0: ox, y0: oy, w: N, h: N };
  else {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [u, v] of [[-0.5, -0.5], [N - 0.5, -0.5], [-0.5, N - 0.5], [N - 0.5, N - 0.5]]) {
      const [x, y] = applyMat3(toLattice, u, v);
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
    rr = { x0: Math.floor(minX) - 1, y0: Math.floor(minY) - 1, w: Math.ceil(maxX) - Math.floor(minX) + 3, h: Math.ceil(maxY) - Math.floor(minY) + 3 };
  }
  const surface = renderPartSurface(part, { x0: rr.x0 - 1, y0: rr.y0 - 1, w: rr.w + 2, h: rr.h + 2 }, shared);
  const shaded = shadeLayer(surface, p, { azimuthDeg: params.lightAzimuthDeg, elevationDeg: params.lightElevationDeg });
  let radiance: Float32Array;
  if (exact) radiance = shaded.data;
  else {
    radiance = new Float32Array(N * N);
    const d = shaded.data;
    const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = toLattice;
    for (let v = 0; v < N; v++) {
      for (let u = 0; u < N; u++) {
        const wq = 1 / (m6 * u + m7 * v + m8);
        const x = (m0 * u + m1 * v + m2) * wq;
        const y = (m3 * u + m4 * v + m5) * wq;
        // toLattice gives lattice indices (registered pixel X is lattice index ox + X).
        const fx = x - rr.x0;
        const fy = y - rr.y0;
        const ix = Math.max(0, Math.min(rr.w - 2, Math.floor(fx)));
        const iy = Math.max(0, Math.min(rr.h - 2, Math.floor(fy)));
        const ax = Math.max(0, Math.min(1, fx - ix));
        const ay = Math.max(0, Math.min(1, fy - iy));
        const i = iy * rr.w + ix;
        const t0 = d[i] + ax * (d[i + 1] - d[i]);
        const t1 = d[i + rr.w] + ax * (d[i + rr.w + 1] - d[i + rr.w]);
        radiance[v * N + u] = t0 + ay * (t1 - t0);
      }
    }
  }
  const pixels = applyMouldCamera(radiance, N, N, params);
  return { width: N, height: N, pixels, toRegistered, truePixelUm: round(p / params.scale, 4), individualScale: surface.individualScale };
}

/** 4096 fixed standard normal samples, looked up by a fast hash: cheap per-pixel sensor noise. */
const NORMALS = (() => {
  const t = new Float32Array(4096);
  for (let i = 0; i < t.length; i++) {
    const u = (i + 0.5) / t.length;
    const v = ((i * 0.618034) % 1) + 1e-9;
    t[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return t;
})();

/** Occluder, smudge, defocus, motion blur, vignetting, exposure, noise, tone curve; 8-bit pixels. */
export function applyMouldCamera(radiance: Float32Array, w: number, h: number, c: MouldCaptureParams): Uint8Array {
  const rng = createRng(deriveSeed(c.seed, 'camera'));
  const img = new Float32Array(radiance);
  if (c.occlusion > 0) addOccluder(img, w, h, c.occlusion, rng, { maxCurve: 0.6, level: [0.05, 0.35], soft: [3, 12] });
  if (c.smudge > 0) addSmudge(img, w, h, c.smudge, deriveSeed(c.seed, 'smudge'));
  gaussianBlur(img, w, h, c.defocusPx);
  motionBlur(img, w, h, c.motionPx, c.motionAngleDeg);
  const cx = w / 2;
  const cy = h / 2;
  const k = c.vignette / (cx * cx + cy * cy);
  const g = DN_PER_RADIANCE * c.gain;
  const out = new Uint8Array(w * h);
  let state = rng.int(2 ** 31) | 1;
  // Tone curve on a fine grid of the linear signal (4 steps per grey level).
  const invGamma = 1 / c.gamma;
  const tone = new Uint8Array(1021);
  for (let j = 0; j < tone.length; j++) tone[j] = Math.round(255 * (j / 1020) ** invGamma);
  for (let y = 0; y < h; y++) {
    const ry = (y + 0.5 - cy) ** 2;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const fall = 1 - k * ((x + 0.5 - cx) ** 2 + ry);
      const v = Math.max(0, g * img[i] * fall);
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      // Shot noise grows with the signal; read noise is c.noise.
      const n = v + Math.sqrt(c.noise * c.noise + 0.025 * v) * NORMALS[(state >>> 8) & 4095];
      out[i] = tone[n <= 0 ? 0 : n >= 255 ? 1020 : Math.round(n * 4)];
    }
  }
  return out;
}

/**
 * A grease smudge: over blotches of a smooth random mask, local contrast is reduced by `strength`
 * (the film scatters light: blurred detail plus a veil).
 */
function addSmudge(img: Float32Array, w: number, h: number, strength: number, seed: number): void {
  const r: Region = { x0: 0, y0: 0, w, h };
  const blot = smoothNoise(seed, r, 70, 70);
  const low = new Float32Array(img);
  gaussianBlur(low, w, h, 4);
  for (let i = 0; i < img.length; i++) {
    const m = Math.max(0, Math.min(1, (blot[i] - 0.1) * 1.5));
    if (m <= 0) continue;
    const s = strength * m;
    img[i] = img[i] * (1 - s) + low[i] * s + 0.08 * s;
  }
}

/** Encodes 8-bit grey pixels as PNG or JPEG. */
export async function encodeMouldCapture(pixels: Uint8Array, w: number, h: number, format: 'png' | 'jpeg', quality: number): Promise<Buffer> {
  const img = sharp(pixels, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w');
  return format === 'jpeg' ? img.jpeg({ quality: Math.max(1, Math.min(100, quality)) }).toBuffer() : img.png({ compressionLevel: 3 }).toBuffer();
}
