/**
 * Guided capture in headless Chromium with a fake camera (a Y4M file of a synthetic recapture):
 * the page shows live framing feedback, takes the shot only when the gate passes and goes to
 * MATCH; offline, the shot waits in IndexedDB and is sent when the browser is online again; a
 * blurred stream is held back with the reason shown and nothing is sent.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/identity/index.js';
import { encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../../src/synth/index.js';
import { CHROMIUM, chromiumAvailable, screenshotDir, seeText, startWebHarness, takeShot, useKey, type WebHarness } from './web-helpers.js';
// @ts-expect-error plain browser ES module without types
import { judgeFrame, measureFrame, reduceGrey } from '../../src/web/static/js/framing.js';

const run = chromiumAvailable();
const CONFIG: SynthConfig = { seed: 13, strength: 1, processes: ['MJF'], machines: 1, partsPerMachine: 8 };
const SIZE = 512;

/** A Y4M (4:2:0, full-range) stream of grey frames; Chromium's fake camera loops it. */
async function writeY4m(file: string, frames: Uint8Array[], width: number, height: number): Promise<void> {
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)];
  for (const f of frames) parts.push(Buffer.from('FRAME\n'), Buffer.from(f), chroma);
  await writeFile(file, Buffer.concat(parts));
}

function fakeCamera(file: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${file}`];
}

describe.skipIf(!run)('guided capture page with a fake camera', () => {
  let hx: WebHarness;
  let blurredFile: string;
  let serial: string;
  let other: Browser | null = null;

  beforeAll(async () => {
    const machines = makeMachines(CONFIG);
    const part = makePart(CONFIG, machines, 0);
    serial = part.serial;
    // The phone's view: a recapture (another pose and light) at the registration's resolution.
    const view = renderCapture(part, sampleCaptureParams(part, 1), { size: SIZE, pixelUm: 5.3 });
    const blurred = new Uint8Array(await sharp(Buffer.from(view.pixels), { raw: { width: SIZE, height: SIZE, channels: 1 } }).blur(2.5).extractChannel(0).raw().toBuffer());
    const os = await import('node:os');
    const tmp = await (await import('node:fs/promises')).mkdtemp(path.join(os.tmpdir(), 'pp-cam-'));
    const sharpFile = path.join(tmp, 'sharp.y4m');
    blurredFile = path.join(tmp, 'blurred.y4m');
    await writeY4m(sharpFile, Array.from({ length: 5 }, () => view.pixels), SIZE, SIZE);
    await writeY4m(blurredFile, Array.from({ length: 5 }, () => blurred), SIZE, SIZE);
    // The framing gate itself, on the same pixels: the sharp view passes, the blurred one fails on focus only.
    const judge = (px: Uint8Array) => { const r = reduceGrey(px, SIZE, SIZE, 256); return judgeFrame(measureFrame(r.data, r.width, r.height)); };
    expect(judge(view.pixels).ok).toBe(true);
    expect(judge(blurred).reasons.map((r: { code: string }) => r.code)).toEqual(['blurred']);

    hx = await startWebHarness({ browserArgs: fakeCamera(sharpFile), viewport: { width: 390, height: 844 } });
    const svc = new IdentityService(hx.registry);
    for (let i = 0; i < 4; i++) {
      const p = makePart(CONFIG, machines, i);
      const reg = renderCapture(p, sampleCaptureParams(p, 0), { size: SIZE, pixelUm: 5.3 });
      await hx.registry.parts.create({ serial: p.serial, partNumber: 'clip' });
      expect((await svc.register(p.serial, await encodeCapture(reg.pixels, reg.width, reg.height, 'png', 0))).status).toBe('registered');
    }
  }, 120_000);
  afterAll(async () => {
    await other?.close().catch(() => undefined);
    await hx?.close();
  });

  it('shows framing feedback, takes the shot when the gate passes and says MATCH', async () => {
    const page = hx.page;
    await useKey(page, hx.baseUrl, hx.keys.inspector, 'inspector');
    const posts: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
    await page.goto(`${hx.baseUrl}/#/capture`);
    await page.locator('#framing li[data-check=focus].ok').waitFor({ timeout: 30_000 });
    await seeText(page, '#verdict[data-decision=match]', 'MATCH', 60_000);
    await seeText(page, '#verdict', serial);
    for (const name of ['focus', 'exposure', 'texture', 'fill']) expect(await page.locator(`#framing li[data-check=${name}]`).getAttribute('class')).toContain('ok');
    expect(posts).toEqual(['/api/identify']);
    await takeShot(page, await screenshotDir(), 'capture-phone-match');
  }, 90_000);

  it('queues the shot offline in IndexedDB and sends it, with the camera pixel size set on this device, when the connection is back', async () => {
    const page = hx.page;
    await page.goto(`${hx.baseUrl}/#/`);
    // 10 um/px is the parts profile's working scale, so the answer is the same as without it.
    await page.evaluate(() => localStorage.setItem('partprint.capture.pixelSizeUm', '10'));
    // The browser does not expose a multipart body with a file to the test: record the form's text fields as fetch sends them.
    // (the page is a single document: the hash navigation below keeps this wrapper)
    await page.evaluate(() => {
      const w = globalThis as unknown as { __forms: Array<Record<string, string>>; fetch: typeof fetch };
      const orig = w.fetch.bind(globalThis);
      w.__forms = [];
      w.fetch = (input, init) => {
        if (init?.body instanceof FormData) w.__forms.push(Object.fromEntries([...init.body.entries()].filter((e): e is [string, string] => typeof e[1] === 'string')));
        return orig(input, init);
      };
    });
    await page.context().setOffline(true);
    await page.goto(`${hx.baseUrl}/#/capture`).catch(() => undefined);
    await page.locator('#capture-status[data-state=queued]').waitFor({ timeout: 60_000 });
    await page.locator('#queue[data-count="1"]').waitFor();
    expect(await page.evaluate('navigator.onLine')).toBe(false);
    await page.context().setOffline(false);
    await seeText(page, '.queued-result #verdict[data-decision=match]', 'MATCH', 60_000);
    await page.locator('#queue[data-count="0"]').waitFor({ state: 'attached' });
    expect(await page.locator('input[name=pixel_size_um]').inputValue()).toBe('10');
    const forms = (await page.evaluate('window.__forms')) as Array<Record<string, string>>;
    expect(forms.filter((f) => 'pixel_size_um' in f)).toEqual([{ pixel_size_um: '10' }]);
    await page.evaluate(() => localStorage.removeItem('partprint.capture.pixelSizeUm'));
  }, 90_000);

  it('holds a blurred stream back with the reason shown and sends nothing', async () => {
    other = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', ...fakeCamera(blurredFile)] });
    const page = await (await other.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await useKey(page, hx.baseUrl, hx.keys.inspector, 'inspector');
    const posts: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
    await page.goto(`${hx.baseUrl}/#/capture`);
    await page.locator('#capture-status[data-state=held]').waitFor({ timeout: 30_000 });
    await seeText(page, '#capture-status', /Held back: blurred/);
    expect(await page.locator('#framing li[data-check=focus]').getAttribute('class')).toContain('bad');
    await page.waitForTimeout(2500);
    expect(await page.locator('#capture-status').getAttribute('data-state')).toBe('held');
    expect(await page.locator('#capture-status').getAttribute('data-reasons')).toBe('blurred');
    expect(posts).toEqual([]);
    expect(await page.locator('#capture-result').innerText()).toBe('');
    await takeShot(page, await screenshotDir(), 'capture-phone-blurred');
  }, 60_000);
});
