/**
 * The compute pool must not change an answer: identify, verify and calibration through the pool's
 * worker threads (probe task, then one rank task per request) with the shortlist index on its own
 * thread give the same decisions, candidates and scores as the same service run on this thread
 * (the server's --compute-threads 0), on the same images.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService, loadIdentitySettings, saveIdentitySettings, ShortlistThread } from '../../identity/index.js';
import { openRegistry, type Registry } from '../../registry/index.js';
import { readGreyImage } from '../../imaging/index.js';
import { loadSourceModel, predictSource } from '../../source/index.js';
import { renderMouldSet } from '../../synth/index.js';
import { writeTinyModel } from '../../../test/api/tiny-onnx.js';
import { ComputePool } from './pool.js';

describe('compute pool vs this thread', () => {
  let reg: Registry;
  let pool: ComputePool;
  let thread: ShortlistThread;
  let probes: Array<{ serial: string; role: string; bytes: Uint8Array }>;

  beforeAll(async () => {
    const set = await renderMouldSet({ moulds: 2, partsPerMould: 4, recaptures: 1, lookalikesPerMould: 1, size: 384, encode: true, seed: 21 });
    reg = await openRegistry({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'pp-rank-eq-')) });
    const dir = path.join(reg.dataDir, 'identity');
    // searched through the shortlist (the dense probe extraction), not exhaustively
    await saveIdentitySettings(dir, { ...(await loadIdentitySettings(dir)), exhaustiveUpTo: 0, shortlistSize: 6 });
    const svc = new IdentityService(reg);
    for (const c of set.captures.filter((c) => c.role === 'registered')) expect((await svc.register(c.serial, c.bytes!, { pixelSizeUm: 5 }, { createPart: true, name: `${c.serial}.png` })).status).toBe('registered');
    probes = set.captures.filter((c) => c.role !== 'registered').map((c) => ({ serial: c.serial, role: c.role, bytes: c.bytes! }));
    // recaptures of the same parts lit 35-45 degrees away: answered by a relit view of the probe (made on the pool)
    const far = await renderMouldSet({ moulds: 2, partsPerMould: 4, recaptures: 1, lookalikesPerMould: 0, size: 384, encode: true, seed: 21, lightChangeDeg: [35, 45] });
    probes.push(...far.captures.filter((c) => c.role === 'recapture').map((c) => ({ serial: c.serial, role: c.role, bytes: c.bytes! })));
    pool = new ComputePool({ threads: 2, maxPixels: 50e6 });
    thread = new ShortlistThread();
  }, 120_000);

  afterAll(async () => {
    await pool?.close();
    await thread?.close();
    await reg?.close();
  });

  it('gives the same identify and verify answers', async () => {
    const here = new IdentityService(reg);
    const pooled = new IdentityService(reg, { compute: pool, shortlistThread: thread });
    // the index rebuilt on its thread (from the database page by page) holds what the in-process one holds
    // (pages of 3 read what one query reads)
    const pages = [];
    for (let after = 0, page; (page = await reg.features.dataPage('fingerprint', here.version, after, 3)).length > 0; after = page.at(-1)!.captureId) pages.push(...page);
    expect(pages).toEqual(await reg.features.dataOf('fingerprint', here.version));
    const rebuilt = await pooled.rebuildShortlist();
    expect(rebuilt?.size).toBe((await here.shortlistIndex())?.size);
    expect(rebuilt?.size).toBe(8);
    const before = pool.completed;
    let identified = 0, relit = 0;
    for (const p of probes) {
      const a = await here.identify(p.bytes, { pixelSizeUm: 5 });
      const b = await pooled.identify(p.bytes, { pixelSizeUm: 5 });
      expect(b.status).toBe(a.status);
      if (a.status === 'rejected' || b.status === 'rejected') continue;
      expect(a.candidates.length).toBeGreaterThan(1);
      expect(b.candidates).toEqual(a.candidates);
      expect(b.reason).toBe(a.reason);
      expect(b.bestResult).toEqual(a.bestResult);
      expect(b.bestGallery).toEqual(a.bestGallery);
      if (a.status === 'identified') identified++;
      if (/probe relit by/.test(a.reason)) relit++;
      const claimed = p.role === 'recapture' ? p.serial : 'M01-P0001';
      const va = await here.verify(claimed, p.bytes, { pixelSizeUm: 5 });
      const vb = await pooled.verify(claimed, p.bytes, { pixelSizeUm: 5 });
      expect(vb.status).toBe(va.status);
      if (va.status === 'rejected' || vb.status === 'rejected') continue;
      expect(vb.best).toEqual(va.best);
      expect(vb.reason).toBe(va.reason);
      expect(vb.result).toEqual(va.result);
    }
    // the answers were real ones (recaptures found), and the pool did the work: 2 tasks per request
    expect(identified).toBeGreaterThan(0);
    expect(relit).toBeGreaterThan(0);
    expect(pool.completed - before).toBeGreaterThanOrEqual(4 * probes.length);
  }, 180_000);

  it('gives the same calibration scores (synthetic recaptures on the pool)', async () => {
    const a = await new IdentityService(reg).calibrateFromRegistry(0.1, { apply: false, maxProbes: 4 });
    const b = await new IdentityService(reg, { compute: pool, shortlistThread: thread }).calibrateFromRegistry(0.1, { apply: false, maxProbes: 4 });
    expect(b.genuine).toEqual(a.genuine);
    expect(b.impostor).toEqual(a.impostor);
    expect(a.genuine.length).toBe(4);
    // one capture per part: every probe is a synthetic recapture, made on a worker thread for b
    expect(b.probes).toEqual({ real: 0, synthetic: 4, lookalikes: 0 });
  }, 180_000);

  it('gives the same source prediction (decode, ROIs and inference on a worker thread)', async () => {
    const modelDir = writeTinyModel(path.join(reg.dataDir, 'models', 'tiny'), 'tiny', 'finish', ['dark', 'bright']);
    const file = path.join(reg.dataDir, 'probe.png');
    writeFileSync(file, probes[0].bytes);
    const here = await predictSource(await loadSourceModel(modelDir), await readGreyImage(file), { k: 16, seed: 3, name: 'probe.png' });
    const pooled = await pool.predictSource(modelDir, 'tiny', file, 'probe.png', { k: 16, seed: 3 });
    expect(pooled).toEqual(here);
    expect(pooled.rois).toBe(16);
  }, 60_000);
});
