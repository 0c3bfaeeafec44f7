import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { ImagingError } from '../core/index.js';
import { decodePnm, isPnm } from './pnm.js';
import { DEFAULT_IMAGE_LIMITS, type GreyImage, type ImageLimits } from './types.js';

let configured = false;
/** Sets sharp's thread pool to the core count, once per process. */
export function configureSharp(): typeof sharp {
  if (!configured) {
    sharp.concurrency(os.cpus().length);
    sharp.cache(false);
    configured = true;
  }
  return sharp;
}

export type ImageSource = string | Uint8Array;

export interface ReadOptions extends Partial<ImageLimits> {
  /** Keep 16-bit samples when the file has them (default: convert to 8-bit). */
  keep16Bit?: boolean;
  /** Name used in error messages when the source is a buffer. */
  name?: string;
}

export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  bitDepth: 8 | 16;
  channels: number;
}

const SUPPORTED = new Set(['png', 'jpeg', 'tiff', 'pnm']);

async function loadBytes(source: ImageSource, name: string): Promise<Uint8Array> {
  if (typeof source !== 'string') return source;
  let size: number;
  try {
    const st = await stat(source);
    if (st.isDirectory()) throw new ImagingError(`${name}: is a folder, not an image file`, { code: 'BAD_INPUT' });
    size = st.size;
  } catch (err) {
    if (err instanceof ImagingError) throw err;
    throw new ImagingError(`${name}: cannot read file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      code: 'NOT_FOUND',
      cause: err,
    });
  }
  if (size === 0) throw new ImagingError(`${name}: file is empty (0 bytes)`, { code: 'BAD_INPUT' });
  try {
    return await readFile(source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ImagingError(`${name}: cannot read file (${code})`, { code: code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_INPUT', cause: err });
  }
}

function nameOf(source: ImageSource, options: ReadOptions): string {
  return options.name ?? (typeof source === 'string' ? path.basename(source) : 'image');
}

function checkSize(name: string, width: number, height: number, maxPixels: number): void {
  if (width <= 0 || height <= 0) throw new ImagingError(`${name}: image has zero size`, { code: 'BAD_INPUT' });
  if (width * height > maxPixels) {
    throw new ImagingError(
      `${name}: image is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels}`,
      { code: 'TOO_LARGE' },
    );
  }
}

/** Reads format and size without decoding pixels; rejects unsupported, corrupt or oversized files. */
export async function probeImage(source: ImageSource, options: ReadOptions = {}): Promise<ImageInfo> {
  const name = nameOf(source, options);
  const maxPixels = options.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels;
  const bytes = await loadBytes(source, name);
  if (bytes.length === 0) throw new ImagingError(`${name}: file is empty (0 bytes)`, { code: 'BAD_INPUT' });
  if (isPnm(bytes)) {
    const img = decodePnm(bytes, name);
    checkSize(name, img.width, img.height, maxPixels);
    return { format: 'pnm', width: img.width, height: img.height, bitDepth: img.bitDepth, channels: 1 };
  }
  let meta: Metadata;
  try {
    meta = await configureSharp()(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImagingError(`${name}: not a readable image (${(err as Error).message})`, { code: 'CORRUPT', cause: err });
  }
  const format = meta.format ?? 'unknown';
  if (!SUPPORTED.has(format)) {
    throw new ImagingError(`${name}: unsupported image format "${format}" (use PNG, TIFF, JPEG, PGM or PPM)`, {
      code: 'UNSUPPORTED',
    });
  }
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height ?? 0 : meta.width ?? 0;
  const height = swap ? meta.width ?? 0 : meta.height ?? 0;
  checkSize(name, width, height, maxPixels);
  const depth = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
  return { format, width, height, bitDepth: depth, channels: meta.channels ?? 1 };
}

/**
 * Decodes an image file or buffer to one greyscale plane, honouring EXIF orientation.
 * Exactly one decoded copy is returned; corrupt, truncated, empty, unsupported and oversized
 * inputs throw an ImagingError that names the file and the reason.
 *
 * @example
 *   const img = await readGreyImage('scan.tif'); // { width, height, data: Uint8Array }
 */
export async function readGreyImage(source: ImageSource, options: ReadOptions = {}): Promise<GreyImage> {
  const name = nameOf(source, options);
  const maxPixels = options.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels;
  const bytes = await loadBytes(source, name);
  if (isPnm(bytes)) {
    const img = decodePnm(bytes, name);
    checkSize(name, img.width, img.height, maxPixels);
    if (img.bitDepth === 16 && !options.keep16Bit) return to8Bit(img);
    return img;
  }
  const info = await probeImage(bytes, { ...options, name });
  const sixteen = info.bitDepth === 16 && options.keep16Bit === true;
  try {
    const pipeline = configureSharp()(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .rotate()
      .toColourspace(sixteen ? 'grey16' : 'b-w')
      .extractChannel(0)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' });
    const { data, info: out } = await pipeline.toBuffer({ resolveWithObject: true });
    const pixels = sixteen
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { width: out.width, height: out.height, data: pixels, bitDepth: sixteen ? 16 : 8 };
  } catch (err) {
    throw new ImagingError(`${name}: cannot decode ${info.format} image (${(err as Error).message})`, {
      code: 'CORRUPT',
      cause: err,
    });
  }
}

export function to8Bit(img: GreyImage): GreyImage {
  if (img.bitDepth === 8) return img;
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] >> 8;
  return { width: img.width, height: img.height, data: out, bitDepth: 8 };
}
