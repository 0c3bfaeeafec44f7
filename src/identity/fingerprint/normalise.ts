/**
 * Capture normalisation: one 8-bit grey plane at a canonical pixel size, limited to the region
 * that carries the surface, optionally with local contrast normalisation (CLAHE).
 */
import { DisposeScope, IdentityError } from '../../core/index.js';
import { loadOpenCv, to8Bit, type GreyImage, type OpenCv } from '../../imaging/index.js';

/** An OpenCV Mat (the WebAssembly build is untyped). */
type CvMat = ReturnType<OpenCv['matFromArray']>;

export type Region =
  | { kind: 'whole' }
  | { kind: 'rect'; x: number; y: number; width: number; height: number }
  /** `data`: width x height bytes of the capture, non-zero = use this pixel. */
  | { kind: 'mask'; data: Uint8Array };

export interface NormaliseOptions {
  region: Region;
  /** Local contrast normalisation; null = off. */
  clahe: { clipLimit: number; tileGrid: number } | null;
  /**
   * Local brightness normalisation: (I - local mean) / max(local std, minStd), Gaussian windows of
   * `sigma` normalised pixels, mapped back to 8 bits (+-2.5 std). Evens out pressure and ink
   * differences between captures (dark, smeared vs faint, dry fingerprints); null = off.
   */
  localNormalise: { sigma: number; minStd: number } | null;
  /** The capture's micrometres per pixel, when known. */
  pixelSizeUm: number | null;
  /** Resample to this many micrometres per pixel when `pixelSizeUm` is known; null = keep. */
  canonicalPixelSizeUm: number | null;
  /** Downscale so the longer side is at most this (keeps extraction time bounded). */
  maxSide: number;
}

export const DEFAULT_NORMALISE_OPTIONS: NormaliseOptions = {
  region: { kind: 'whole' },
  clahe: null,
  localNormalise: null,
  pixelSizeUm: null,
  canonicalPixelSizeUm: null,
  maxSide: 1024,
};

export interface NormalisedCapture {
  image: GreyImage & { bitDepth: 8; data: Uint8Array };
  /** Normalised-image pixels per original pixel. */
  scale: number;
  /** Top-left of the region in the original capture. */
  offset: { x: number; y: number };
  /** Region mask in normalised pixels (non-zero = use), or null for the whole image. */
  mask: Uint8Array | null;
}

function cropPlane(src: Uint8Array, width: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) out.set(src.subarray((y + r) * width + x, (y + r) * width + x + w), r * w);
  return out;
}

/**
 * Normalises a grey capture (8- or 16-bit) for feature extraction.
 *
 * @example
 *   const n = await normaliseCapture(await readGreyImage('part.png'), { clahe: { clipLimit: 2, tileGrid: 8 } });
 */
export async function normaliseCapture(img: GreyImage, options: Partial<NormaliseOptions> = {}): Promise<NormalisedCapture> {
  const o = { ...DEFAULT_NORMALISE_OPTIONS, ...options };
  const grey = to8Bit(img);
  let data = grey.data as Uint8Array;
  let { width, height } = grey;
  let offset = { x: 0, y: 0 };
  let mask: Uint8Array | null = null;
  if (o.region.kind === 'rect') {
    const r = o.region;
    const x0 = Math.max(0, Math.floor(r.x));
    const y0 = Math.max(0, Math.floor(r.y));
    const x1 = Math.min(width, Math.floor(r.x + r.width));
    const y1 = Math.min(height, Math.floor(r.y + r.height));
    if (x1 - x0 < 1 || y1 - y0 < 1) {
      throw new IdentityError(`region ${r.x},${r.y} ${r.width}x${r.height} lies outside the ${width}x${height} image`, { code: 'BAD_INPUT' });
    }
    data = cropPlane(data, width, x0, y0, x1 - x0, y1 - y0);
    offset = { x: x0, y: y0 };
    width = x1 - x0;
    height = y1 - y0;
  } else if (o.region.kind === 'mask') {
    if (o.region.data.length !== width * height) {
      throw new IdentityError(`mask has ${o.region.data.length} pixels, the image ${width}x${height} = ${width * height}`, { code: 'BAD_INPUT' });
    }
    mask = o.region.data;
  }
  let scale = 1;
  if (o.pixelSizeUm && o.canonicalPixelSizeUm) scale = o.pixelSizeUm / o.canonicalPixelSizeUm;
  if (Math.max(width, height) * scale > o.maxSide) scale = o.maxSide / Math.max(width, height);
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  let mat = scope.track(cv.matFromArray(height, width, cv.CV_8UC1, data));
  let maskMat = mask ? scope.track(cv.matFromArray(height, width, cv.CV_8UC1, mask)) : null;
  if (Math.abs(scale - 1) > 1e-6) {
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const resized = scope.track(new cv.Mat());
    cv.resize(mat, resized, new cv.Size(w, h), 0, 0, scale < 1 ? cv.INTER_AREA : cv.INTER_LINEAR);
    mat = resized;
    if (maskMat) {
      const m2 = scope.track(new cv.Mat());
      cv.resize(maskMat, m2, new cv.Size(w, h), 0, 0, cv.INTER_NEAREST);
      maskMat = m2;
    }
  }
  if (o.clahe) {
    const clahe = scope.track(new cv.CLAHE(o.clahe.clipLimit, new cv.Size(o.clahe.tileGrid, o.clahe.tileGrid)));
    const out = scope.track(new cv.Mat());
    clahe.apply(mat, out);
    mat = out;
  }
  if (o.localNormalise) mat = localNormalise(cv, scope, mat, o.localNormalise);
  const outData = new Uint8Array(mat.data);
  return {
    image: { width: mat.cols, height: mat.rows, data: outData, bitDepth: 8 },
    scale: mat.cols / width,
    offset,
    mask: maskMat ? new Uint8Array(maskMat.data) : null,
  };
}

/** (I - mean) / max(std, minStd) over Gaussian windows, as 8 bits (0 std -> 128, +-2.5 std -> 0 / 255). */
function localNormalise(cv: OpenCv, scope: DisposeScope, src: CvMat, o: { sigma: number; minStd: number }): CvMat {
  const f = scope.track(new cv.Mat());
  src.convertTo(f, cv.CV_32F);
  const size = new cv.Size(0, 0);
  const mean = scope.track(new cv.Mat());
  cv.GaussianBlur(f, mean, size, o.sigma, o.sigma, cv.BORDER_REFLECT);
  const diff = scope.track(new cv.Mat());
  cv.subtract(f, mean, diff);
  const sq = scope.track(new cv.Mat());
  cv.multiply(diff, diff, sq);
  const variance = scope.track(new cv.Mat());
  cv.GaussianBlur(sq, variance, size, o.sigma, o.sigma, cv.BORDER_REFLECT);
  const d = diff.data32F as Float32Array;
  const v = variance.data32F as Float32Array;
  const out = scope.track(new cv.Mat(src.rows, src.cols, cv.CV_8UC1));
  const od = out.data as Uint8Array;
  const floor = o.minStd * o.minStd;
  for (let i = 0; i < d.length; i++) {
    const z = d[i] / Math.sqrt(Math.max(v[i], floor));
    od[i] = Math.max(0, Math.min(255, Math.round(128 + z * 51)));
  }
  return out;
}
