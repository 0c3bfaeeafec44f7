/**
 * Browser e2e harness: a server on 127.0.0.1 with a temp registry and one key per role, headless
 * Debian Chromium through playwright-core, and seeded surface textures (photo + recapture).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { createRng } from '../../src/core/index.js';
import { openRegistry, type Registry } from '../../src/registry/index.js';
import { createServer, type PartprintServer, type Role } from '../../src/server/index.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run; throws under PARTPRINT_REQUIRE_ALL=1 when Chromium is absent. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.PARTPRINT_REQUIRE_ALL === '1') throw new Error(`web e2e: ${CHROMIUM} is missing (PARTPRINT_REQUIRE_ALL=1); apt-get install chromium`);
  console.warn(`web e2e skipped: ${CHROMIUM} is missing (scripts/install-system-deps.sh installs Debian's chromium)`);
  return false;
}

/**
 * Skips the rest of a test whose server route is missing from this build; under
 * PARTPRINT_REQUIRE_ALL=1 (CI) a missing route fails the test instead, so a route that was
 * dropped or never wired cannot pass as a skip. Returns whether the test may go on.
 */
export function needRoute(ctx: { skip(note?: string): void }, present: boolean, what: string): boolean {
  if (present) return true;
  if (process.env.PARTPRINT_REQUIRE_ALL === '1') throw new Error(`web e2e: ${what} (PARTPRINT_REQUIRE_ALL=1: a missing route is a failure)`);
  ctx.skip(what);
  return false;
}

export interface WebHarness {
  dir: string;
  registry: Registry;
  server: PartprintServer;
  baseUrl: string;
  keys: Record<Role, string>;
  browser: Browser;
  page: Page;
  /** Server routes ("METHOD /path") from the OpenAPI document. */
  routes: Set<string>;
  /** What the browser refused under the server's Content-Security-Policy (console errors), so tests can require none. */
  cspViolations: string[];
  close(): Promise<void>;
}

/** `browserArgs`: extra Chromium flags (e.g. a fake camera stream). */
export async function startWebHarness(options: { browserArgs?: string[]; viewport?: { width: number; height: number } } = {}): Promise<WebHarness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-web-'));
  const registry = await openRegistry({ dataDir: dir });
  const server = await createServer({ registry, rateLimit: { perSecond: 0, burst: 1 } });
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'operator', 'inspector', 'viewer'] as const) {
    keys[role] = (await server.services.keys.create({ role, name: `e2e ${role}` })).secret;
  }
  const baseUrl = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const openapi = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const routes = new Set<string>();
  for (const [p, ops] of Object.entries(openapi.paths)) for (const m of Object.keys(ops)) routes.add(`${m.toUpperCase()} ${p}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(options.browserArgs ?? [])],
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return {
    dir,
    registry,
    server,
    baseUrl,
    keys,
    browser,
    page,
    routes,
    cspViolations,
    close: async () => {
      await browser.close().catch(() => undefined);
      await server.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A seeded random surface texture (blurred noise with grain), grey PNG. `view` recaptures it: a
 * small rotation (degrees), a shift (pixels) and a brightness gain, cropped to the same size.
 */
export async function surfacePng(seed: number, view: { angle?: number; dx?: number; dy?: number; gain?: number } = {}, size = 480): Promise<Buffer> {
  const big = size + 80;
  const rng = createRng(seed);
  const coarse = Buffer.alloc(big * big);
  for (let i = 0; i < coarse.length; i++) coarse[i] = rng.int(256);
  const blurred = await sharp(coarse, { raw: { width: big, height: big, channels: 1 } }).blur(1.6).normalise().extractChannel(0).raw().toBuffer();
  const grain = createRng(seed + 7919);
  const px = Buffer.alloc(big * big);
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(blurred[i] * 0.85 + grain.int(40))));
  const { angle = 0, dx = 0, dy = 0, gain = 1 } = view;
  const rotated = await sharp(px, { raw: { width: big, height: big, channels: 1 } }).rotate(angle, { background: '#808080' }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const { width, height } = rotated.info;
  const left = Math.round((width - size) / 2 + dx);
  const top = Math.round((height - size) / 2 + dy);
  return sharp(rotated.data, { raw: { width, height, channels: 1 } })
    .extract({ left, top, width: size, height: size })
    .linear(gain, 0)
    .png()
    .toBuffer();
}

/** Screenshots go to docs/screenshots when PARTPRINT_SCREENSHOTS=1, else to a temp folder. */
export async function screenshotDir(): Promise<string> {
  const dir = process.env.PARTPRINT_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : path.join(os.tmpdir(), 'partprint-web-shots');
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function writeTemp(dir: string, name: string, bytes: Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}

/** Waits until an element matching `selector` contains `text` (playwright-core has no expect). */
export async function seeText(page: Page, selector: string, text: string | RegExp, timeout = 20_000): Promise<void> {
  try {
    await page.locator(selector).filter({ hasText: text }).first().waitFor({ state: 'visible', timeout });
  } catch (e) {
    const found = await page.locator(selector).allInnerTexts().catch(() => []);
    throw new Error(`expected ${selector} to contain ${String(text)}; found ${JSON.stringify(found).slice(0, 800)}`, { cause: e });
  }
}

/** Polls until `fn` returns `expected` (deep equal) or the time is up. */
export async function eventually<T>(fn: () => Promise<T>, expected: T, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)}`);
}

/** A full-page screenshot from the top of the page, saved as `<dir>/<name>.png`. */
export async function takeShot(page: Page, dir: string, name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Enters an API key on the UI's key page and waits until the header shows its role. */
export async function useKey(page: Page, baseUrl: string, secret: string, role: string): Promise<void> {
  await page.goto(`${baseUrl}/#/key`);
  await page.fill('input[name=key]', secret);
  await page.click('button[type=submit]');
  await page.locator('#who .role').filter({ hasText: role }).waitFor();
}
