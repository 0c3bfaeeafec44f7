/**
 * Dense check of the individual micro-relief after geometric verification. Keypoints find the
 * part and its pose, but on parts from one mould most keypoints sit on the mould's shared pattern.
 * Here the probe's fine texture is compared pixel by pixel with the candidate's, in the probe's
 * frame (the candidate's map warped by the verified transform), AFTER subtracting the cohort's mean
 * (the other verified parts warped the same way): what is left is the part's own relief.
 *
 *   residual score = partial correlation of probe and candidate given T, T = mean of the other cohort members
 *
 * A look-alike from the same mould keeps only its own relief after the subtraction, which does not
 * correlate with any registered sibling's; the part itself correlates with its registration.
 */
import { DisposeScope, solveSymmetric } from '../../core/index.js';
import { loadOpenCv, type GreyImage } from '../../imaging/index.js';
import type { FeatureSet, TextureMap } from '../types.js';
import type { VerifyResult } from './verify.js';
import { alignPose, alignTemplate, type AlignOptions } from './align.js';
import { applyTransform } from './geometry.js';

export interface TextureOptions {
  /**
   * Map pixels per normalised-image pixel (the normalised image is at the profile's canonical
   * micrometres per pixel when the capture's is stated, so the map's band is a physical one).
   */
  scale: number;
  /** High-pass: the map minus its Gaussian blur of this sigma (map pixels). */
  sigma: number;
}

export const DEFAULT_TEXTURE_OPTIONS: TextureOptions = { scale: 0.25, sigma: 6 };

/** Map values are z-scores x this, as int8. */
const QUANT = 32;

/**
 * The high-passed, normalised fine texture of a normalised capture, reduced by `scale`.
 *
 * @example
 *   const map = await textureMap(normalised.image);
 */
export async function textureMap(image: GreyImage & { data: Uint8Array }, options: Partial<TextureOptions> = {}): Promise<TextureMap> {
  const o = { ...DEFAULT_TEXTURE_OPTIONS, ...options };
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const scale = Math.min(1, o.scale);
  const w = Math.max(8, Math.round(image.width * scale));
  const h = Math.max(8, Math.round(image.height * scale));
  const src = scope.track(cv.matFromArray(image.height, image.width, cv.CV_8UC1, image.data));
  const small = scope.track(new cv.Mat());
  cv.resize(src, small, new cv.Size(w, h), 0, 0, cv.INTER_AREA);
  const f = scope.track(new cv.Mat());
  small.convertTo(f, cv.CV_32F);
  const blur = scope.track(new cv.Mat());
  cv.GaussianBlur(f, blur, new cv.Size(0, 0), o.sigma, o.sigma, cv.BORDER_REFLECT);
  const hp = scope.track(new cv.Mat());
  cv.subtract(f, blur, hp);
  const d = hp.data32F as Float32Array;
  let s = 0, s2 = 0;
  for (const v of d) {
    s += v;
    s2 += v * v;
  }
  const mean = s / d.length;
  const std = Math.sqrt(Math.max(1e-9, s2 / d.length - mean * mean));
  const data = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) data[i] = Math.max(-127, Math.min(127, Math.round(((d[i] - mean) / std) * QUANT)));
  return { width: w, height: h, scale: w / image.width, data };
}

/** Light turns the steered score tries (every 15 degrees around the circle), as [cos, sin]. */
const STEER_MIXES = Array.from({ length: 24 }, (_, k) => [Math.cos((2 * Math.PI * k) / 24), Math.sin((2 * Math.PI * k) / 24)] as const);

/** One verified candidate: its map and the transform from probe-normalised to candidate-normalised pixels. */
export interface TextureEntry {
  map: TextureMap;
  matrix: number[] | null;
  /** Counts towards the cohort template (a credible geometric match). */
  member: boolean;
}

/** The candidate's map sampled in the probe map's frame (bilinear); NaN outside the candidate. */
function warpInto(probe: TextureMap, e: TextureEntry): Float32Array {
  const out = new Float32Array(probe.width * probe.height).fill(Number.NaN);
  if (!e.matrix) return out;
  const m = e.map;
  const inv = 1 / probe.scale;
  // applyTransform inlined (same arithmetic): this loop runs for every pixel of every candidate.
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = e.matrix;
  for (let v = 0; v < probe.height; v++) {
    const py = (v + 0.5) * inv - 0.5;
    for (let u = 0; u < probe.width; u++) {
      const px = (u + 0.5) * inv - 0.5;
      const w = h6 * px + h7 * py + h8;
      const gx = (h0 * px + h1 * py + h2) / w, gy = (h3 * px + h4 * py + h5) / w;
      const x = (gx + 0.5) * m.scale - 0.5, y = (gy + 0.5) * m.scale - 0.5;
      if (!(x >= 0 && y >= 0 && x < m.width - 1 && y < m.height - 1)) continue;
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const fx = x - x0, fy = y - y0;
      const i = y0 * m.width + x0;
      const a = m.data[i], b = m.data[i + 1], c = m.data[i + m.width], d = m.data[i + m.width + 1];
      out[v * probe.width + u] = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }
  }
  return out;
}

/**
 * Residual scores of every entry against the probe (NCC in [-1, 1]; 0 when they share fewer than
 * `minPixels` pixels). Members other than the entry itself form the template; with no other member
 * the template is zero and the score is the plain NCC of the two fine textures. With `align`, each
 * member's pose is first refined on the maps (ECC, verify/align.ts). `realign` (default on) moves
 * the template onto each candidate's own pose over large cohorts (scoreAgainstTemplate); `scored`
 * limits the work to the entries whose score is used (the others get 0).
 */
export function residualScores(
  probe: TextureMap,
  given: TextureEntry[],
  options: { tile?: number; minPixels?: number; align?: Partial<AlignOptions> | null; probePerpendicular?: Float32Array | null; realign?: boolean; scored?: boolean[] } = {},
): number[] {
  const tile = options.tile ?? 64;
  const realign = options.realign ?? true;
  const scored = options.scored;
  const minPixels = options.minPixels ?? 1024;
  const q = options.probePerpendicular ?? null;
  // Members' poses are refined on the maps first (verify/align.ts): the cohort template is only as
  // sharp as its members' alignment, and a part's own correlation only as high as its pose.
  const tpl = options.align ? alignTemplate(probe, options.align) : null;
  const refined = tpl ? given.map((e) => (e.member && e.matrix && e.map.width > 0 ? { ...e, matrix: alignPose(tpl, e.map, e.matrix) } : e)) : given;
  const warped = refined.map((e) => warpInto(probe, e));
  const scores = scoreAgainstTemplate(probe, refined, warped, q, tile, minPixels, realign, scored);
  // A member whose refinement was refused (it would move the view too far) keeps its keypoint pose
  // while the template's members are refined: the mould's pattern then sits a pixel apart in the
  // two, the template no longer removes it from the probe, and the candidate correlates with the
  // probe on the shared pattern. Such a candidate is scored against a template of keypoint poses
  // like its own (development stress set, recaptures at 0.74-0.8x: a look-alike's one refused
  // sibling scored 0.42 against 0.09 for the others, and 0.04 with keypoint poses throughout).
  const refused = refined.map((e, k) => e.member && e.matrix !== null && e.matrix === given[k].matrix && tpl !== null && (scored?.[k] ?? true));
  if (refused.some(Boolean)) {
    // Only the members' maps make the template (a refused member's warp is the same as before).
    const unmoved = given.map((e, k) => (!e.member ? EMPTY : refined[k].matrix === e.matrix ? warped[k] : warpInto(probe, e)));
    const raw = scoreAgainstTemplate(probe, given, unmoved, q, tile, minPixels, realign, refused);
    refused.forEach((r, k) => {
      if (r) scores[k] = raw[k];
    });
  }
  return scores;
}

/** A warp that is never read (a non-member outside `only`). */
const EMPTY = new Float32Array(0);

/** Residual scores of the entries (those in `only`, when given; 0 for the rest) against the mean of the other members. */
function scoreAgainstTemplate(probe: TextureMap, entries: TextureEntry[], warped: Float32Array[], q: Float32Array | null, tile: number, minPixels: number, realignAll: boolean, only?: boolean[]): number[] {
  const { width, height } = probe;
  const n = width * height;
  const sum = new Float32Array(n);
  const count = new Uint16Array(n);
  entries.forEach((e, k) => {
    if (!e.member) return;
    const w = warped[k];
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(w[i])) continue;
      sum[i] += w[i];
      count[i]++;
    }
  });
  const tiles = Math.max(1, Math.round(Math.max(width, height) / tile));
  const p = Float32Array.from(probe.data);
  const memberCount = entries.filter((e) => e.member).length;
  return entries.map((e, k) => {
    if (only && !only[k]) return 0;
    const w = warped[k];
    // Moved templates only over a cohort of REALIGN_MIN_COHORT or more: a template of a few
    // members carries a third or a quarter of their own relief, the shared template's partial
    // correlation removes that from both sides alike, and moved ones did not (a 5-part test
    // registry, a look-alike relit by -60 degrees with 9 inliers and 3 other members: 0.045 with
    // the shared template, 0.199 with moved ones).
    const realign = realignAll && memberCount - (e.member ? 1 : 0) >= REALIGN_MIN_COHORT;
    // The template without this entry (t), in the probe's frame.
    const t = new Float32Array(n).fill(Number.NaN);
    let pixels = 0;
    for (let i = 0; i < n; i++) {
      const c = w[i];
      if (!Number.isNaN(c)) pixels++;
      const own = e.member && !Number.isNaN(c) ? 1 : 0;
      const others = count[i] - own;
      if (others > 0) t[i] = (sum[i] - (own ? c : 0)) / others;
    }
    if (pixels < minPixels) return 0;
    // Partial correlations per tile (light, blur and small misregistrations vary over the image),
    // averaged over the tiles: the probe's shading (p; steered, also its shading under the
    // perpendicular light, r) and the candidate's (c), each less its least-squares fit on what the
    // template explains. With `realign` the candidate's side is fitted on the template moved onto
    // the candidate's own pose of the mould (tileOffsets), and the probe's side on the template and
    // its x and y gradients (a sub-pixel offset, to first order). Why: the template's members are
    // posed against the probe, a pixel or so apart from the candidate's pose where the light
    // differs or the scale is far from 1; a template shared by both sides then leaves the mould's
    // pattern in both residuals, and the candidate correlates with a same-mould look-alike on the
    // shared pattern (development stress set, recaptures at 0.74-0.8x and 1.25-1.35x: a look-alike
    // scored 0.33 this way). The probe's side is not moved like the candidate's: the two residuals
    // would then share the moved template's sampling error, and a look-alike correlates with that
    // (synthetic cohorts of 40 siblings posed like texture.test.ts's: 0.14-0.18, against 0.01-0.05).
    const tc = realign ? shiftedByTile(t, tileOffsets(w, t, width, height, tiles), width, height, tiles) : t;
    const dA = realign ? 3 : 1;
    const V = 4 + dA; // p, r, c, tc, then t[, tx, ty]
    const probeFit = realign ? [4, 5, 6] : [4];
    const candFit = realign ? [3] : [4];
    const M = (V * (V + 1)) / 2;
    const T = tiles * tiles;
    const s1 = new Float64Array(T * V), s2 = new Float64Array(T * M), cnt = new Float64Array(T);
    const tw = width / tiles, th = height / tiles;
    for (let ty = 0; ty < tiles; ty++) {
      for (let tx = 0; tx < tiles; tx++) {
        const a = ty * tiles + tx;
        const x0 = Math.round(tx * tw), x1 = Math.round((tx + 1) * tw), y0 = Math.round(ty * th), y1 = Math.round((ty + 1) * th);
        // Sums and products of (p, r, c, tc, t, tx, ty) over the tile, unrolled (this loop runs for every pixel of every candidate).
        let m = 0, S0 = 0, S1 = 0, S2 = 0, S3 = 0, S4 = 0, S5 = 0, S6 = 0;
        let P00 = 0, P01 = 0, P02 = 0, P03 = 0, P04 = 0, P05 = 0, P06 = 0, P11 = 0, P12 = 0, P13 = 0, P14 = 0, P15 = 0, P16 = 0;
        let P22 = 0, P23 = 0, P24 = 0, P25 = 0, P26 = 0, P33 = 0, P34 = 0, P35 = 0, P36 = 0, P44 = 0, P45 = 0, P46 = 0, P55 = 0, P56 = 0, P66 = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const i = y * width + x;
            const c = w[i];
            if (Number.isNaN(c)) continue;
            const t0 = t[i];
            const ti = Number.isNaN(t0) ? 0 : t0;
            const v0 = p[i], v1 = q ? q[i] : 0, v2 = c;
            const tci = tc[i];
            const v3 = realign && !Number.isNaN(tci) ? tci : ti, v4 = ti;
            let v5 = 0, v6 = 0;
            if (realign) {
              // Central differences; a missing neighbour counts as the pixel itself.
              const l = x > 0 && !Number.isNaN(t[i - 1]) ? t[i - 1] : ti, r = x < width - 1 && !Number.isNaN(t[i + 1]) ? t[i + 1] : ti;
              const u = y > 0 && !Number.isNaN(t[i - width]) ? t[i - width] : ti, d = y < height - 1 && !Number.isNaN(t[i + width]) ? t[i + width] : ti;
              v5 = (r - l) / 2;
              v6 = (d - u) / 2;
            }
            m++;
            S0 += v0; S1 += v1; S2 += v2; S3 += v3; S4 += v4; S5 += v5; S6 += v6;
            P00 += v0 * v0; P01 += v0 * v1; P02 += v0 * v2; P03 += v0 * v3; P04 += v0 * v4; P05 += v0 * v5; P06 += v0 * v6;
            P11 += v1 * v1; P12 += v1 * v2; P13 += v1 * v3; P14 += v1 * v4; P15 += v1 * v5; P16 += v1 * v6;
            P22 += v2 * v2; P23 += v2 * v3; P24 += v2 * v4; P25 += v2 * v5; P26 += v2 * v6;
            P33 += v3 * v3; P34 += v3 * v4; P35 += v3 * v5; P36 += v3 * v6;
            P44 += v4 * v4; P45 += v4 * v5; P46 += v4 * v6; P55 += v5 * v5; P56 += v5 * v6; P66 += v6 * v6;
          }
        }
        cnt[a] = m;
        s1.set([S0, S1, S2, S3, S4, S5, S6].slice(0, V), a * V);
        const all = [
          [P00, P01, P02, P03, P04, P05, P06],
          [P11, P12, P13, P14, P15, P16],
          [P22, P23, P24, P25, P26],
          [P33, P34, P35, P36],
          [P44, P45, P46],
          [P55, P56],
          [P66],
        ];
        let o2 = a * M;
        for (let j = 0; j < V; j++) for (let k2 = 0; k2 < V - j; k2++) s2[o2++] = all[j][k2];
      }
    }
    // For each mix cos(a) p + sin(a) r (the probe's light turned by a), the tiles' correlations.
    const turns = q ? STEER_MIXES.length : 1;
    const totals = new Float64Array(turns);
    let weight = 0;
    const C = new Float64Array(V * V);
    for (let a = 0; a < T; a++) {
      const m = cnt[a];
      if (m < 64) continue;
      let o2 = a * M;
      for (let j = 0; j < V; j++) {
        for (let k2 = j; k2 < V; k2++) C[j * V + k2] = C[k2 * V + j] = s2[o2++] / m - (s1[a * V + j] / m) * (s1[a * V + k2] / m);
      }
      const cv = (j: number, k2: number) => C[j * V + k2];
      // Probe side: p and r on PROBE_FIT; candidate side: c on CAND_FIT (indices into the channels).
      const fit = (on: number[], y: number) => {
        const d = on.length;
        const A = new Float64Array(d * d);
        for (let j = 0; j < d; j++) for (let k2 = 0; k2 < d; k2++) A[j * d + k2] = cv(on[j], on[k2]) + (j === k2 ? 1e-9 + 1e-4 * cv(on[j], on[j]) : 0);
        return solveSymmetric(A, Float64Array.from(on, (j) => cv(j, y)), d) ?? new Float64Array(d);
      };
      const bp = fit(probeFit, 0), br = fit(probeFit, 1), bc = fit(candFit, 2);
      const dot = (b: Float64Array, on: number[], y: number) => b.reduce((acc2, bj, j) => acc2 + bj * cv(on[j], y), 0);
      // cov(y - b.A, c - bc.B) = cov(y, c) - bc.cov(B, y) - b.cov(A, c) + b' cov(A, B) bc
      const cross = (b: Float64Array, y: number) => {
        let x = cv(y, 2) - dot(bc, candFit, y) - dot(b, probeFit, 2);
        for (let j = 0; j < probeFit.length; j++) for (let k2 = 0; k2 < candFit.length; k2++) x += b[j] * bc[k2] * cv(probeFit[j], candFit[k2]);
        return x;
      };
      const vp = cv(0, 0) - dot(bp, probeFit, 0);
      const vc = cv(2, 2) - dot(bc, candFit, 2);
      const cpc = cross(bp, 0);
      if (!(vp > 1e-9 && vc > 1e-9)) continue;
      if (!q) totals[0] += (cpc / Math.sqrt(vp * vc)) * m;
      else {
        const vq = cv(1, 1) - dot(br, probeFit, 1);
        const cqc = cross(br, 1);
        const cpq = cv(0, 1) - dot(bp, probeFit, 1);
        for (let j = 0; j < turns; j++) {
          const [co, si] = STEER_MIXES[j];
          const vmix = co * co * vp + 2 * co * si * cpq + si * si * vq;
          if (vmix > 1e-9) totals[j] += ((co * cpc + si * cqc) / Math.sqrt(vmix * vc)) * m;
        }
      }
      weight += m;
    }
    let total = totals[0];
    for (let j = 1; j < turns; j++) total = Math.max(total, totals[j]);
    return weight === 0 ? 0 : total / weight;
  });
}

/** Other cohort members a candidate's template needs before it is moved onto the candidate (scoreAgainstTemplate). */
const REALIGN_MIN_COHORT = 8;

/** How far (map pixels, each axis) tileOffsets looks for the template's offset. */
const REALIGN_RADIUS = 2;

/**
 * Per tile, the offset (map pixels, x then y) at which the template `t` best matches the image `c`
 * (both in the probe map's frame, NaN outside): the integer offset within REALIGN_RADIUS with the
 * highest correlation on every second pixel, refined by a parabola on each axis; NaN where they do
 * not correlate. The shared pattern of a mould covers every pixel, so the offset is well defined.
 */
export function tileOffsets(c: Float32Array | Int8Array, t: Float32Array, width: number, height: number, tiles: number): Float32Array {
  const R = REALIGN_RADIUS;
  const tw = width / tiles, th = height / tiles;
  const side = 2 * R + 1;
  const ncc = new Float64Array(side * side);
  const offsets = new Float32Array(2 * tiles * tiles).fill(Number.NaN);
  for (let ty = 0; ty < tiles; ty++) {
    for (let tx = 0; tx < tiles; tx++) {
      const x0 = Math.round(tx * tw), x1 = Math.round((tx + 1) * tw), y0 = Math.round(ty * th), y1 = Math.round((ty + 1) * th);
      let best = -1, bi = -1;
      for (let dy = -R; dy <= R; dy++) {
        for (let dx = -R; dx <= R; dx++) {
          let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
          for (let y = y0; y < y1; y += 2) {
            const yy = y + dy;
            if (yy < 0 || yy >= height) continue;
            for (let x = x0; x < x1; x += 2) {
              const xx = x + dx;
              if (xx < 0 || xx >= width) continue;
              const a = c[y * width + x], b = t[yy * width + xx];
              if (Number.isNaN(a) || Number.isNaN(b)) continue;
              n++;
              sa += a;
              sb += b;
              saa += a * a;
              sbb += b * b;
              sab += a * b;
            }
          }
          const va = saa / n - (sa / n) ** 2, vb = sbb / n - (sb / n) ** 2;
          const r = n >= 64 && va > 1e-9 && vb > 1e-9 ? (sab / n - (sa / n) * (sb / n)) / Math.sqrt(va * vb) : -1;
          const idx = (dy + R) * side + (dx + R);
          ncc[idx] = r;
          if (r > best) {
            best = r;
            bi = idx;
          }
        }
      }
      if (bi < 0 || best <= 0) continue;
      const iy = Math.floor(bi / side), ix = bi % side;
      const sub = (l: number, m: number, r: number) => {
        const d = l - 2 * m + r;
        return d < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / d)) : 0;
      };
      const k = 2 * (ty * tiles + tx);
      offsets[k] = ix - R + (ix > 0 && ix < side - 1 ? sub(ncc[iy * side + ix - 1], best, ncc[iy * side + ix + 1]) : 0);
      offsets[k + 1] = iy - R + (iy > 0 && iy < side - 1 ? sub(ncc[(iy - 1) * side + ix], best, ncc[(iy + 1) * side + ix]) : 0);
    }
  }
  return offsets;
}

/** Keys' cubic convolution weights (a = -0.5) of the four samples around a point at fraction `f` past the second. */
function cubicWeights(f: number): [number, number, number, number] {
  const k = (d: number) => {
    const x = Math.abs(d);
    return x <= 1 ? 1.5 * x ** 3 - 2.5 * x ** 2 + 1 : x < 2 ? -0.5 * x ** 3 + 2.5 * x ** 2 - 4 * x + 2 : 0;
  };
  return [k(1 + f), k(f), k(1 - f), k(2 - f)];
}

/**
 * `t` moved by each tile's offset (tileOffsets; unmoved where it is NaN), sampled with Keys' cubic,
 * which keeps the fine pattern that bilinear sampling at a half-pixel offset would blur (and the
 * blurred part would stay in the residual).
 */
export function shiftedByTile(t: Float32Array, offsets: Float32Array, width: number, height: number, tiles: number): Float32Array {
  const out = new Float32Array(width * height).fill(Number.NaN);
  const tw = width / tiles, th = height / tiles;
  for (let ty = 0; ty < tiles; ty++) {
    for (let tx = 0; tx < tiles; tx++) {
      const x0 = Math.round(tx * tw), x1 = Math.round((tx + 1) * tw), y0 = Math.round(ty * th), y1 = Math.round((ty + 1) * th);
      const k = 2 * (ty * tiles + tx);
      const fx = offsets[k], fy = offsets[k + 1];
      if (Number.isNaN(fx)) {
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * width + x] = t[y * width + x];
        continue;
      }
      const wx = cubicWeights(fx - Math.floor(fx)), wy = cubicWeights(fy - Math.floor(fy));
      const ix0 = Math.floor(fx) - 1, iy0 = Math.floor(fy) - 1;
      // Separable: the rows the tile needs filtered along x, then along y (a NaN tap gives NaN).
      const rows = y1 - y0 + 3, cols = x1 - x0;
      const hx = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        const yy = y0 + iy0 + r;
        for (let x = x0; x < x1; x++) {
          const xs = x + ix0, j = yy * width + xs;
          hx[r * cols + (x - x0)] = yy < 0 || yy >= height || xs < 0 || xs + 3 >= width ? Number.NaN : wx[0] * t[j] + wx[1] * t[j + 1] + wx[2] * t[j + 2] + wx[3] * t[j + 3];
        }
      }
      for (let y = y0; y < y1; y++) {
        const r = y - y0;
        for (let x = 0; x < cols; x++) out[y * width + x0 + x] = wy[0] * hx[r * cols + x] + wy[1] * hx[(r + 1) * cols + x] + wy[2] * hx[(r + 2) * cols + x] + wy[3] * hx[(r + 3) * cols + x];
      }
    }
  }
  return out;
}

/**
 * A homography fitted by least squares to the inliers of a verification (probe = A): handheld
 * photos have some perspective, which the 4-dof similarity of the geometric check leaves as a
 * pixel or two of misregistration at the edges, enough to blur a fine-texture comparison. Falls
 * back to the verification's own transform with fewer than 12 inliers or a degenerate fit.
 */
export async function refinedTransform(a: FeatureSet, b: FeatureSet, result: VerifyResult): Promise<number[] | null> {
  const m = result.geometry.matrix;
  if (!m || result.geometry.inliers < 12) return m;
  const { pairs, count } = result.matches;
  const src: number[] = [], dst: number[] = [];
  for (let k = 0; k < count; k++) {
    if (!result.geometry.inlierMask[k]) continue;
    const i = pairs[2 * k], j = pairs[2 * k + 1];
    src.push(a.keypoints[2 * i], a.keypoints[2 * i + 1]);
    dst.push(b.keypoints[2 * j], b.keypoints[2 * j + 1]);
  }
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const s = scope.track(cv.matFromArray(src.length / 2, 1, cv.CV_32FC2, src));
  const d = scope.track(cv.matFromArray(dst.length / 2, 1, cv.CV_32FC2, dst));
  const h = scope.track(cv.findHomography(s, d, 0));
  if (h.empty() || h.rows !== 3) return m;
  const out = Array.from(h.data64F as Float64Array);
  // Keep the similarity when the fit disagrees with it by more than a few pixels at the inliers (a bad fit).
  let worst = 0;
  for (let t = 0; t < src.length; t += 2) {
    const [x1, y1] = applyTransform(out, src[t], src[t + 1]);
    const [x0, y0] = applyTransform(m, src[t], src[t + 1]);
    worst = Math.max(worst, Math.hypot(x1 - x0, y1 - y0));
  }
  return out.every(Number.isFinite) && worst < 12 ? out : m;
}
