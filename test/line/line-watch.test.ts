/**
 * Line registration end to end on real synthetic parts: serials from file names, a sidecar and a
 * MES feed; rejections (quality gate, duplicate, unknown serial, no serial) moved aside with the
 * reason; and a watcher killed with SIGKILL (once right after a commit, once at a random moment)
 * loses and doubles nothing when started again.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGreyPng } from '../../src/imaging/index.js';
import { makeFlat } from '../helpers/test-images.js';
import { compilePattern, journalCounts, resolveItem, MesFeed } from '../../src/line/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../../src/synth/index.js';
import { runCliCaptured } from '../helpers/cli.js';

const BIN = path.resolve('bin/partprint.js');
const CONFIG: SynthConfig = { seed: 21, strength: 1, processes: ['FDM', 'DLS'], machines: 2, partsPerMachine: 20 };
const machines = makeMachines(CONFIG);
let dir: string;

async function partPng(i: number, capture = 0): Promise<Buffer> {
  const part = makePart(CONFIG, machines, i);
  const cap = renderCapture(part, sampleCaptureParams(part, capture), { size: 256, pixelUm: 10.6 });
  return Buffer.from(await encodeCapture(cap.pixels, cap.width, cap.height, 'png', 0));
}
const serial = (i: number) => makePart(CONFIG, machines, i).serial;

/** Writes a file the way a camera with the rename-in convention does: a temp name, then rename. */
async function deliver(inbox: string, name: string, bytes: Buffer | string): Promise<void> {
  await writeFile(path.join(inbox, `.${name}.tmp`), bytes);
  await rename(path.join(inbox, `.${name}.tmp`), path.join(inbox, name));
}

async function counts(data: string) {
  const reg = await openRegistry({ dataDir: data });
  try {
    const parts = await reg.parts.list({ limit: 1000 });
    const caps = await reg.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { parts: parts.total, captures: Number(caps.n), journal: await journalCounts(reg), serials: parts.parts.map((p) => p.serial).sort() };
  } finally {
    await reg.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pp-line-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('line data sources', () => {
  it('reads fields from a file-name pattern, a sidecar and the MES feed, in that order', async () => {
    const re = compilePattern('{serial}_{face}_*.png');
    expect(re.exec('A-01_top_0003.png')?.groups).toEqual({ serial: 'A-01', face: 'top' });
    expect(re.exec('A-01_top.jpg')).toBeNull();
    const feed = path.join(dir, 'mes.csv');
    await writeFile(feed, 'serial,part_number,machine,build\nA-01,bracket,M07,B12\n');
    const mes = new MesFeed(feed);
    await mes.refresh();
    const r = resolveItem({ name: 'A-01_top_0003.png', pattern: re, mes, sidecar: { text: '{"operator":"cam-2","attributes":{"lot":"L9"}}', kind: 'json', name: 'A-01_top_0003.json' } });
    expect(r).toEqual({ ok: true, data: { serial: 'A-01', partNumber: 'bracket', attributes: { lot: 'L9', machine: 'M07', build: 'B12' }, meta: { face: 'top', operator: 'cam-2' } } });
    expect(resolveItem({ name: 'B-02_top_1.png', pattern: re, mes, sidecar: null })).toMatchObject({ ok: false, reason: 'unknown-serial' });
    expect(resolveItem({ name: 'junk.png', pattern: re, mes: null, sidecar: null })).toMatchObject({ ok: false, reason: 'no-serial' });
    const csv = resolveItem({ name: 'x.png', pattern: null, mes: null, sidecar: { text: 'serial,pixel_size_um\nC-3,5.3\n', kind: 'csv', name: 'x.csv' } });
    expect(csv).toMatchObject({ ok: true, data: { serial: 'C-3', meta: { pixelSizeUm: 5.3 } } });
  });
});

describe('partprint line watch', () => {
  it('registers complete files once and moves the others aside with the reason', async () => {
    const inbox = path.join(dir, 'inbox1');
    const data = path.join(dir, 'data1');
    await mkdir(inbox, { recursive: true });
    await writeFile(path.join(dir, 'feed1.csv'), `serial,part_number,machine\n${[0, 1, 2, 3, 4].map((i) => `${serial(i)},clip,${machines[Math.floor(i / 20)].name}`).join('\n')}\n`);
    for (const i of [0, 1, 2]) await deliver(inbox, `${serial(i)}_top.png`, await partPng(i));
    // serial from a sidecar (the name carries none)
    await deliver(inbox, 'frame-000117.json', JSON.stringify({ serial: serial(3), face: 'top', attributes: { lot: 'L4' } }));
    await deliver(inbox, 'frame-000117.png', await partPng(3));
    await deliver(inbox, `${serial(4)}_top.png`, await encodeGreyPng(makeFlat(128, 256, 256))); // fails the quality gate
    await deliver(inbox, `${serial(0)}_top.jpg`, await partPng(0, 1)); // same part, same face again: duplicate
    await deliver(inbox, `${serial(7)}_top.png`, await partPng(7)); // not in the MES feed
    await writeFile(path.join(inbox, '.still-writing.png.tmp'), 'x'); // being written: left alone
    const r = await runCliCaptured('line', 'watch', inbox, '--data', data, '--pattern', '{serial}_{face}.*', '--mes', path.join(dir, 'feed1.csv'), '--settle-ms', '50', '--once', '--json');
    expect(r.code, r.err).toBe(0);
    const items = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(items).toHaveLength(7);
    const byFile = Object.fromEntries(items.map((x) => [x.file, x.status === 'registered' ? 'registered' : x.reason]));
    expect(byFile).toEqual({
      [`${serial(0)}_top.png`]: 'registered', [`${serial(1)}_top.png`]: 'registered', [`${serial(2)}_top.png`]: 'registered', 'frame-000117.png': 'registered',
      [`${serial(4)}_top.png`]: 'quality', [`${serial(0)}_top.jpg`]: 'duplicate', [`${serial(7)}_top.png`]: 'unknown-serial',
    });
    expect((await readdir(inbox)).sort()).toEqual(['.still-writing.png.tmp', 'done', 'rejected']);
    expect((await readdir(path.join(inbox, 'done'))).sort()).toContain('frame-000117.json');
    const why = JSON.parse(await readFile(path.join(inbox, 'rejected', `${serial(4)}_top.png.result.json`), 'utf8'));
    expect(why).toMatchObject({ status: 'rejected', reason: 'quality', serial: serial(4) });
    expect(why.detail).toMatch(/no-texture|blurred|too-few-keypoints/);
    const c = await counts(data);
    expect(c).toMatchObject({ parts: 4, captures: 4, journal: { registered: 4, rejected: { quality: 1, duplicate: 1, 'unknown-serial': 1 } } });
    const reg = await openRegistry({ dataDir: data });
    try {
      expect(await reg.parts.get(serial(3))).toMatchObject({ partNumber: 'clip', attributes: { lot: 'L4', machine: 'M01' } });
    } finally {
      await reg.close();
    }
    // The registered parts are identifiable: a recapture finds its part.
    await writeFile(path.join(dir, 'probe.png'), await partPng(2, 1));
    const id = await runCliCaptured('identify', path.join(dir, 'probe.png'), '--data', data, '--json');
    expect(JSON.parse(id.out).serial).toBe(serial(2));
  }, 60_000);

  it('loses and doubles nothing when killed with SIGKILL (after a commit, and at a random moment) and started again', async () => {
    const inbox = path.join(dir, 'inbox2');
    const data = path.join(dir, 'data2');
    await mkdir(inbox, { recursive: true });
    const N = 16;
    for (let i = 0; i < N; i++) await deliver(inbox, `${serial(10 + i)}.png`, await partPng(10 + i));
    const args = ['line', 'watch', inbox, '--data', data, '--settle-ms', '30', '--poll-ms', '20'];
    // 1a. Killed right after its 3rd registration committed, before the journal row.
    const first = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, PARTPRINT_LINE_KILL_AFTER_COMMIT: '3' }, encoding: 'utf8', timeout: 60_000 });
    expect(first.signal).toBe('SIGKILL');
    let c0 = await counts(data);
    expect([c0.parts, c0.journal.registered]).toEqual([3, 2]);
    // 1b. Started again, killed after its 2nd journal row, before that file moved.
    const second = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, PARTPRINT_LINE_KILL_BEFORE_MOVE: '2' }, encoding: 'utf8', timeout: 60_000 });
    expect(second.signal).toBe('SIGKILL');
    c0 = await counts(data);
    expect([c0.parts, c0.journal.registered]).toEqual([4, 4]); // the 3rd part journalled (recognised by its bytes), one new
    expect((await readdir(path.join(inbox, 'done'))).filter((f) => f.endsWith('.png'))).toHaveLength(3);
    // 2. Started again and killed from outside once a few more are done.
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    const doneDir = path.join(inbox, 'done');
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      const n = existsSync(doneDir) ? (await readdir(doneDir)).filter((f) => f.endsWith('.png')).length : 0;
      if (n >= 7) break;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const mid = await counts(data);
    expect(mid.journal.registered).toBeGreaterThanOrEqual(6);
    expect(mid.journal.registered).toBeLessThan(N);
    // 3. Started again: finishes the rest.
    const last = await runCliCaptured(...args, '--once', '--json');
    expect(last.code, last.err).toBe(0);
    const c = await counts(data);
    expect(c).toEqual({ parts: N, captures: N, journal: { registered: N, rejected: {} }, serials: Array.from({ length: N }, (_, i) => serial(10 + i)).sort() });
    expect((await readdir(inbox)).sort()).toEqual(['done', 'rejected']);
    expect((await readdir(doneDir)).filter((f) => f.endsWith('.png'))).toHaveLength(N);
    // Files the journal knew (moved late after a kill) say so in their result.
    const recovered = last.out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.recovered);
    expect(recovered.length).toBeLessThanOrEqual(1);
    const fp = await runCliCaptured('identity', 'reindex', '--data', data);
    expect(fp.code, fp.err).toBe(0);
  }, 120_000);
});
