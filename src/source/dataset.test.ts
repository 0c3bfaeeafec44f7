import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGreyImage, writeGreyPng } from '../imaging/index.js';
import { parseCsv } from './csv.js';
import { candidatesFromManifest, readDataset, writeDataset } from './dataset.js';
import { planSplit } from './split.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-source-ds-'));

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and newlines', () => {
    const rows = parseCsv('serial,note\r\nA,"x, ""y""\nz"\r\nB,\n');
    expect(rows).toEqual([{ serial: 'A', note: 'x, "y"\nz' }, { serial: 'B', note: '' }]);
  });
  it('names a row with the wrong number of fields', () => {
    expect(() => parseCsv('a,b\n1,2,3\n', 'm.csv')).toThrow(/m\.csv: line 2 has 3 fields, the header has 2/);
  });
});

describe('dataset export from a manifest', () => {
  it('exports downscaled PNGs and dataset.json; a bad image fails the export and leaves nothing', async () => {
    const rows = ['serial,image,machine,pixel_size_um'];
    for (const m of ['M01', 'M02']) {
      for (let p = 0; p < 3; p++) {
        const s = `${m}-${p}`;
        const px = new Uint8Array(10 * 6).map((_, i) => (i * 7 + p * 3) % 256);
        await writeGreyPng({ width: 10, height: 6, data: px, bitDepth: 8 }, path.join(tmp, 'images', `${s}.png`));
        rows.push(`${s},images/${s}.png,${m},4`);
      }
    }
    rows.push('X-1,images/none.png,,4'); // no attribute value: skipped
    writeFileSync(path.join(tmp, 'manifest.csv'), `${rows.join('\n')}\n`);
    const cands = await candidatesFromManifest(path.join(tmp, 'manifest.csv'), 'machine');
    expect(cands).toHaveLength(6);
    const plan = planSplit(cands, { trainPerClass: 1, valPerClass: 1, testPerClass: 1, seed: 3 });
    const out = path.join(tmp, 'ds');
    const ds = await writeDataset(plan, { out, attribute: 'machine', downscale: 3, seed: 3 });
    expect(ds.pixelSizeUm).toBe(4);
    const back = await readDataset(out);
    expect(back.items).toHaveLength(6);
    const img = await readGreyImage(path.join(out, back.items[0].file));
    expect([img.width, img.height]).toEqual([3, 2]);

    writeFileSync(path.join(tmp, 'images', 'M02-2.png'), 'not a png');
    const bad = path.join(tmp, 'ds-bad');
    await expect(writeDataset(plan, { out: bad, attribute: 'machine', downscale: 1, seed: 3 })).rejects.toThrow(/M02-2\.png/);
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
