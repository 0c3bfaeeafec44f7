import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGreyImage } from '../imaging/index.js';
import { parseCsv } from './csv.js';
import { generateParts } from './dataset.js';
import { generateSheets, placeParts } from './sheet.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('scanner sheets', () => {
  it('lays parts out without overlap and records where each serial lies', async () => {
    const from = await mkdtemp(path.join(os.tmpdir(), 'synth-sheet-'));
    const out = await mkdtemp(path.join(os.tmpdir(), 'synth-sheet-'));
    dirs.push(from, out);
    await generateParts({ out: from, machines: 2, partsPerMachine: 2, size: 64, workers: 1 });
    const s = await generateSheets({ out, from, sheets: 1, partsPerSheet: 4, pixelUm: 100, widthMm: 110, heightMm: 90 });
    expect(s.parts).toBe(4);
    const rows = parseCsv(await readFile(s.manifest, 'utf8'));
    expect(rows.map((r) => r.serial)).toEqual(['P000001', 'P000002', 'P000003', 'P000004']);
    const img = await readGreyImage(path.join(out, rows[0].sheet));
    expect([img.width, img.height]).toEqual([1100, 900]);
    const inBox = new Uint8Array(img.width * img.height);
    for (const r of rows) {
      const [x0, y0, x1, y1] = [r.x0, r.y0, r.x1, r.y1].map(Number);
      // The part covers a good share of its box (about 27 x 19 mm in a rotated bounding box).
      let bright = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
        inBox[y * img.width + x] = 1;
        if (img.data[y * img.width + x] > 60) bright++;
      }
      expect(bright / ((x1 - x0) * (y1 - y0)), r.serial).toBeGreaterThan(0.3);
      expect(Math.abs((x0 + x1) / 2 - Number(r.centre_x))).toBeLessThan(3);
      const [sx0, sy0, sx1, sy1] = r.serial_region.split(' ').map(Number);
      expect(sx0 >= x0 - 1 && sy0 >= y0 - 1 && sx1 <= x1 + 1 && sy1 <= y1 + 1, `${r.serial} serial box inside part box`).toBe(true);
    }
    // Outside every box the scan is the dark lid (dust specks aside).
    let brightOutside = 0;
    for (let i = 0; i < inBox.length; i++) if (!inBox[i] && img.data[i] > 60) brightOutside++;
    expect(brightOutside).toBeLessThan(300);
  });

  it('says so when the parts do not fit', () => {
    expect(() => placeParts(21, 60, 60, 1)).toThrow(/cannot place 21 parts/);
  });
});
