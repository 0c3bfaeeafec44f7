import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, noisePng, startHarness, type Harness } from './helpers.js';
import { writeTinyModel } from './tiny-onnx.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

async function flatPng(level: number): Promise<Buffer> {
  return sharp({ create: { width: 80, height: 60, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer();
}

describe('source models and prediction', () => {
  it('registers and activates models (admin only), lists them, and predicts with the active one', async () => {
    const app = h.server.app;
    const dirA = writeTinyModel(path.join(h.dir, 'models', 'a'), 'bright-v1', 'finish', ['dark', 'bright']);
    const dirB = writeTinyModel(path.join(h.dir, 'models', 'b'), 'bright-v2', 'finish', ['matte', 'gloss']);
    expect((await app.inject({ method: 'POST', url: '/api/models', headers: h.auth('operator'), payload: { dir: dirA } })).statusCode).toBe(403);
    const a = await app.inject({ method: 'POST', url: '/api/models', headers: h.auth('admin'), payload: { dir: dirA, activate: true } });
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json()).toMatchObject({ name: 'bright-v1', attribute: 'finish', classes: ['dark', 'bright'], active: true });
    await app.inject({ method: 'POST', url: '/api/models', headers: h.auth('admin'), payload: { dir: dirB } });
    const dup = await app.inject({ method: 'POST', url: '/api/models', headers: h.auth('admin'), payload: { dir: dirB } });
    expect(dup.statusCode).toBe(409);

    const predict = (bytes: Buffer, fields: Record<string, string> = {}, role: 'inspector' | 'viewer' = 'inspector') =>
      app.inject({ method: 'POST', url: '/api/source/predict', headers: h.auth(role), payload: form(fields, { name: 'part.png', bytes }) });
    const dark = await predict(await flatPng(40));
    expect(dark.statusCode, dark.body).toBe(200);
    expect(dark.json()).toMatchObject({ model: { name: 'bright-v1', attribute: 'finish' }, label: 'dark', bestClass: 'dark', unknown: false, rois: 16 });
    const dist = dark.json().distribution;
    expect(dist.dark + dist.bright).toBeCloseTo(1, 5);
    expect(dist.dark).toBeGreaterThan(0.9);
    // the open-set scores from the raw logits reach the client: tiny model logits [-4x, 4x], x = (40/255 - 0.5) / 0.25
    expect(dark.json().maxLogit).toBeCloseTo(-4 * ((40 / 255 - 0.5) / 0.25), 4);
    expect(dark.json().logitCosine).toBeCloseTo(Math.SQRT1_2, 5);
    expect(dark.json().energy).toBeGreaterThan(dark.json().maxLogit);
    const bright = await predict(await flatPng(230), { rois: '4', seed: '3' });
    expect(bright.json()).toMatchObject({ label: 'bright', rois: 4, seed: 3 });
    expect(bright.json().boxes).toHaveLength(4);

    const activated = await app.inject({ method: 'POST', url: '/api/models/bright-v2/activate', headers: h.auth('admin') });
    expect(activated.statusCode).toBe(200);
    const list = await app.inject({ method: 'GET', url: '/api/models', headers: h.auth('viewer') });
    expect(list.json().items.map((m: { name: string; active: boolean }) => [m.name, m.active])).toEqual([
      ['bright-v1', false],
      ['bright-v2', true],
    ]);
    const afterSwitch = await predict(await flatPng(230), { attribute: 'finish' });
    expect(afterSwitch.json()).toMatchObject({ model: { name: 'bright-v2' }, label: 'gloss' });
    const named = await predict(await flatPng(230), { model: 'bright-v1' });
    expect(named.json()).toMatchObject({ model: { name: 'bright-v1' }, label: 'bright' });

    expect((await predict(await flatPng(230), {}, 'viewer')).statusCode).toBe(403);
    expect((await predict(await flatPng(230), { model: 'nope' })).statusCode).toBe(404);
    expect((await predict(await flatPng(230), { attribute: 'machine' })).json().error.message).toMatch(/no active source model for attribute "machine"/);
    expect((await predict(await flatPng(230), { rois: 'many' })).statusCode).toBe(400);
    const corrupt = await predict((await noisePng(3)).subarray(0, 100));
    expect([400, 422]).toContain(corrupt.statusCode);
    expect(corrupt.json().error.message).toMatch(/part\.png/);
    expect((await app.inject({ method: 'POST', url: '/api/models/nope/activate', headers: h.auth('admin') })).statusCode).toBe(404);
  });

  it('predicts the source of a registered part from its first capture for any reader, by the active model', async () => {
    const app = h.server.app;
    writeTinyModel(path.join(h.dir, 'models', 'c'), 'part-page-v1', 'finish-pp', ['dark', 'bright']);
    await app.inject({ method: 'POST', url: '/api/models', headers: h.auth('admin'), payload: { dir: path.join(h.dir, 'models', 'c'), activate: true } });
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'SRC-DARK' } });
    const photo = path.join(h.dir, 'dark.png');
    writeFileSync(photo, await flatPng(40));
    await h.registry.captures.add('SRC-DARK', photo, {}, { name: 'dark.png' });
    const res = await app.inject({ method: 'GET', url: '/api/parts/SRC-DARK/source?attribute=finish-pp', headers: h.auth('viewer') });
    expect(res.statusCode, res.body).toBe(200);
    const capture = (await h.registry.captures.listForPart('SRC-DARK'))[0];
    expect(res.json()).toMatchObject({ model: { name: 'part-page-v1' }, label: 'dark', rois: 16, captureId: capture.id });
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'SRC-NOPHOTO' } });
    expect((await app.inject({ method: 'GET', url: '/api/parts/SRC-NOPHOTO/source', headers: h.auth('viewer') })).json().error.message).toMatch(/has no capture/);
    expect((await app.inject({ method: 'GET', url: '/api/parts/SRC-DARK/source?attribute=colour', headers: h.auth('viewer') })).statusCode).toBe(404);
  });

  it('evaluates a model on an exported dataset as a background job, with the confusion matrix', async () => {
    const ds = path.join(h.dir, 'dataset');
    mkdirSync(path.join(ds, 'images'), { recursive: true });
    const items = [];
    for (const [i, level] of [30, 50, 70, 200, 220, 240].entries()) {
      writeFileSync(path.join(ds, 'images', `p${i}.png`), await flatPng(level));
      items.push({ id: `p${i}`, serial: `S${i}`, captureId: i + 1, file: `images/p${i}.png`, label: level < 128 ? 0 : 1, split: 'test' });
    }
    // one bright part labelled dark: the confusion matrix must show it
    items[5].label = 0;
    writeFileSync(path.join(ds, 'dataset.json'), JSON.stringify({ schemaVersion: 1, attribute: 'finish', classes: ['dark', 'bright'], pixelSizeUm: null, downscale: 1, seed: 1, items }));
    const res = await h.server.app.inject({ method: 'POST', url: '/api/jobs/evaluate-source', headers: h.auth('admin'), payload: { model: 'bright-v1', dataset: ds, k: 4 } });
    expect(res.statusCode, res.body).toBe(202);
    await h.server.services.jobs.idle();
    const job = (await h.server.app.inject({ method: 'GET', url: `/api/jobs/${res.json().id}`, headers: h.auth('viewer') })).json();
    expect(job.status, job.error).toBe('succeeded');
    expect(job.result).toMatchObject({ model: 'bright-v1', classes: ['dark', 'bright'], confusion: [[3, 1], [0, 2]], images: 6, items: 6 });
    expect(job.result.accuracy).toBeCloseTo(5 / 6, 6);
    expect(job.result.confusionSvg).toMatch(/^<svg/);
    expect((await h.server.app.inject({ method: 'POST', url: '/api/jobs/evaluate-source', headers: h.auth('operator'), payload: { model: 'bright-v1', dataset: ds } })).statusCode).toBe(403);
  });
});
