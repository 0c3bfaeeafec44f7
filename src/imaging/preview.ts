import { configureSharp, readGreyImage } from './read.js';

/**
 * A small 8-bit greyscale PNG of any supported image (PNG, TIFF, JPEG, PGM/PPM), no side longer
 * than `maxSide`: browsers cannot show TIFF or PGM, and full scans are too large for thumbnails.
 *
 * @example const png = await renderPreviewPng(await readFile('scan.tif'), 480);
 */
export async function renderPreviewPng(bytes: Uint8Array, maxSide: number, name = 'image'): Promise<Buffer> {
  const img = await readGreyImage(bytes, { name });
  const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  return configureSharp()(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .resize(width, height, { kernel: 'lanczos3' })
    .toColourspace('b-w')
    .png({ compressionLevel: 6 })
    .toBuffer();
}
