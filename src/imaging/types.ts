/** A single-channel image in row-major order. `data.length === width * height`. */
export interface GreyImage {
  width: number;
  height: number;
  /** 8-bit (0..255) or 16-bit (0..65535) samples. */
  data: Uint8Array | Uint16Array;
  bitDepth: 8 | 16;
}

/** A single-channel float image, row-major, used by algorithms that need arithmetic headroom. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

export interface ImageLimits {
  /** Largest accepted width x height. Default 20000 x 20000 (enough for a 10k x 10k scan and more). */
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxPixels: 20_000 * 20_000 };
