/** /api/line: an admin starts a watcher on a folder, an operator delivers images over HTTP; counts, journal and outcomes. */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGreyPng } from '../../src/imaging/index.js';
import { makeFlat } from '../helpers/test-images.js';
import { encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../../src/synth/index.js';
import { form, startHarness, type Harness } from './helpers.js';

const CONFIG: SynthConfig = { seed: 8, strength: 1, processes: ['MJF'], machines: 1, partsPerMachine: 5 };
let h: Harness;
let inbox: string;

async function partPng(i: number, capture: number): Promise<Buffer> {
  const part = makePart(CONFIG, makeMachines(CONFIG), i);
  const cap = renderCapture(part, sampleCaptureParams(part, capture), { size: 256, pixelUm: 10.6 });
  return Buffer.from(await encodeCapture(cap.pixels, cap.width, cap.height, 'png', 0));
}

beforeAll(async () => {
  h = await startHarness();
  inbox = path.join(h.dir, 'camera');
  await mkdir(inbox);
});
afterAll(async () => h?.close());

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('line registration over HTTP', () => {
  it('registers delivered images through a watcher, rejects a flat one with the reason, and reports counts', async () => {
    expect((await h.server.app.inject({ method: 'POST', url: '/api/line/watchers', headers: h.auth('operator'), payload: { inbox } })).statusCode).toBe(403);
    const started = await h.server.app.inject({ method: 'POST', url: '/api/line/watchers', headers: h.auth('admin'), payload: { inbox, settleMs: 50, pollMs: 20, partNumber: 'clip' } });
    expect(started.statusCode, started.body).toBe(201);
    const id = started.json().id;
    expect((await h.server.app.inject({ method: 'POST', url: '/api/line/watchers', headers: h.auth('admin'), payload: { inbox } })).statusCode).toBe(409);

    const good = await h.server.app.inject({ method: 'POST', url: '/api/line/images', headers: h.auth('operator'), payload: form({ serial: 'LN-1', face: 'top', attributes: '{"machine":"M01"}' }, { name: 'cam.png', bytes: await partPng(0, 0) }) });
    expect(good.statusCode, good.body).toBe(202);
    const flat = await h.server.app.inject({ method: 'POST', url: '/api/line/images', headers: h.auth('operator'), payload: form({ serial: 'LN-2' }, { name: 'flat.png', bytes: await encodeGreyPng(makeFlat(120, 256, 256)) }) });
    expect(flat.statusCode).toBe(202);
    const status = await until(async () => (await h.server.app.inject({ method: 'GET', url: `/api/line/watchers/${id}`, headers: h.auth('viewer') })).json(), (s) => s.stats.registered + (s.stats.rejected.quality ?? 0) >= 2);
    expect(status).toMatchObject({ running: true, stats: { registered: 1, rejected: { quality: 1 } } });
    expect(status.last.map((x: { serial: string; status: string }) => [x.serial, x.status]).sort()).toEqual([['LN-1', 'registered'], ['LN-2', 'rejected']]);
    expect((await readdir(path.join(inbox, 'done'))).filter((f) => f.endsWith('.png'))).toHaveLength(1);
    const part = await h.server.app.inject({ method: 'GET', url: '/api/parts/LN-1', headers: h.auth('viewer') });
    expect(part.json()).toMatchObject({ serial: 'LN-1', partNumber: 'clip', attributes: { machine: 'M01' } });
    // Registered through the server's own index: identify finds it at once.
    const probe = await h.server.app.inject({ method: 'POST', url: '/api/identify', headers: h.auth('inspector'), payload: form({}, { name: 'p.png', bytes: await partPng(0, 1) }) });
    expect(probe.json()).toMatchObject({ decision: 'identified', best: { serial: 'LN-1' } });
    const list = await h.server.app.inject({ method: 'GET', url: '/api/line/watchers', headers: h.auth('viewer') });
    expect(list.json().journal).toEqual({ registered: 1, rejected: { quality: 1 } });
    const stopped = await h.server.app.inject({ method: 'DELETE', url: `/api/line/watchers/${id}`, headers: h.auth('admin') });
    expect(stopped.json().running).toBe(false);
    const late = await h.server.app.inject({ method: 'POST', url: '/api/line/images', headers: h.auth('operator'), payload: form({ serial: 'LN-3' }, { name: 'x.png', bytes: await partPng(1, 0) }) });
    expect(late.statusCode).toBe(400);
  }, 60_000);
});
