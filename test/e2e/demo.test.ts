import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { listModels } from '../../src/source/index.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('partprint demo', () => {
  it('imports, fingerprints and identifies synthetic parts, rejects look-alikes, records history and names the machine of unseen parts', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-demo-'));
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await runCli(['demo', '--data', dir, '--parts-per-machine', '1', '--lookalikes', '6']);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/imported 21 parts with 21 captures/);
    expect(text).toMatch(/fingerprinted 21 captures \(0 rejected/);
    const identified = /identified (\d+)\/21 .* registered parts correctly; (\d+)\/6 .* look-alikes flagged NOT REGISTERED/.exec(text);
    expect(identified, text).not.toBeNull();
    expect(Number(identified![1])).toBeGreaterThanOrEqual(20);
    // A look-alike accepted as a registered part would be a counterfeit passing: none may.
    expect(Number(identified![2])).toBe(6);
    expect((await stat(path.join(dir, 'demo', 'evidence.png'))).size).toBeGreaterThan(1000);
    const epcis = JSON.parse(await readFile(path.join(dir, 'demo', 'history.epcis.jsonld'), 'utf8'));
    expect(epcis.type).toBe('EPCISDocument');
    expect(epcis.epcisBody.eventList).toHaveLength(7);
    // Source identification on parts the bundled model never saw (its own test split, rebuilt).
    const source = /predicted the machine of (\d+) parts the model never saw .*: (\d+)\/(\d+) /.exec(text);
    expect(source, text).not.toBeNull();
    expect(Number(source![1])).toBe(21);
    expect(Number(source![2])).toBeGreaterThanOrEqual(20);
    const predictions = (await readFile(path.join(dir, 'demo', 'source', 'predictions.csv'), 'utf8')).trim().split('\n');
    expect(predictions).toHaveLength(22);
    expect(new Set(predictions.slice(1).map((l) => l.split(',')[1])).size).toBe(21);
    const reg = await openRegistry({ dataDir: dir });
    try {
      const { total } = await reg.parts.list({ attributes: { process: 'FDM' } });
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThan(21);
      const p = await reg.parts.get('P000001');
      expect(p?.attributes).toMatchObject({ machine: 'M01' });
      expect(Object.keys(p?.attributes ?? {})).toEqual(expect.arrayContaining(['process', 'material', 'build', 'tray_position']));
      const models = await listModels(reg, 'machine');
      expect(models.filter((m) => m.active).map((m) => m.name)).toEqual(['synth21-s0.85-mobilenet_v3_small']);
    } finally {
      await reg.close();
    }
  });
});
