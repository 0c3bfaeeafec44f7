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
import { DisposeScope } from '../../core/index.js';
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

/** Accumulators per tile of the residual score. */
const ACC = 15;
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
 * member's pose is first refined on the maps (ECC, verify/align.ts).
 */
export function residualScores(
  probe: TextureMap,
  given: TextureEntry[],
  options: { tile?: number; minPixels?: number; align?: Partial<AlignOptions> | null; probePerpendicular?: Float32Array | null } = {},
): number[] {
  const tile = options.tile ?? 64;
  const minPixels = options.minPixels ?? 1024;
  const n = probe.width * probe.height;
  // Members' poses are refined on the maps first (verify/align.ts): the cohort template is only as
  // sharp as its members' alignment, and a part's own correlation only as high as its pose.
  const tpl = options.align ? alignTemplate(probe, options.align) : null;
  const entries = tpl ? given.map((e) => (e.member && e.matrix && e.map.width > 0 ? { ...e, matrix: alignPose(tpl, e.map, e.matrix) } : e)) : given;
  const warped = entries.map((e) => warpInto(probe, e));
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
  const tiles = Math.max(1, Math.round(Math.max(probe.width, probe.height) / tile));
  const tw = probe.width / tiles, th = probe.height / tiles;
  return entries.map((e, k) => {
    const w = warped[k];
    // Partial correlation of probe and candidate given the template, per tile (light, blur and
    // small misregistrations vary over the image), averaged over the tiles: a plain subtraction
    // would leave (gain_c - mean gain) x mould pattern in both residuals.
    const q = options.probePerpendicular ?? null;
    const acc = new Float64Array(tiles * tiles * ACC);
    for (let v = 0; v < probe.height; v++) {
      const ty = Math.min(tiles - 1, Math.floor(v / th));
      for (let u = 0; u < probe.width; u++) {
        const i = v * probe.width + u;
        const c = w[i];
        if (Number.isNaN(c)) continue;
        const others = count[i] - (e.member ? 1 : 0);
        const tv = others > 0 ? (sum[i] - (e.member ? c : 0)) / others : 0;
        const p = probe.data[i];
        const a = (ty * tiles + Math.min(tiles - 1, Math.floor(u / tw))) * ACC;
        acc[a] += p;
        acc[a + 1] += c;
        acc[a + 2] += tv;
        acc[a + 3] += p * p;
        acc[a + 4] += c * c;
        acc[a + 5] += tv * tv;
        acc[a + 6] += p * c;
        acc[a + 7] += p * tv;
        acc[a + 8] += c * tv;
        acc[a + 9]++;
        if (q) {
          const r = q[i];
          acc[a + 10] += r;
          acc[a + 11] += r * r;
          acc[a + 12] += r * c;
          acc[a + 13] += r * p;
          acc[a + 14] += r * tv;
        }
      }
    }
    // Per tile, the candidate's covariances with the probe's shading (x) and, steered, with its
    // shading under the perpendicular light (y), all given the template; then, for each mix
    // cos(a) x + sin(a) y (the probe's light turned by a), the tile's partial correlation.
    const turns = q ? STEER_MIXES.length : 1;
    const totals = new Float64Array(turns);
    let weight = 0, pixels = 0;
    for (let a = 0; a < acc.length; a += ACC) {
      const m = acc[a + 9];
      pixels += m;
      if (m < 64) continue;
      const cov = (xy: number, x: number, y: number) => acc[a + xy] / m - (acc[a + x] / m) * (acc[a + y] / m);
      const vt = cov(5, 2, 2);
      const given = (xy: number, x: number, y: number, xt: number, xtm: number, yt: number, ytm: number) =>
        vt > 1e-9 ? cov(xy, x, y) - (cov(xt, xtm, 2) * cov(yt, ytm, 2)) / vt : cov(xy, x, y);
      const vc = given(4, 1, 1, 8, 1, 8, 1), vp = given(3, 0, 0, 7, 0, 7, 0), cpc = given(6, 0, 1, 7, 0, 8, 1);
      if (!(vp > 1e-9 && vc > 1e-9)) continue;
      if (!q) totals[0] += (cpc / Math.sqrt(vp * vc)) * m;
      else {
        const vq = given(11, 10, 10, 14, 10, 14, 10), cqc = given(12, 10, 1, 14, 10, 8, 1), cpq = given(13, 10, 0, 14, 10, 7, 0);
        for (let k = 0; k < turns; k++) {
          const [co, si] = STEER_MIXES[k];
          const vmix = co * co * vp + 2 * co * si * cpq + si * si * vq;
          if (vmix > 1e-9) totals[k] += ((co * cpc + si * cqc) / Math.sqrt(vmix * vc)) * m;
        }
      }
      weight += m;
    }
    let total = totals[0];
    for (let k = 1; k < turns; k++) total = Math.max(total, totals[k]);
    return pixels < minPixels || weight === 0 ? 0 : total / weight;
  });
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
