/**
 * `partprint source dataset` from a real (SQLite) registry: parts with a machine attribute and two
 * captures each -> balanced split by part with every capture on its part's side, downscaled PNGs,
 * and a refusal (with the reason, nothing written) when a class has too few parts.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { createRng } from '../../src/core/index.js';
import { encodeGreyPng, readGreyImage } from '../../src/imaging/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { readDataset } from '../../src/source/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-source-dataset-'));
const data = path.join(tmp, 'registry');

const cli = runCliCaptured;

beforeAll(async () => {
  const reg = await openRegistry({ dataDir: data });
  const rng = createRng(7);
  try {
    // M01: 6 parts, M02: 6 parts, M03: 3 parts (too few for the full split); 2 faces each.
    for (const [machine, n] of [['M01', 6], ['M02', 6], ['M03', 3]] as const) {
      for (let p = 0; p < n; p++) {
        const serial = `${machine}-${p}`;
        await reg.parts.create({ serial, attributes: { machine, process: 'SLA' } });
        for (const face of ['A', 'B']) {
          const px = new Uint8Array(41 * 33).map(() => 50 + rng.int(150));
          await reg.captures.add(serial, await encodeGreyPng({ width: 41, height: 33, data: px, bitDepth: 8 }), { face, pixelSizeUm: 5.3 });
        }
      }
    }
    await reg.parts.create({ serial: 'NO-ATTR' }); // no machine attribute: not a candidate
  } finally {
    await reg.close();
  }
});

describe('source dataset from the registry', () => {
  it('builds a balanced split by part, downscaled, captures following their part', async () => {
    const out = path.join(tmp, 'ds');
    const r = await cli('source', 'dataset', '--data', data, '--attribute', 'machine', '--classes', 'M01,M02', '--train-per-class', '3', '--val-per-class', '1', '--test-per-class', '2', '--downscale', '2', '--seed', '9', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const ds = await readDataset(out);
    expect(ds.classes).toEqual(['M01', 'M02']);
    expect(ds.downscale).toBe(2);
    expect(ds.pixelSizeUm).toBe(5.3);
    expect(ds.items).toHaveLength(2 * 6 * 2);
    for (const split of ['train', 'val', 'test'] as const) {
      const want = { train: 3, val: 1, test: 2 }[split];
      for (const label of [0, 1]) expect(new Set(ds.items.filter((i) => i.split === split && i.label === label).map((i) => i.serial)).size).toBe(want);
    }
    const sides = new Map<string, Set<string>>();
    for (const it of ds.items) sides.set(it.serial, (sides.get(it.serial) ?? new Set()).add(it.split));
    expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
    expect(ds.items.every((i) => typeof i.captureId === 'number' && i.id === `${i.serial}-c${i.captureId}`)).toBe(true);
    const img = await readGreyImage(path.join(out, ds.items[0].file));
    expect([img.width, img.height]).toEqual([20, 16]); // floor(41/2) x floor(33/2)
  });

  it('refuses an unbalanced split, says why and writes nothing', async () => {
    const out = path.join(tmp, 'refused');
    const r = await cli('source', 'dataset', '--data', data, '--attribute', 'machine', '--train-per-class', '3', '--val-per-class', '1', '--test-per-class', '2', '--out', out);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/class M03 has 3 part\(s\), needs 6 \(3 train \+ 1 val \+ 2 test\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to overwrite an existing dataset without --force', async () => {
    const out = path.join(tmp, 'ds');
    const before = readFileSync(path.join(out, 'dataset.json'), 'utf8');
    const r = await cli('source', 'dataset', '--data', data, '--attribute', 'machine', '--classes', 'M01,M02', '--train-per-class', '2', '--val-per-class', '0', '--test-per-class', '2', '--out', out);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/exists and is not empty/);
    expect(readFileSync(path.join(out, 'dataset.json'), 'utf8')).toBe(before);
  });
});
