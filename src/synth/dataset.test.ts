import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SynthError } from '../core/index.js';
import { readGreyImage } from '../imaging/index.js';
import { parseCsv } from './csv.js';
import { generateParts, generateRecaptures, PARTS_HEADER } from './dataset.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'synth-test-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('data sets on disk', () => {
  it('writes parts with a Parts CSV manifest, then recaptures and look-alikes', async () => {
    const out = await tmp();
    const s = await generateParts({ out, machines: 4, partsPerMachine: 2, size: 128, workers: 1 });
    expect(s.images).toBe(8);
    const rows = parseCsv(await readFile(s.manifest, 'utf8'));
    expect(Object.keys(rows[0])).toEqual(PARTS_HEADER);
    expect(rows.map((r) => r.serial)).toEqual(['P000001', 'P000002', 'P000003', 'P000004', 'P000005', 'P000006', 'P000007', 'P000008']);
    expect(new Set(rows.map((r) => r.process))).toEqual(new Set(['DLS', 'MJF', 'SLA', 'FDM']));
    expect(rows[2]).toMatchObject({ machine: 'M02', process: 'MJF', material: 'PA12', build: 'M02-B01', tray_position: 'r1c1', pixel_size_um: '5.3' });
    for (const r of rows) {
      const img = await readGreyImage(path.join(out, r.image));
      expect([img.width, img.height]).toEqual([128, 128]);
    }
    const info = JSON.parse(await readFile(path.join(out, 'synth.json'), 'utf8'));
    expect(info.view).toMatchObject({ size: 128, pixelUm: 5.3, wholePart: false });

    const out2 = await tmp();
    const r = await generateRecaptures({ from: out, out: out2, captures: 2, lookalikes: 3, limit: 4, workers: 1 });
    expect(r.images).toBe(4 * 2 + 3);
    const caps = parseCsv(await readFile(r.manifest, 'utf8'));
    const registered = caps.filter((c) => c.registered === 'true');
    const lookalikes = caps.filter((c) => c.registered === 'false');
    expect(registered).toHaveLength(8);
    expect(lookalikes.map((c) => c.serial)).toEqual(['L000001', 'L000002', 'L000003']);
    const known = new Set(rows.map((x) => x.serial));
    for (const l of lookalikes) expect(known.has(l.serial)).toBe(false);
    for (const c of caps) {
      expect(existsSync(path.join(out2, c.file))).toBe(true);
      expect(c.homography.split(' ').map(Number).every(Number.isFinite)).toBe(true);
      expect(c.homography.split(' ')).toHaveLength(9);
    }
    // Same machine and process as a registered part: look-alike i comes from machine i mod M.
    expect(lookalikes[1]).toMatchObject({ machine: 'M02', process: 'MJF' });
  });

  it('is byte-for-byte reproducible from the seed', async () => {
    const a = await tmp();
    const b = await tmp();
    await generateParts({ out: a, machines: 2, partsPerMachine: 1, size: 96, seed: 7, workers: 1 });
    await generateParts({ out: b, machines: 2, partsPerMachine: 1, size: 96, seed: 7, workers: 1 });
    for (const f of ['manifest.csv', 'images/P000001.png', 'images/P000002.png']) {
      expect(Buffer.compare(await readFile(path.join(a, f)), await readFile(path.join(b, f))), f).toBe(0);
    }
  });

  it('refuses bad options and folders that synth did not write, naming the problem', async () => {
    const out = await tmp();
    await expect(generateParts({ out, machines: 0, workers: 1 })).rejects.toThrow(/machines must be/);
    await expect(generateParts({ out, machines: 1, partsPerMachine: 1, size: 101, workers: 1 })).rejects.toThrow(/size must be an even integer/);
    await expect(generateRecaptures({ from: out, out: path.join(out, 'x') })).rejects.toBeInstanceOf(SynthError);
    await writeFile(path.join(out, 'synth.json'), '{ not json');
    await expect(generateRecaptures({ from: out, out: path.join(out, 'x') })).rejects.toThrow(/not valid JSON/);
  });
});
