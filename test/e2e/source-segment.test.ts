/**
 * `partprint source segment`: a scanner sheet with several parts -> one PNG per part, matched to
 * serials by a positions CSV; the manifest it writes feeds `source dataset --from-manifest`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { createRng } from '../../src/core/index.js';
import { readGreyImage, writeGreyPng } from '../../src/imaging/index.js';
import { parseCsv, readDataset } from '../../src/source/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-source-segment-'));

const cli = runCliCaptured;

describe('source segment', () => {
  it('cuts a sheet into parts, names them by serial and writes a parts manifest', async () => {
    const W = 1200;
    const H = 800;
    const rng = createRng(5);
    const px = new Uint8Array(W * H).map(() => 20 + rng.int(10));
    const rows = ['serial,x,y,width,height,machine,sheet'];
    let n = 0;
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 4; c++) {
        const x = 60 + c * 280 + rng.int(30);
        const y = 60 + r * 380 + rng.int(30);
        const w = 180 + rng.int(40);
        const h = 140 + rng.int(40);
        for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) px[yy * W + xx] = 140 + rng.int(80);
        rows.push(`S${++n},${x},${y},${w},${h},M0${1 + (n % 2)},sheet1.png`);
      }
    }
    rows.push('S99,10,10,5,5,M01,other-sheet.png'); // another sheet's row: ignored
    await writeGreyPng({ width: W, height: H, data: px, bitDepth: 8 }, path.join(tmp, 'sheet1.png'));
    writeFileSync(path.join(tmp, 'positions.csv'), `${rows.join('\n')}\n`);

    const out = path.join(tmp, 'parts');
    const r = await cli('source', 'segment', path.join(tmp, 'sheet1.png'), '--positions', path.join(tmp, 'positions.csv'), '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ parts: 8, missing: [], extraBlobs: 0 });
    const manifest = parseCsv(readFileSync(path.join(out, 'manifest.csv'), 'utf8'));
    expect(manifest.map((m) => m.serial).sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']);
    expect(Object.keys(manifest[0])).toEqual(['serial', 'image', 'machine']);
    const s3 = rows[3].split(',').map(Number);
    const crop = await readGreyImage(path.join(out, manifest.find((m) => m.serial === 'S3')?.image ?? ''));
    expect(Math.abs(crop.width - s3[3])).toBeLessThanOrEqual(2);
    expect(Math.abs(crop.height - s3[4])).toBeLessThanOrEqual(2);

    const ds = path.join(tmp, 'ds');
    const d = await cli('source', 'dataset', '--from-manifest', path.join(out, 'manifest.csv'), '--attribute', 'machine', '--train-per-class', '2', '--val-per-class', '0', '--test-per-class', '2', '--out', ds);
    expect(d.code, d.err).toBe(0);
    expect((await readDataset(ds)).items).toHaveLength(8);
  });
  it('cuts synth sheets (rotated parts) using the synth sheet manifest, masking neighbours and serials', async () => {
    const sheets = path.join(tmp, 'synth-sheets');
    const g = await cli('synth', 'sheet', '--out', sheets, '--parts-per-sheet', '4', '--width-mm', '100', '--height-mm', '75', '--seed', '3');
    expect(g.code, g.err).toBe(0);
    const truth = parseCsv(readFileSync(path.join(sheets, 'manifest.csv'), 'utf8'));
    const out = path.join(tmp, 'synth-parts');
    const r = await cli('source', 'segment', '--positions', path.join(sheets, 'manifest.csv'), '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ parts: 4, missing: [], extraBlobs: 0 });
    const manifest = parseCsv(readFileSync(path.join(out, 'manifest.csv'), 'utf8'));
    expect(manifest.map((m) => m.serial).sort()).toEqual(truth.map((t) => t.serial).sort());
    expect(manifest.every((m) => m.pixel_size_um === '42.3' && m.machine !== '')).toBe(true);
    for (const t of truth) {
      const crop = await readGreyImage(path.join(out, 'images', `${t.serial}.png`));
      // The crop is the part's own bounding box: inside synth's box (which has a margin) and most of it.
      const bw = Number(t.x1) - Number(t.x0);
      const bh = Number(t.y1) - Number(t.y0);
      expect(crop.width).toBeLessThanOrEqual(bw + 4);
      expect(crop.width).toBeGreaterThan(0.8 * bw);
      expect(crop.height).toBeLessThanOrEqual(bh + 4);
      expect(crop.height).toBeGreaterThan(0.8 * bh);
      // The serial's box is blanked.
      const [sx0, sy0, sx1, sy1] = t.serial_region.split(' ').map(Number);
      const cx = Math.round((sx0 + sx1) / 2) - Number(t.x0);
      const cy = Math.round((sy0 + sy1) / 2) - Number(t.y0);
      expect(crop.data[cy * crop.width + cx]).toBe(0);
    }
  });
});
