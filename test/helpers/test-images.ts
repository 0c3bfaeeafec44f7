/**
 * Small seeded textured images for tests and benchmarks: a "surface" (blurred noise blobs) and a
 * "recapture" of it (similarity transform, noise, brightness change). Not a surface model; the
 * synth capability makes realistic parts.
 */
import { createRng, DisposeScope } from '../../src/core/index.js';
import { loadOpenCv, type GreyImage } from '../../src/imaging/index.js';

type Grey8 = GreyImage & { bitDepth: 8; data: Uint8Array };

/** A width x height 8-bit texture from seed. */
export async function makeTexture(seed: number, width = 256, height = 256, blur = 1.6): Promise<Grey8> {
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const rng = createRng(seed);
  const noise = new Float32Array(width * height);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const src = scope.track(cv.matFromArray(height, width, cv.CV_32FC1, noise));
  const blurred = scope.track(new cv.Mat());
  cv.GaussianBlur(src, blurred, new cv.Size(0, 0), blur, blur, cv.BORDER_REFLECT);
  const d = blurred.data32F as Float32Array;
  let s = 0, s2 = 0;
  for (const v of d) {
    s += v;
    s2 += v * v;
  }
  const mean = s / d.length;
  const std = Math.sqrt(s2 / d.length - mean * mean);
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(128 + 45 * ((d[i] - mean) / std))));
  return { width, height, data: out, bitDepth: 8 };
}

export interface RecaptureOptions {
  angleDeg: number;
  scale: number;
  shiftX: number;
  shiftY: number;
  noiseStd: number;
  gain: number;
  offset: number;
  mirror: boolean;
  seed: number;
}

/** The same surface seen again: rotated/scaled about the centre, shifted, noisier, other exposure. */
export async function recapture(img: Grey8, options: Partial<RecaptureOptions> = {}): Promise<Grey8> {
  const o: RecaptureOptions = { angleDeg: 0, scale: 1, shiftX: 0, shiftY: 0, noiseStd: 4, gain: 1, offset: 0, mirror: false, seed: 7, ...options };
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  let src = scope.track(cv.matFromArray(img.height, img.width, cv.CV_8UC1, img.data));
  if (o.mirror) {
    const f = scope.track(new cv.Mat());
    cv.flip(src, f, 1);
    src = f;
  }
  const m = scope.track(cv.getRotationMatrix2D(new cv.Point(img.width / 2, img.height / 2), o.angleDeg, o.scale));
  m.data64F[2] += o.shiftX;
  m.data64F[5] += o.shiftY;
  const dst = scope.track(new cv.Mat());
  cv.warpAffine(src, dst, m, new cv.Size(img.width, img.height), cv.INTER_LINEAR, cv.BORDER_REFLECT);
  const rng = createRng(o.seed);
  const d = dst.data as Uint8Array;
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(o.gain * d[i] + o.offset + o.noiseStd * rng.normal())));
  return { width: img.width, height: img.height, data: out, bitDepth: 8 };
}

/** A constant image. */
export function makeFlat(value: number, width = 256, height = 256): Grey8 {
  return { width, height, data: new Uint8Array(width * height).fill(value), bitDepth: 8 };
}
