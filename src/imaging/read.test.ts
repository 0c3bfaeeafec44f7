import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImagingError } from '../core/index.js';
import { encodeGreyPng, probeImage, readGreyImage } from './index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-imaging-'));

function gradient(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = (x * 7 + y * 3) & 255;
  return data;
}

describe('readGreyImage', () => {
  it('round-trips an 8-bit PNG exactly', async () => {
    const img = { width: 37, height: 21, data: gradient(37, 21), bitDepth: 8 as const };
    const back = await readGreyImage(await encodeGreyPng(img));
    expect(back.width).toBe(37);
    expect(back.height).toBe(21);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
  });

  it('converts colour to grey and honours EXIF orientation', async () => {
    // 20 wide x 10 high, red left half, rotated by EXIF orientation 6 (90 degrees clockwise).
    const rgb = Buffer.alloc(20 * 10 * 3);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) rgb[(y * 20 + x) * 3] = 255;
    const jpeg = await sharp(rgb, { raw: { width: 20, height: 10, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await readGreyImage(jpeg);
    expect([img.width, img.height]).toEqual([10, 20]);
    // After rotating clockwise, the red (darker grey) half is at the top.
    const top = img.data[2 * 10 + 5];
    const bottom = img.data[17 * 10 + 5];
    expect(top).toBeGreaterThan(40);
    expect(bottom).toBeLessThan(20);
  });

  it('keeps 16-bit samples when asked and scales to 8 bits otherwise', async () => {
    const raw = new Uint16Array(8 * 4);
    for (let i = 0; i < raw.length; i++) raw[i] = i * 2000;
    const png = await encodeGreyPng({ width: 8, height: 4, data: raw, bitDepth: 16 });
    const info = await probeImage(png);
    expect(info.bitDepth).toBe(16);
    const img16 = await readGreyImage(png, { keep16Bit: true });
    expect(img16.bitDepth).toBe(16);
    expect(Array.from(img16.data.slice(0, 4))).toEqual([0, 2000, 4000, 6000]);
    const img8 = await readGreyImage(png);
    expect(img8.bitDepth).toBe(8);
    expect(img8.data[31]).toBe(Math.round((31 * 2000 * 255) / 65535));
  });

  it('reads binary PGM and PPM', async () => {
    const header = Buffer.from('P5\n# comment\n4 2\n255\n', 'ascii');
    const pgm = Buffer.concat([header, Buffer.from([0, 10, 20, 30, 40, 50, 60, 70])]);
    const img = await readGreyImage(pgm);
    expect(Array.from(img.data)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    const ppm = Buffer.concat([Buffer.from('P6 1 1 255 ', 'ascii'), Buffer.from([255, 255, 255])]);
    expect(Array.from((await readGreyImage(ppm)).data)).toEqual([255]);
  });

  it('rejects empty, corrupt, truncated, unsupported and oversized input with the file name', async () => {
    const empty = path.join(tmp, 'empty.png');
    writeFileSync(empty, '');
    await expect(readGreyImage(empty)).rejects.toThrow(/empty\.png: file is empty/);
    const junk = path.join(tmp, 'junk.png');
    writeFileSync(junk, 'this is not an image at all');
    await expect(readGreyImage(junk)).rejects.toThrow(/junk\.png: not a readable image/);
    const png = await encodeGreyPng({ width: 64, height: 64, data: gradient(64, 64), bitDepth: 8 });
    const cut = path.join(tmp, 'cut.png');
    writeFileSync(cut, png.subarray(0, Math.floor(png.length / 2)));
    await expect(readGreyImage(cut)).rejects.toBeInstanceOf(ImagingError);
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).gif().toBuffer();
    await expect(readGreyImage(gif, { name: 'x.gif' })).rejects.toThrow(/x\.gif: unsupported image format "gif"/);
    await expect(readGreyImage(png, { name: 'big.png', maxPixels: 1000 })).rejects.toThrow(/big\.png: image is 64x64 = 4096 pixels, over the limit of 1000/);
    await expect(readGreyImage(path.join(tmp, 'missing.png'))).rejects.toThrow(/missing\.png: cannot read file \(ENOENT\)/);
    const badPgm = Buffer.from('P5 4 4 255 \x01\x02', 'latin1');
    await expect(readGreyImage(badPgm, { name: 'short.pgm' })).rejects.toThrow(/short\.pgm: .*truncated/);
  });

  it('decodes a 10000 x 10000 scan into exactly one 100 MB plane', async () => {
    const png = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const img = await readGreyImage(png);
    expect(img.width * img.height).toBe(1e8);
    expect(img.data.byteLength).toBe(1e8);
    expect(img.data[12345]).toBe(90);
  });
});
