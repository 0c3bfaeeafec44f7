/**
 * A synthetic "recapture" of a registered image, for calibrating a registry whose parts have one
 * capture each: a random rotation, scale and shift, a brightness gradient and gamma (a lamp moved),
 * defocus, sensor noise. It cannot change how the relief shades under another light direction, so
 * genuine scores from it are optimistic; the threshold is chosen on the impostor side (other
 * registered parts), where it needs no synthesis.
 */
import { createRng, DisposeScope } from '../../core/index.js';
import { loadOpenCv, to8Bit, type GreyImage } from '../../imaging/index.js';

export interface SyntheticRecaptureOptions {
  /** Largest scale change, e.g. 0.1 = 0.9..1.1. */
  scaleJitter: number;
  /** Largest defocus (Gaussian sigma, pixels of the image). */
  maxBlur: number;
  /** Sensor noise, grey levels (standard deviation). */
  noise: number;
}

export const DEFAULT_SYNTHETIC_RECAPTURE_OPTIONS: SyntheticRecaptureOptions = { scaleJitter: 0.1, maxBlur: 1.2, noise: 3 };

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
  const src = scope.track(cv.matFromArray(h, w, cv.CV_8UC1, grey.data as Uint8Array));
  const angle = rng.uniform(0, 360);
  const scale = 1 + rng.uniform(-o.scaleJitter, o.scaleJitter);
  const rot = scope.track(cv.getRotationMatrix2D(new cv.Point(w / 2 + rng.uniform(-0.03, 0.03) * w, h / 2 + rng.uniform(-0.03, 0.03) * h), angle, scale));
  const warped = scope.track(new cv.Mat());
  cv.warpAffine(src, warped, rot, new cv.Size(w, h), cv.INTER_LINEAR, cv.BORDER_REFLECT);
  let out = warped;
  const sigma = rng.uniform(0, o.maxBlur);
  if (sigma > 0.3) {
    const blurred = scope.track(new cv.Mat());
    cv.GaussianBlur(out, blurred, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REFLECT);
    out = blurred;
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
  return { width: w, height: h, data: d, bitDepth: 8 };
}
