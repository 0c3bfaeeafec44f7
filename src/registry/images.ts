/** Checks an image before it is stored: readable, supported, within limits, fully decodable. */
import { readFile } from 'node:fs/promises';
import { RegistryError } from '../core/index.js';
import { probeImage, readGreyImage } from '../imaging/index.js';

export interface InspectedImage {
  /** The file's bytes, exactly as stored (the blob). */
  bytes: Uint8Array;
  name: string;
  format: string;
  /** Size after EXIF orientation. */
  width: number;
  height: number;
  bitDepth: 8 | 16;
}

export async function readImageBytes(file: string, name = file): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const folder = code === 'EISDIR' ? ': a folder, not an image file' : '';
    throw new RegistryError(`${name}: cannot read file (${code}${folder})`, { code: code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_INPUT', cause: err });
  }
}

/**
 * Reads and fully decodes an image once (so truncated files are caught before anything is
 * stored), keeping only its bytes and size. Errors name the file and the reason.
 */
export async function inspectImage(source: string | Uint8Array, options: { name?: string; maxPixels?: number } = {}): Promise<InspectedImage> {
  const name = options.name ?? (typeof source === 'string' ? source : 'image');
  const bytes = typeof source === 'string' ? await readImageBytes(source, name) : source;
  const info = await probeImage(bytes, { name, maxPixels: options.maxPixels });
  const img = await readGreyImage(bytes, { name, maxPixels: options.maxPixels });
  return { bytes, name, format: info.format, width: img.width, height: img.height, bitDepth: info.bitDepth };
}
