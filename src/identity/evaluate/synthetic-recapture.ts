/**
 * A synthetic "recapture" of a registered image, for calibrating a registry whose parts have one
 * capture each: the light moved (see `relight`), a random rotation, scale, shift and slight tilt, a
 * brightness gradient and gamma, defocus, motion blur, sensor noise, JPEG.
 *
 * Why relight: a handheld recapture is lit from another direction, so the shared mould pattern
 * shades differently from the registered siblings' and is not fully removed by the cohort
 * template; the impostor scores of real look-alikes come from that residue. A recapture that only
 * moves and blurs the registered image keeps the registration's shading, and calibrating on it put
 * the threshold far below the real look-alikes (development range: FPIR 13% at a 1% target).
 */
import sharp from 'sharp';
import { createRng, DisposeScope } from '../../core/index.js';
import { loadOpenCv, to8Bit, type GreyImage } from '../../imaging/index.js';
import { relightImage } from '../fingerprint/relight.js';

export interface SyntheticRecaptureOptions {
  /** Largest scale change, log-uniform: 0.25 = 0.8..1.25 (a handheld photo's range). */
  scaleJitter: number;
  /** Largest defocus (Gaussian sigma, pixels of the image). */
  maxBlur: number;
  /** Sensor noise, grey levels (standard deviation). */
  noise: number;
  /** Largest turn of the light's direction in the surface plane, degrees (0 = keep the registration's shading). */
  maxLightTurnDeg: number;
  /** Largest projective term per image width (a tilted handheld view). */
  maxPerspective: number;
  /** Largest motion blur, streak length in pixels. */
  maxMotionPx: number;
  /** Chance of JPEG compression (quality 70-95). */
  jpegChance: number;
}

// Scale 0.8-1.25, as handheld recaptures are: a look-alike far from the registration's scale is
// where poses within its cohort disagree most and its impostor scores are highest (development
// stress set at 0.74-0.8x / 1.25-1.35x), and at 0.9-1.1 calibration never saw that case.
export const DEFAULT_SYNTHETIC_RECAPTURE_OPTIONS: SyntheticRecaptureOptions = { scaleJitter: 0.25, maxBlur: 1.2, noise: 3, maxLightTurnDeg: 40, maxPerspective: 0.03, maxMotionPx: 3, jpegChance: 0.6 };

/**
 * @example
 *   const probe = await syntheticRecapture(await readGreyImage('registered.png'), 7);
 */
export async function syntheticRecapture(img: GreyImage, seed: number, options: Partial<SyntheticRecaptureOptions> = {}): Promise<GreyImage & { bitDepth: 8; data: Uint8Array }> {
  const o = { ...DEFAULT_SYNTHETIC_RECAPTURE_OPTIONS, ...options };
  const rng = createRng(seed);
  const grey = to8Bit(img);
  const { width: w, height: h } = grey;
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const turn = o.maxLightTurnDeg > 0 ? rng.uniform(-o.maxLightTurnDeg, o.maxLightTurnDeg) : 0;
  const lit = turn !== 0 ? (await relightImage(grey as GreyImage & { data: Uint8Array }, turn)).data : (grey.data as Uint8Array);
  const src = scope.track(cv.matFromArray(h, w, cv.CV_8UC1, lit));
  const angle = rng.uniform(0, 360);
  const scale = (1 + o.scaleJitter) ** rng.uniform(-1, 1);
  const rot = scope.track(cv.getRotationMatrix2D(new cv.Point(w / 2 + rng.uniform(-0.03, 0.03) * w, h / 2 + rng.uniform(-0.03, 0.03) * h), angle, scale));
  // The similarity plus a slight tilt: projective terms per image width, about the centre.
  const r = rot.data64F as Float64Array;
  const px = rng.uniform(-o.maxPerspective, o.maxPerspective) / w, py = rng.uniform(-o.maxPerspective, o.maxPerspective) / h;
  const pz = 1 - px * (w / 2) - py * (h / 2);
  const view = scope.track(cv.matFromArray(3, 3, cv.CV_64FC1, [r[0], r[1], r[2], r[3], r[4], r[5], px, py, pz]));
  const warped = scope.track(new cv.Mat());
  cv.warpPerspective(src, warped, view, new cv.Size(w, h), cv.INTER_LINEAR, cv.BORDER_REFLECT);
  let out = warped;
  const sigma = rng.uniform(0, o.maxBlur);
  if (sigma > 0.3) {
    const blurred = scope.track(new cv.Mat());
    cv.GaussianBlur(out, blurred, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REFLECT);
    out = blurred;
  }
  const streak = rng.uniform(0, o.maxMotionPx);
  const streakAngle = rng.uniform(0, Math.PI);
  if (streak >= 1) {
    // A line kernel of `streak` pixels at `streakAngle` (a hand moving during the exposure).
    const k = 2 * Math.ceil(streak / 2) + 1;
    const kernel = new Float32Array(k * k);
    const steps = 4 * k;
    for (let i = 0; i <= steps; i++) {
      const t = (i / steps - 0.5) * streak;
      const x = Math.round((k - 1) / 2 + t * Math.cos(streakAngle)), y = Math.round((k - 1) / 2 + t * Math.sin(streakAngle));
      kernel[y * k + x] += 1;
    }
    const total = kernel.reduce((a, b) => a + b, 0);
    const km = scope.track(cv.matFromArray(k, k, cv.CV_32FC1, Array.from(kernel, (v) => v / total)));
    const moved = scope.track(new cv.Mat());
    cv.filter2D(out, moved, -1, km, new cv.Point(-1, -1), 0, cv.BORDER_REFLECT);
    out = moved;
  }
  const d = new Uint8Array(out.data);
  const gamma = Math.exp(rng.uniform(-0.2, 0.2));
  const gx = rng.uniform(-0.15, 0.15), gy = rng.uniform(-0.15, 0.15);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const gain = 1 + gx * (x / w - 0.5) * 2 + gy * (y / h - 0.5) * 2;
      const v = 255 * Math.pow(d[i] / 255, gamma) * gain + rng.normal() * o.noise;
      d[i] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  if (rng.next() < o.jpegChance) {
    const quality = Math.round(rng.uniform(70, 95));
    const jpeg = await sharp(d, { raw: { width: w, height: h, channels: 1 } }).jpeg({ quality }).toBuffer();
    const back = await sharp(jpeg).greyscale().raw().toBuffer();
    return { width: w, height: h, data: new Uint8Array(back.buffer, back.byteOffset, back.length), bitDepth: 8 };
  }
  return { width: w, height: h, data: d, bitDepth: 8 };
}
