import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configureSharp } from './read.js';
import type { GreyImage } from './types.js';

/** Encodes a grey image as PNG (8 or 16 bit). */
export async function encodeGreyPng(img: GreyImage): Promise<Buffer> {
  // sharp infers the sample depth from the typed array (Uint16Array -> ushort).
  return configureSharp()(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .toColourspace(img.bitDepth === 16 ? 'grey16' : 'b-w')
    .png({ compressionLevel: 6 })
    .toBuffer();
}

export async function writeGreyPng(img: GreyImage, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await encodeGreyPng(img));
}
