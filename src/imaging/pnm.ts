import { ImagingError } from '../core/index.js';
import type { GreyImage } from './types.js';

/**
 * Decodes binary and ASCII PGM/PPM (P2, P3, P5, P6), which sharp's libvips build does not read.
 * Colour is converted to grey with Rec. 601 luma, matching sharp's greyscale conversion.
 */
export function decodePnm(buf: Uint8Array, name = 'image'): GreyImage {
  let pos = 0;
  const fail = (reason: string): never => {
    throw new ImagingError(`${name}: not a valid PGM/PPM file (${reason})`, { code: 'CORRUPT' });
  };
  const skipSpaceAndComments = () => {
    while (pos < buf.length) {
      const c = buf[pos];
      if (c === 0x23) {
        while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        pos++;
      } else break;
    }
  };
  const readInt = (): number => {
    skipSpaceAndComments();
    const start = pos;
    while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
    if (pos === start) fail('expected a number in the header');
    return Number(Buffer.from(buf.subarray(start, pos)).toString('ascii'));
  };
  if (buf.length < 3 || buf[0] !== 0x50) fail('missing P magic');
  const kind = buf[1] - 0x30;
  if (![2, 3, 5, 6].includes(kind)) fail(`unsupported variant P${kind}`);
  pos = 2;
  const width = readInt();
  const height = readInt();
  const maxVal = readInt();
  if (width <= 0 || height <= 0) fail('zero size');
  if (maxVal <= 0 || maxVal > 65535) fail(`bad maximum value ${maxVal}`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const wide = maxVal > 255;
  const n = width * height;
  const out = wide ? new Uint16Array(n) : new Uint8Array(n);
  const scale = (wide ? 65535 : 255) / maxVal;
  const sample = (i: number, values: ArrayLike<number>) => {
    const v = channels === 1 ? values[0] : 0.299 * values[0] + 0.587 * values[1] + 0.114 * values[2];
    out[i] = Math.round(v * scale);
  };
  if (kind === 5 || kind === 6) {
    pos++; // exactly one whitespace byte after maxval
    const bytesPer = wide ? 2 : 1;
    const need = n * channels * bytesPer;
    if (buf.length - pos < need) fail(`truncated: ${buf.length - pos} of ${need} pixel bytes`);
    const px = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < channels; c++) {
        const o = pos + (i * channels + c) * bytesPer;
        px[c] = wide ? (buf[o] << 8) | buf[o + 1] : buf[o];
      }
      sample(i, px);
    }
  } else {
    const px = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < channels; c++) px[c] = readInt();
      sample(i, px);
    }
  }
  return { width, height, data: out, bitDepth: wide ? 16 : 8 };
}

export function isPnm(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(buf[1]);
}
