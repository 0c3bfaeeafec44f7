/**
 * The capture as if lit from another direction. The fine shading of a relief lit from one side is
 * its slope along the light; a recapture lit from 30-45 degrees away shows another slope pattern,
 * and AKAZE then finds almost no consistent matches with the registration (development stress
 * set: 2-7 inliers with every part). Relighting the probe towards the registration's light brings
 * them back (the same probes: 40-290 inliers with the right turn). Calibration uses the same
 * relighting to make recaptures of a registered image.
 */
import { DisposeScope } from '../../core/index.js';
import { loadOpenCv, type GreyImage } from '../../imaging/index.js';
import { fingerprintNormalised, type PartialFingerprintOptions } from './fingerprint.js';
import type { NormalisedCapture } from './normalise.js';
import type { FeatureSet } from '../types.js';

/** Detail finer than this (Gaussian sigma, pixels) is relief shading; coarser is the illumination. */
const RELIGHT_SIGMA = 32;
/** Regularises the division by k.u where the original shading holds no information. */
const RELIGHT_EPS = 0.1;

/**
 * The image as if its light had turned by `turnDeg` in the surface plane. For a relief h lit from a
 * direction whose horizontal component is u, the fine shading is approximately the directional
 * derivative D_u h; lit from u turned by t it is cos(t) D_u h + sin(t) D_v h (v perpendicular to u).
 * D_v h is estimated from D_u h in the Fourier domain (multiplier (k.v)(k.u) / ((k.u)^2 + eps |k|^2));
 * u is the principal axis of the detail's power spectrum (it has most power along the light).
 */
export async function relight(img: GreyImage & { data: Uint8Array }, turnDeg: number): Promise<Float32Array> {
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const { width: w, height: h } = img;
  const src = scope.track(cv.matFromArray(h, w, cv.CV_8UC1, img.data));
  const f = scope.track(new cv.Mat());
  src.convertTo(f, cv.CV_32F);
  const low = scope.track(new cv.Mat());
  cv.GaussianBlur(f, low, new cv.Size(0, 0), RELIGHT_SIGMA, RELIGHT_SIGMA, cv.BORDER_REFLECT);
  const detail = scope.track(new cv.Mat());
  cv.subtract(f, low, detail);
  const out = await steer(detail.data32F as Float32Array, w, h, turnDeg);
  const l = low.data32F as Float32Array;
  for (let i = 0; i < out.length; i++) out[i] += l[i];
  return out;
}

/**
 * Fine shading `detail` (w x h, zero mean) as lit from its light turned by `turnDeg` in the
 * surface plane: cos(t) D_u h + sin(t) D_v h, D_v h estimated in the Fourier domain (see `relight`).
 * At 90 degrees it is the shading under the perpendicular light alone.
 */
export async function steer(detail: Float32Array, w: number, h: number, turnDeg: number): Promise<Float32Array> {
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const src = scope.track(cv.matFromArray(h, w, cv.CV_32FC1, detail));
  const spec = scope.track(new cv.Mat());
  cv.dft(src, spec, cv.DFT_COMPLEX_OUTPUT);
  const c = spec.data32F as Float32Array;
  const freq = (i: number, n: number) => (i <= n / 2 ? i : i - n) / n;
  let mxx = 0, mxy = 0, myy = 0;
  for (let y = 0; y < h; y++) {
    const ky = freq(y, h);
    for (let x = 0; x < w; x++) {
      const kx = freq(x, w);
      const k2 = kx * kx + ky * ky;
      if (k2 === 0) continue;
      const p = (c[2 * (y * w + x)] ** 2 + c[2 * (y * w + x) + 1] ** 2) / k2;
      mxx += p * kx * kx;
      mxy += p * kx * ky;
      myy += p * ky * ky;
    }
  }
  const axis = 0.5 * Math.atan2(2 * mxy, mxx - myy);
  const ux = Math.cos(axis), uy = Math.sin(axis), vx = -uy, vy = ux;
  const t = (turnDeg * Math.PI) / 180;
  const ct = Math.cos(t), st = Math.sin(t);
  for (let y = 0; y < h; y++) {
    const ky = freq(y, h);
    for (let x = 0; x < w; x++) {
      const kx = freq(x, w);
      const ku = kx * ux + ky * uy, kv = kx * vx + ky * vy, k2 = kx * kx + ky * ky;
      const m = ct + (k2 > 0 ? (st * ku * kv) / (ku * ku + RELIGHT_EPS * k2) : 0);
      c[2 * (y * w + x)] *= m;
      c[2 * (y * w + x) + 1] *= m;
    }
  }
  const back = scope.track(new cv.Mat());
  cv.dft(spec, back, cv.DFT_INVERSE | cv.DFT_SCALE | cv.DFT_REAL_OUTPUT);
  return Float32Array.from(back.data32F as Float32Array);
}

/** `relight` rounded back to an 8-bit image of the same size. */
export async function relightImage(img: GreyImage & { data: Uint8Array }, turnDeg: number): Promise<GreyImage & { bitDepth: 8; data: Uint8Array }> {
  const lit = await relight(img, turnDeg);
  return { width: img.width, height: img.height, bitDepth: 8, data: Uint8Array.from(lit, (v) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))) };
}

/**
 * The fingerprint of a normalised probe relit by `turnDeg` (same options and extractor version as
 * the probe's own, so it compares with the registry's); null when the relit view fails the gate.
 */
export async function relitFingerprint(normalised: NormalisedCapture, turnDeg: number, options: PartialFingerprintOptions): Promise<FeatureSet | null> {
  const image = await relightImage(normalised.image, turnDeg);
  const fp = await fingerprintNormalised({ ...normalised, image }, options);
  return fp.quality.ok ? fp.features : null;
}
