/**
 * A moulded part's surface on its pixel lattice: the mould's shared relief and reflectance (form,
 * machining marks, fine texture) plus the part's own micro-relief, scaled so that its fine-scale
 * RMS is `individualFraction` of the shared one; shaded under a directional light with a diffuse
 * (Lambertian) and a specular (Blinn-Phong) term on the relief's normals.
 *
 * Every value is a pure function of (seed, lattice position): the mould's layer is computed once
 * per data set over one fixed region that covers every view, so any capture crops the same numbers.
 */
import { addBumps, hash3, type Region } from '../noise.js';
import { addSmoothField } from './field.js';
import { gradientRms, highPass } from './filters.js';
import type { Interval, MouldPart, MouldSpec } from './types.js';

export interface Layer {
  r: Region;
  /** Relief, micrometres. */
  height: Float32Array;
  /** Reflectance multiplier (about 1). */
  albedo: Float32Array;
}

export interface ScratchOptions {
  /** Cell size in lattice pixels; scratches start in cells, so any region is reproducible. */
  cell: number;
  perCell: number;
  angleDeg: number;
  /** Uniform spread of the direction around angleDeg (180 = any direction). */
  spreadDeg: number;
  lengthPx: Interval;
  /** Groove depth, micrometres (the groove lowers the relief). */
  depth: Interval;
  /** Groove half-width (Gaussian sigma), pixels. */
  widthPx: Interval;
}

/** Adds straight grooves (polishing scratches, wear) into `target` over region `r`. */
export function addScratches(target: Float32Array, r: Region, seed: number, o: ScratchOptions): void {
  const reach = o.lengthPx[1] + 4 * o.widthPx[1];
  const c0x = Math.floor((r.x0 - reach) / o.cell);
  const c1x = Math.floor((r.x0 + r.w + reach) / o.cell);
  const c0y = Math.floor((r.y0 - reach) / o.cell);
  const c1y = Math.floor((r.y0 + r.h + reach) / o.cell);
  const maxN = Math.ceil(o.perCell);
  for (let cy = c0y; cy <= c1y; cy++) {
    for (let cx = c0x; cx <= c1x; cx++) {
      for (let k = 0; k < maxN; k++) {
        if (k + 1 > o.perCell && hash3(seed, cx, cy, 200 + k) >= o.perCell - k) continue;
        const u = (j: number) => hash3(seed, cx, cy, 8 * k + j);
        const sx = (cx + u(0)) * o.cell - r.x0;
        const sy = (cy + u(1)) * o.cell - r.y0;
        const ang = ((o.angleDeg + (u(2) - 0.5) * 2 * o.spreadDeg) * Math.PI) / 180;
        const len = o.lengthPx[0] + (o.lengthPx[1] - o.lengthPx[0]) * u(3) * u(3);
        const depth = o.depth[0] + (o.depth[1] - o.depth[0]) * u(4) * u(4);
        const wpx = o.widthPx[0] + (o.widthPx[1] - o.widthPx[0]) * u(5);
        const wobble = u(6) * 2 * Math.PI;
        drawGroove(target, r.w, r.h, sx, sy, Math.cos(ang), Math.sin(ang), len, depth, wpx, wobble);
      }
    }
  }
}

/** One groove from (sx, sy) along (dx, dy) for `len` px; depth tapers at the ends and varies along it. */
function drawGroove(t: Float32Array, w: number, h: number, sx: number, sy: number, dx: number, dy: number, len: number, depth: number, wpx: number, phase: number): void {
  const ext = 3 * wpx;
  const ex = sx + dx * len;
  const ey = sy + dy * len;
  if (Math.max(sx, ex) + ext < 0 || Math.min(sx, ex) - ext > w || Math.max(sy, ey) + ext < 0 || Math.min(sy, ey) - ext > h) return;
  const inv2w2 = 1 / (2 * wpx * wpx);
  const horizontal = Math.abs(dx) >= Math.abs(dy);
  // Walk along the major axis; on each step cover the band of pixels within `ext` across the line.
  const a0 = horizontal ? Math.min(sx, ex) : Math.min(sy, ey);
  const a1 = horizontal ? Math.max(sx, ex) : Math.max(sy, ey);
  const lim = horizontal ? w : h;
  const other = horizontal ? h : w;
  const slope = horizontal ? dy / dx : dx / dy;
  const half = ext / Math.max(0.2, horizontal ? Math.abs(dx) : Math.abs(dy));
  const start = Math.max(0, Math.floor(a0 - ext));
  const end = Math.min(lim - 1, Math.ceil(a1 + ext));
  for (let a = start; a <= end; a++) {
    const ac = a + 0.5;
    const bc = horizontal ? sy + (ac - sx) * slope : sx + (ac - sy) * slope;
    const b0 = Math.max(0, Math.floor(bc - half));
    const b1 = Math.min(other - 1, Math.ceil(bc + half));
    for (let b = b0; b <= b1; b++) {
      const px = horizontal ? ac : b + 0.5;
      const py = horizontal ? b + 0.5 : ac;
      const along = (px - sx) * dx + (py - sy) * dy;
      if (along < 0 || along > len) continue;
      const across = -(px - sx) * dy + (py - sy) * dx;
      const d2 = across * across * inv2w2;
      if (d2 > 4.5) continue;
      const s = along / len;
      const taper = Math.sqrt(Math.sin(Math.PI * s));
      const vary = 0.75 + 0.25 * Math.cos(phase + 9 * s);
      t[(horizontal ? b : a) * w + (horizontal ? a : b)] -= depth * taper * vary * Math.exp(-d2);
    }
  }
}

function smoothstep(x: number): number {
  const t = Math.max(0, Math.min(1, x));
  return t * t * (3 - 2 * t);
}

/** Edge rounding of the logo structures, micrometres. */
const EDGE_UM = 25;

/** The mould's low-frequency form: curvature, draft, a raised ring and a straight rib (analytic). */
function addForm(height: Float32Array, r: Region, p: number, m: MouldSpec): void {
  const da = (m.draftAzimuthDeg * Math.PI) / 180;
  const ddx = Math.cos(da) * m.draftSlope;
  const ddy = Math.sin(da) * m.draftSlope;
  const ra = (m.rib.angleDeg * Math.PI) / 180;
  const rnx = Math.cos(ra);
  const rny = Math.sin(ra);
  const k = m.curvaturePerMm / 1000 / 2;
  for (let y = 0; y < r.h; y++) {
    const yu = (r.y0 + y + 0.5) * p;
    const o = y * r.w;
    for (let x = 0; x < r.w; x++) {
      const xu = (r.x0 + x + 0.5) * p;
      let z = k * (xu * xu + yu * yu) + ddx * xu + ddy * yu;
      const ex = xu - m.ring.cx;
      const ey = yu - m.ring.cy;
      const dr = Math.abs(Math.sqrt(ex * ex + ey * ey) - m.ring.radius);
      z += m.ring.height * smoothstep((m.ring.width / 2 - dr) / EDGE_UM + 0.5);
      const db = Math.abs(xu * rnx + yu * rny - m.rib.offset);
      z += m.rib.height * smoothstep((m.rib.width / 2 - db) / EDGE_UM + 0.5);
      height[o + x] += z;
    }
  }
}

/** Concentric ball-end-mill scallops around the tool path's centre, one pass every `pitchPx`. */
function addToolPath(height: Float32Array, r: Region, p: number, m: MouldSpec): void {
  const { cx, cy, pitchPx, height: hgt } = m.toolPath;
  const cxp = cx / p;
  const cyp = cy / p;
  for (let y = 0; y < r.h; y++) {
    const yy = r.y0 + y + 0.5 - cyp;
    const o = y * r.w;
    for (let x = 0; x < r.w; x++) {
      const xx = r.x0 + x + 0.5 - cxp;
      const u = Math.sqrt(xx * xx + yy * yy) / pitchPx;
      const pass = Math.floor(u);
      const f = u - pass;
      // Each pass leaves a parabolic scallop (cusps between passes); passes differ a little in depth.
      const amp = hgt * (0.8 + 0.4 * hash3(m.seed ^ 0x7011, pass, 0, 0));
      height[o + x] += amp * ((2 * f - 1) ** 2 - 1 / 3);
    }
  }
}

/** The shared layer of a mould over region `r` at `p` micrometres per pixel. */
export function renderMouldLayer(m: MouldSpec, r: Region, p: number): Layer {
  const n = r.w * r.h;
  const height = new Float32Array(n);
  const albedo = new Float32Array(n).fill(1);
  addForm(height, r, p, m);
  addSmoothField(height, r, m.seed + 11, 60, 60, 2);
  addToolPath(height, r, p, m);
  const s = m.scratches;
  addScratches(height, r, m.seed + 21, { cell: 64, perCell: s.perCell, angleDeg: s.angleDeg, spreadDeg: s.spreadDeg, lengthPx: s.lengthPx, depth: s.depth, widthPx: [0.6, 1.5] });
  // A few deeper, longer scratches across the polish.
  addScratches(height, r, m.seed + 22, { cell: 256, perCell: 0.6, angleDeg: s.angleDeg + 40, spreadDeg: 50, lengthPx: [200, 600], depth: [0.8, 2.5], widthPx: [1, 2] });
  // Spark-erosion craters: a pit with a raised rim at the same positions (same seed and cell).
  const e = m.edm;
  addBumps(height, r, m.seed + 31, { cell: 6, perCell: e.perCell, radius: [e.radiusPx[0], e.radiusPx[1]], amplitude: [-e.depth[1], -e.depth[0]] });
  addBumps(height, r, m.seed + 31, { cell: 6, perCell: e.perCell, radius: [e.radiusPx[0] * 1.8, e.radiusPx[1] * 1.8], amplitude: [0.3 * e.depth[1], 0.3 * e.depth[0]] });
  const [t1, t2, t3] = m.texture;
  addSmoothField(height, r, m.seed + 41, 1, 1, t1);
  addSmoothField(height, r, m.seed + 42, 2.5, 2.5, t2);
  addSmoothField(height, r, m.seed + 43, 8, 8, t3);
  addSmoothField(albedo, r, m.seed + 51, 30, 30, 0.03);
  addSmoothField(albedo, r, m.seed + 52, 1.5, 1.5, SHARED_FINE_ALBEDO);
  return { r, height, albedo };
}

const SHARED_FINE_ALBEDO = 0.02;

/**
 * The part's own micro-relief at unit strength (before scaling to its fraction), with a spectrum
 * like the mould's texture so the fraction holds at every scale: orange peel and flow marks
 * (1-8 px), sink (80 px), pores and wear scratches.
 */
function individualRelief(part: MouldPart, r: Region): Float32Array {
  const s = part.seed;
  const h = new Float32Array(r.w * r.h);
  addSmoothField(h, r, s + 1, 1, 1, 0.2);
  addSmoothField(h, r, s + 2, 2.5, 2.5, 0.6);
  addSmoothField(h, r, s + 8, 8, 8, 2.5);
  addSmoothField(h, r, s + 3, 25, 2, 0.6);
  addSmoothField(h, r, s + 4, 80, 80, 1.5);
  addBumps(h, r, s + 5, { cell: 24, perCell: 0.6, radius: [0.8, 3], amplitude: [-1, -0.3] });
  addScratches(h, r, s + 6, { cell: 128, perCell: 0.4, angleDeg: 0, spreadDeg: 180, lengthPx: [20, 150], depth: [0.2, 0.8], widthPx: [0.6, 1.5] });
  return h;
}

/** Sigma of the high-pass that defines "fine scale" (pixels): below about 40 um at 5 um/px, where keypoints live. */
export const FINE_SIGMA_PX = 8;
/** Reference patch on which the shared and individual fine-scale RMS are measured. */
export const REFERENCE_PATCH: Region = { x0: -128, y0: -128, w: 256, h: 256 };

/** RMS of the gradient of the fine-scale (high-passed) relief. */
export function fineRms(height: Float32Array, w: number, h: number): number {
  return gradientRms(highPass(height, w, h, FINE_SIGMA_PX), w, h);
}

/** Crop of `layer` to region `r` (which must lie inside it). */
export function cropLayer(layer: Layer, r: Region): Layer {
  const ox = r.x0 - layer.r.x0;
  const oy = r.y0 - layer.r.y0;
  if (ox < 0 || oy < 0 || ox + r.w > layer.r.w || oy + r.h > layer.r.h) throw new RangeError('crop outside the layer');
  const height = new Float32Array(r.w * r.h);
  const albedo = new Float32Array(r.w * r.h);
  for (let y = 0; y < r.h; y++) {
    const si = (oy + y) * layer.r.w + ox;
    height.set(layer.height.subarray(si, si + r.w), y * r.w);
    albedo.set(layer.albedo.subarray(si, si + r.w), y * r.w);
  }
  return { r, height, albedo };
}

export function containsRegion(outer: Region, inner: Region): boolean {
  return inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x0 + inner.w <= outer.x0 + outer.w && inner.y0 + inner.h <= outer.y0 + outer.h;
}

/**
 * The part's whole surface over `r`: `shared(r)` (the mould layer, cropped) plus its individual
 * relief scaled so that fineRms(individual) = individualFraction x fineRms(shared) on the
 * reference patch, and individual reflectance at the same fraction.
 */
export function renderPartSurface(part: MouldPart, r: Region, shared: (r: Region) => Layer): Layer & { individualScale: number } {
  const ref = shared(REFERENCE_PATCH);
  const sharedFine = fineRms(ref.height, REFERENCE_PATCH.w, REFERENCE_PATCH.h);
  const unitFine = fineRms(individualRelief(part, REFERENCE_PATCH), REFERENCE_PATCH.w, REFERENCE_PATCH.h);
  const k = unitFine > 0 ? (part.individualFraction * sharedFine) / unitFine : 0;
  const base = shared(r);
  const ind = individualRelief(part, r);
  for (let i = 0; i < ind.length; i++) base.height[i] += k * ind[i];
  addSmoothField(base.albedo, r, part.seed + 7, 1.5, 1.5, part.individualFraction * SHARED_FINE_ALBEDO);
  return { ...base, individualScale: k };
}

/** Share of ambient, diffuse and specular light of a semi-gloss moulded surface (the Blinn-Phong exponent, 25, is applied by squaring in shadeLayer). */
const AMBIENT = 0.2;
const DIFFUSE = 0.8;
const SPECULAR = 0.12;

export interface LightDirection {
  /** Azimuth in the lattice frame (x right, y down), degrees. */
  azimuthDeg: number;
  elevationDeg: number;
}

/**
 * Radiance of the surface under a directional light, seen from straight above: albedo x (ambient +
 * diffuse n.L) + specular (n.H)^k, on normals from the relief's central differences. Returns the
 * region shrunk by one pixel on each side.
 */
export function shadeLayer(s: Layer, p: number, light: LightDirection): { r: Region; data: Float32Array } {
  const { r, height, albedo } = s;
  const az = (light.azimuthDeg * Math.PI) / 180;
  const el = (light.elevationDeg * Math.PI) / 180;
  const lx = Math.cos(az) * Math.cos(el);
  const ly = Math.sin(az) * Math.cos(el);
  const lz = Math.sin(el);
  // Half vector between the light and the view (0, 0, 1).
  const hn = Math.hypot(lx, ly, lz + 1);
  const hx = lx / hn;
  const hy = ly / hn;
  const hz = (lz + 1) / hn;
  const out: Region = { x0: r.x0 + 1, y0: r.y0 + 1, w: r.w - 2, h: r.h - 2 };
  const data = new Float32Array(out.w * out.h);
  const inv2p = 1 / (2 * p);
  for (let y = 0; y < out.h; y++) {
    for (let x = 0; x < out.w; x++) {
      const i = (y + 1) * r.w + x + 1;
      const gx = (height[i + 1] - height[i - 1]) * inv2p;
      const gy = (height[i + r.w] - height[i - r.w]) * inv2p;
      const inv = 1 / Math.sqrt(1 + gx * gx + gy * gy);
      const nl = (lz - gx * lx - gy * ly) * inv;
      const nh = (hz - gx * hx - gy * hy) * inv;
      const diffuse = nl > 0 ? nl : 0;
      let spec = 0;
      if (nh > 0) {
        // nh^25 by squaring (SHININESS = 25 = 16 + 8 + 1).
        const n2 = nh * nh;
        const n4 = n2 * n2;
        const n8 = n4 * n4;
        spec = n8 * n8 * n8 * nh;
      }
      data[y * out.w + x] = albedo[i] * (AMBIENT + DIFFUSE * diffuse) + SPECULAR * spec;
    }
  }
  return { r: out, data };
}
