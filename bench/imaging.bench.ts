import sharp from 'sharp';
import { readGreyImage } from '../src/imaging/index.js';
import type { BenchResult } from './run.js';

/** Decode throughput for large scans: the ingestion cost of one 10k x 10k capture. */
export async function run(): Promise<BenchResult> {
  const rows: Array<Array<string | number>> = [];
  for (const side of [2000, 5000, 10_000]) {
    const png = await sharp({ create: { width: side, height: side, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .greyscale()
      .png({ compressionLevel: 1 })
      .toBuffer();
    const t0 = performance.now();
    const img = await readGreyImage(png);
    const ms = performance.now() - t0;
    rows.push([`${side}x${side}`, (png.length / 2 ** 20).toFixed(1), ms.toFixed(0), ((img.width * img.height) / 1e6 / (ms / 1000)).toFixed(1)]);
  }
  return { name: 'imaging', metrics: { rows }, tables: [{ title: 'PNG decode to one grey plane', columns: ['size', 'file MiB', 'ms', 'Mpixel/s'], rows }] };
}
