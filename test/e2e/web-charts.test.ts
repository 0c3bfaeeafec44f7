/**
 * Source prediction and model evaluation in the browser: an admin registers a real (tiny) ONNX
 * model, an inspector predicts from an image and sees the same answer as the API as a bar chart;
 * the evaluation page draws the model's confusion matrix; the chart module's DET points are right.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createRng } from '../../src/core/index.js';
import { candidatesFromManifest, planSplit, writeDataset } from '../../src/source/index.js';
import { writeTinyModel } from '../api/tiny-onnx.js';
import { chromiumAvailable, eventually, needRoute, screenshotDir, seeText, startWebHarness, surfacePng, writeTemp, type WebHarness, takeShot, useKey as enterKey } from './web-helpers.js';

const run = chromiumAvailable();

describe.skipIf(!run)('web UI charts in Chromium', () => {
  let hx: WebHarness;
  let shots: string;

  beforeAll(async () => {
    hx = await startWebHarness();
    shots = await screenshotDir();
  });
  afterAll(async () => {
    await hx?.close();
  });

  const shot = (name: string) => takeShot(hx.page, shots, name);
  const useKey = (secret: string, role: string) => enterKey(hx.page, hx.baseUrl, secret, role);
  const hasSource = () => hx.routes.has('POST /api/source/predict');

  it('predicts the source of a part and draws the vote distribution', async (ctx) => {
    if (!needRoute(ctx, hasSource(), 'source routes are not wired into this server build')) return;
    const dir = writeTinyModel(path.join(hx.dir, 'models', 'finish'), 'finish-v1', 'finish', ['dark', 'bright']);
    // The card's evaluation metrics (as the trainer writes them): rows = true class.
    const card = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    card.metrics = { test: { parts: 20, rois: 16, accuracy: 0.85, confusionMatrix: [[9, 1], [2, 8]] } };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card));
    const reg = await fetch(`${hx.baseUrl}/api/models`, { method: 'POST', headers: { authorization: `Bearer ${hx.keys.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ dir, activate: true }) });
    expect(reg.status, await reg.clone().text()).toBe(201);

    const bytes = await surfacePng(7, { gain: 1.3 });
    const image = await writeTemp(hx.dir, 'bright.png', bytes);
    const fd = new FormData();
    fd.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'bright.png');
    const expected = (await (await fetch(`${hx.baseUrl}/api/source/predict`, { method: 'POST', headers: { authorization: `Bearer ${hx.keys.inspector}` }, body: fd })).json()) as {
      label: string;
      distribution: Record<string, number>;
    };

    const { page } = hx;
    await useKey(hx.keys.inspector, 'inspector');
    await page.goto(`${hx.baseUrl}/#/source`);
    await seeText(page, 'p.muted', 'finish-v1 (finish)');
    await page.setInputFiles('input[name=image]', image);
    await page.click('button[type=submit]');
    await seeText(page, '.verdict', `finish: ${expected.label}`);
    await eventually(() => page.locator('svg.bars rect').count(), 2);
    const best = await page.locator('svg.bars rect.best title').textContent();
    expect(best).toBe(`${expected.label}: ${(expected.distribution[expected.label] * 100).toFixed(1)}%`);
    await shot('source');
  });

  it('draws the confusion matrix of each model on the evaluation page', async (ctx) => {
    if (!needRoute(ctx, hasSource(), 'source routes are not wired into this server build')) return;
    const { page } = hx;
    await page.goto(`${hx.baseUrl}/#/eval`);
    await seeText(page, 'h3', 'finish-v1');
    await eventually(() => page.locator('svg.heat rect').count(), 4);
    const cells = await page.locator('svg.heat rect title').allTextContents();
    expect(cells).toEqual(['true dark, predicted dark: 9', 'true dark, predicted bright: 1', 'true bright, predicted dark: 2', 'true bright, predicted bright: 8']);
    await seeText(page, 'dl.kv', '0.85');
    // The cells' colours are presentation attributes: the CSP (style-src 'self') blocks inline style="".
    expect(hx.cspViolations).toEqual([]);
    await shot('eval');
  });

  it('runs a source evaluation job from the UI and draws its confusion matrix', async (ctx) => {
    if (!needRoute(ctx, hx.routes.has('POST /api/jobs/evaluate-source'), 'no source evaluation job route in this server build')) return;
    // A small exported dataset: textured parts around a dark or a bright grey level.
    const root = path.join(hx.dir, 'finish-parts');
    mkdirSync(path.join(root, 'images'), { recursive: true });
    const rows = ['serial,image,finish'];
    const rng = createRng(5);
    for (const [finish, level] of [['dark', 70], ['bright', 185]] as const) {
      for (let i = 0; i < 5; i++) {
        const px = Buffer.alloc(96 * 96);
        for (let k = 0; k < px.length; k++) px[k] = level + rng.int(41) - 20;
        const serial = `${finish}-${i}`;
        await sharp(px, { raw: { width: 96, height: 96, channels: 1 } }).png().toFile(path.join(root, 'images', `${serial}.png`));
        rows.push(`${serial},images/${serial}.png,${finish}`);
      }
    }
    writeFileSync(path.join(root, 'manifest.csv'), `${rows.join('\n')}\n`);
    const candidates = await candidatesFromManifest(path.join(root, 'manifest.csv'), 'finish');
    const dataset = path.join(hx.dir, 'finish-ds');
    await writeDataset(planSplit(candidates, { trainPerClass: 1, valPerClass: 1, testPerClass: 3, seed: 1 }), { out: dataset, attribute: 'finish', downscale: 1, seed: 1 });

    const { page } = hx;
    await useKey(hx.keys.admin, 'admin');
    await page.goto(`${hx.baseUrl}/#/eval`);
    await page.click('summary:text("Evaluate a source model")');
    await page.fill('input[name=dataset]', dataset);
    await page.click('text=Evaluate source model');
    await page.locator('section.source-eval svg.heat').waitFor({ timeout: 60_000 });
    await seeText(page, 'section.source-eval h3', 'finish-v1: finish, test split');
    // The tiny model votes by brightness: every test part lands on the diagonal.
    const cells = await page.locator('section.source-eval svg.heat rect title').allTextContents();
    expect(cells).toEqual(['true dark, predicted dark: 3', 'true dark, predicted bright: 0', 'true bright, predicted dark: 0', 'true bright, predicted bright: 3']);
    await seeText(page, 'section.source-eval dl', /accuracy\s*1/);
    await shot('eval');
  });

  it('computes DET points from genuine and impostor scores and draws the curve', async () => {
    const { page } = hx;
    await page.goto(`${hx.baseUrl}/#/eval`);
    const out = (await page.evaluate(`(async () => {
      const svg = await import('/js/svg.js');
      const pts = svg.detFromScores([0.5, 0.6, 0.7, 0.8], [0.01, 0.02, 0.3, 0.55]);
      const at = pts.find((p) => p.threshold === 0.55);
      return { at, n: pts.length, drawn: svg.detCurve(pts, { mark: at }).includes('class="mark"') };
    })()`)) as { at: { fmr: number; fnmr: number }; n: number; drawn: boolean };
    // At 0.55: impostors >= 0.55: 1 of 4; genuines < 0.55: 1 of 4.
    expect(out.at).toMatchObject({ fmr: 0.25, fnmr: 0.25 });
    expect(out.n).toBe(8);
    expect(out.drawn).toBe(true);
  });

  it('writes event times with the browser\'s UTC offset and reads attribute lists', async () => {
    const context = await hx.browser.newContext({ timezoneId: 'Asia/Kolkata' });
    try {
      const page = await context.newPage();
      await page.goto(`${hx.baseUrl}/#/key`);
      const out = (await page.evaluate(`(async () => {
        const { localIso } = await import('/js/views/event-form.js');
        const { parseAttributes } = await import('/js/views/register.js');
        let bad = null;
        try { parseAttributes('machine=M2, oops'); } catch (e) { bad = e.message; }
        return { iso: localIso('2026-03-01T10:00'), attrs: parseAttributes('machine=M2, material: PA12\\ntray_position=R1C3'), bad };
      })()`)) as { iso: string; attrs: Record<string, string>; bad: string | null };
      expect(out.iso).toBe('2026-03-01T10:00:00+05:30');
      expect(out.attrs).toEqual({ machine: 'M2', material: 'PA12', tray_position: 'R1C3' });
      expect(out.bad).toMatch(/"oops" must look like name=value/);
    } finally {
      await context.close();
    }
  });
});
