/**
 * The web UI driven in headless Chromium against a real server on loopback: enter a key, register
 * a part with a photo, search for it, record an installation with a torque and a correction, see
 * the history; check a part: a recapture (rotated, shifted) is found again, an unknown part is
 * shown as NOT REGISTERED; jobs, source and evaluation pages render. Screenshots of each page.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, eventually, needRoute, screenshotDir, seeText, startWebHarness, surfacePng, writeTemp, type WebHarness, takeShot, useKey as enterKey } from './web-helpers.js';

const run = chromiumAvailable();
const SERIAL = 'SN-E2E-0001';

describe.skipIf(!run)('web UI in Chromium', () => {
  let hx: WebHarness;
  let shots: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    hx = await startWebHarness();
    shots = await screenshotDir();
    files.photo = await writeTemp(hx.dir, 'photo.png', await surfacePng(101));
    files.recapture = await writeTemp(hx.dir, 'recapture.png', await surfacePng(101, { angle: 4, dx: 9, dy: -6, gain: 1.06 }));
    files.stranger = await writeTemp(hx.dir, 'stranger.png', await surfacePng(202, { angle: -3, dx: 4 }));
    files.strangerAgain = await writeTemp(hx.dir, 'stranger-again.png', await surfacePng(202, { angle: 2, dx: -7, dy: 5, gain: 0.95 }));
    files.blank = await writeTemp(hx.dir, 'blank.png', await sharp(Buffer.alloc(480 * 480, 128), { raw: { width: 480, height: 480, channels: 1 } }).png().toBuffer());
  });
  afterAll(async () => {
    await hx?.close();
  });

  const shot = (name: string) => takeShot(hx.page, shots, name);
  const useKey = (secret: string, role: string) => enterKey(hx.page, hx.baseUrl, secret, role);
  const identityWired = () => [...hx.routes].some((r) => /^POST .*identify/.test(r));

  it('refuses to show data without a valid key; an admin makes a crew key in the UI', async () => {
    const { page } = hx;
    // First contact: no key yet is a short welcome page asking for one, not an error.
    await page.goto(`${hx.baseUrl}/`);
    await seeText(page, 'h1', 'Welcome to partprint');
    await seeText(page, '#who', 'Enter API key');
    expect(await page.locator('.notice.error').count()).toBe(0);
    await shot('welcome');
    await page.fill('form.welcome input[name=key]', 'ppk_000000000000_mistyped');
    await page.click('form.welcome button[type=submit]');
    await seeText(page, '.notice.error', 'does not know this key');
    // a right key goes straight on to the parts list
    await page.fill('form.welcome input[name=key]', hx.keys.viewer);
    await page.click('form.welcome button[type=submit]');
    await seeText(page, 'h1', 'Parts');
    await page.locator('#who .role').filter({ hasText: 'viewer' }).waitFor();
    await page.goto(`${hx.baseUrl}/#/key`);
    await page.fill('input[name=key]', 'not-a-real-key');
    await page.click('button[type=submit]');
    await seeText(page, '.notice.error', 'unknown or revoked');
    await useKey(hx.keys.admin, 'admin');
    // Make an operator key for the crew; its secret is shown once.
    await page.fill('form.inline input[name=name]', 'line 2 tablet');
    await page.selectOption('form.inline select[name=role]', 'operator');
    await page.click('form.inline button[type=submit]');
    await seeText(page, '.notice.ok', 'for line 2 tablet');
    const secret = (await page.locator('code.secret').textContent())!.trim();
    expect(secret).toMatch(/^ppk_/);
    await seeText(page, 'table.keys', 'line 2 tablet');
    // Revoke a viewer key: it stops working at once.
    await page.fill('form.inline input[name=name]', 'old viewer');
    await page.selectOption('form.inline select[name=role]', 'viewer');
    await page.click('form.inline button[type=submit]');
    await seeText(page, '.notice.ok', 'for old viewer');
    const viewerSecret = (await page.locator('code.secret').textContent())!.trim();
    page.once('dialog', (d) => void d.accept());
    await page.locator('table.keys tr', { hasText: 'old viewer' }).locator('button').click();
    await seeText(page, '.notice.ok', 'revoked');
    expect((await fetch(`${hx.baseUrl}/api/whoami`, { headers: { authorization: `Bearer ${viewerSecret}` } })).status).toBe(401);
    await shot('key');
    hx.keys.operator = secret;
    await useKey(secret, 'operator');
    await seeText(page, '.notice.ok', 'line 2 tablet');
  });

  it('registers a part with a photo (operator)', async () => {
    const { page } = hx;
    await page.goto(`${hx.baseUrl}/#/register`);
    await page.fill('input[name=serial]', SERIAL);
    await page.fill('input[name=partNumber]', 'BRKT-7');
    await page.fill('textarea[name=attributes]', 'machine=M2\nmaterial=PA12\ntray_position=R1C3');
    await page.setInputFiles('input[name=image]', files.photo);
    await page.fill('input[name=face]', 'top');
    await shot('register');
    await page.click('button[type=submit]');
    await seeText(page, '.notice.ok', 'Registered.');
    await seeText(page, 'ol.steps', identityWired() ? 'fingerprint registered' : 'Photo stored');
    // Stored for real: the registry has the part and its capture.
    const part = await hx.registry.parts.get(SERIAL);
    expect(part?.attributes).toMatchObject({ machine: 'M2', material: 'PA12' });
    // A duplicate serial is refused with the server's reason.
    await page.fill('input[name=serial]', SERIAL);
    await page.click('button[type=submit]');
    await seeText(page, '.notice.error', SERIAL);
  });

  it('finds the part by serial substring and attribute, and shows its page with the photo', async () => {
    const { page } = hx;
    await page.evaluate(async (key) => {
      for (let i = 2; i <= 4; i++) {
        await fetch('/api/parts', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ serial: `SN-E2E-000${i}`, attributes: { machine: i % 2 ? 'M2' : 'M1' } }) });
      }
    }, hx.keys.operator);
    await page.goto(`${hx.baseUrl}/#/`);
    await page.fill('input[name=serial]', 'E2E');
    await page.fill('input[name=attrs]', 'machine=M2');
    await page.click('form.search button');
    await eventually(() => page.locator('table.list tbody tr').count(), 2);
    await seeText(page, '.pager', '1–2 of 2');
    // each row: a photo (when the part has one) and how many photos and events it has
    const row = page.locator('table.list tbody tr', { has: page.locator(`a:text-is("${SERIAL}")`) });
    await eventually(() => row.locator('td.photos').textContent(), '1');
    await eventually(() => row.locator('img.mini').evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth > 0), true);
    const bare = page.locator('table.list tbody tr', { has: page.locator('a:text-is("SN-E2E-0003")') });
    await eventually(() => bare.locator('td.photos').textContent(), '0');
    expect(await bare.locator('img.mini').count()).toBe(0);
    await shot('parts');
    await page.click(`a:text-is("${SERIAL}")`);
    await seeText(page, 'h1', SERIAL);
    await seeText(page, 'dl.kv', 'PA12');
    const img = page.locator('figure.capture img');
    await eventually(() => img.count(), 1);
    await eventually(() => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth), 480);
  });

  it('records an installation with a torque, corrects it, and shows the history', async () => {
    const { page } = hx;
    await page.goto(`${hx.baseUrl}/#/part/${SERIAL}`);
    await page.selectOption('select[name=type]', 'installed');
    await page.fill('input[name=torqueNm]', '25');
    await page.fill('input[name=position]', 'wheel 3');
    await page.fill('input[name=place]', 'hangar 2');
    await page.click('text=Record event');
    await eventually(() => page.locator('ol.timeline li').count(), 1);
    await seeText(page, 'ol.timeline', 'torque 25 N·m');
    await seeText(page, 'ol.timeline', 'position wheel 3');
    const first = await hx.server.services.events!.history(SERIAL, {});
    expect(first[0].fields).toMatchObject({ torqueNm: 25, position: 'wheel 3' });
    // The torque was wrong: a correction references the first event; both stay, the first marked.
    await page.selectOption('select[name=type]', 'installed');
    await page.fill('input[name=torqueNm]', '27.5');
    await page.fill('input[name=position]', 'wheel 3');
    await page.fill('input[name=corrects]', String(first[0].id));
    await page.fill('input[name=notes]', 'torque re-measured');
    await page.click('text=Record event');
    await eventually(() => page.locator('ol.timeline li').count(), 2);
    await seeText(page, 'li.corrected', `corrected by #`);
    await seeText(page, 'li.correction', `correction of #${first[0].id}`);
    await seeText(page, 'li.correction', 'torque 27.5 N·m');
    await shot('part');
    // A bad value is refused with the server's message, nothing stored.
    await page.selectOption('select[name=type]', 'installed');
    await page.fill('input[name=torqueNm]', '0');
    await page.click('text=Record event');
    await seeText(page, '.notice.error', 'torqueNm');
    expect(await hx.server.services.events!.history(SERIAL, {})).toHaveLength(2);
  });

  it('lets an inspector record a failed inspection (not an installation) and counts failures by attribute', async () => {
    const { page } = hx;
    await useKey(hx.keys.inspector, 'inspector');
    await page.goto(`${hx.baseUrl}/#/part/${SERIAL}`);
    await page.locator('ol.timeline li').first().waitFor();
    await page.selectOption('select[name=type]', 'installed');
    await page.fill('input[name=torqueNm]', '30');
    await page.click('text=Record event');
    await seeText(page, '.notice.error', 'FORBIDDEN');
    await page.selectOption('select[name=type]', 'inspected');
    await page.selectOption('select[name=result]', 'fail');
    await page.click('text=Record event');
    await seeText(page, 'ol.timeline', 'FAIL');
    await page.goto(`${hx.baseUrl}/#/analytics`);
    await page.fill('input[name=groupBy]', 'attribute:machine');
    await page.click('form button[type=submit]');
    await seeText(page, 'table.list', 'M2');
    const cells = await page.locator('table.list tbody tr').first().locator('td').allTextContents();
    expect(cells).toEqual(['M2', '1', '1']);
    await eventually(() => page.locator('svg.bars rect').count(), 1);
    await shot('analytics');
  });

  it('finds the part again from a new capture, and rejects an unregistered part', async (ctx) => {
    const { page } = hx;
    await useKey(hx.keys.inspector, 'inspector');
    await page.goto(`${hx.baseUrl}/#/check`);
    if (!identityWired()) {
      await seeText(page, '.notice.warn', 'does not offer identification');
      await shot('check-unavailable');
      needRoute(ctx, false, 'identity routes are not wired into this server build');
      return;
    }
    await page.setInputFiles('input[name=image]', files.recapture);
    await page.click('form.check button[type=submit]');
    await page.locator(`#verdict[data-decision="match"]`).waitFor({ timeout: 60_000 });
    await seeText(page, '#verdict', SERIAL);
    await seeText(page, 'ol.timeline', 'torque 27.5 N·m');
    await page.locator('img.evidence').first().waitFor();
    // the evidence spans its card, with a caption in words under it
    await seeText(page, 'figure.evidence figcaption', 'mark the same tiny surface feature');
    const widths = await page.locator('figure.evidence').evaluate((fig) => {
      const img = (fig as unknown as { querySelector(s: string): { getBoundingClientRect(): { width: number } } }).querySelector('img.evidence');
      return [img.getBoundingClientRect().width, (fig as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width];
    });
    expect(widths[0]).toBeGreaterThan(0.95 * widths[1]);
    expect(widths[0]).toBeGreaterThan(600);
    await shot('check-match');
    // The same answer on a phone (maintenance crew): verdict first, no sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    const wide = await page.evaluate('[...document.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > 391).slice(0, 8).map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().width))');
    expect(await page.evaluate('document.documentElement.scrollWidth <= 390'), JSON.stringify(wide)).toBe(true);
    await shot('check-match-phone');
    await page.setViewportSize({ width: 1200, height: 900 });

    await page.setInputFiles('input[name=image]', files.stranger);
    await page.click('form.check button[type=submit]');
    await page.locator(`#verdict[data-decision="not-registered"]`).waitFor({ timeout: 60_000 });
    await seeText(page, '#verdict .big', 'NOT REGISTERED');
    await seeText(page, '#verdict', 'no registered part matches');
    await shot('check-not-registered');

    // 1:1 verify from the part page's link: the recapture matches, the stranger does not.
    await page.goto(`${hx.baseUrl}/#/part/${SERIAL}`);
    await page.click('a.action');
    await eventually(() => page.inputValue('input[name=serial]'), SERIAL);
    await page.setInputFiles('input[name=image]', files.recapture);
    await page.click('form.check button[type=submit]');
    await page.locator('#verdict[data-decision="match"]').waitFor({ timeout: 60_000 });
    await page.setInputFiles('input[name=image]', files.stranger);
    await page.click('form.check button[type=submit]');
    await page.locator('#verdict[data-decision="not-registered"]').waitFor({ timeout: 60_000 });
    await seeText(page, '#verdict .big', 'NO MATCH');

    // The part page lists these checks: identify (same part), verify (same part), verify of the stranger (not this part).
    await page.goto(`${hx.baseUrl}/#/part/${SERIAL}`);
    await eventually(() => page.locator('li.check').count(), 3);
    expect(await page.locator('li.check[data-result=pass]').count()).toBe(2);
    expect(await page.locator('li.check[data-result=fail]').count()).toBe(1);
    await seeText(page, 'li.check[data-result=fail]', 'Not this part');
    await seeText(page, 'li.check', 'by key:');
    await eventually(() => page.locator('li.check img.mini').first().evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth > 0), true);
    await shot('part-checks');
    await page.goto(`${hx.baseUrl}/#/check`);

    // A featureless photo is refused as a photo, not reported as an unknown part.
    await page.fill('input[name=serial]', '');
    await page.setInputFiles('input[name=image]', files.blank);
    await page.click('form.check button[type=submit]');
    await page.locator('#verdict[data-decision="rejected"]').waitFor({ timeout: 60_000 });
    await seeText(page, '#verdict .big', 'PHOTO REJECTED');
  });

  it('adds a second photo to a part, then an admin evaluates identification and sees the DET curve', async (ctx) => {
    if (!needRoute(ctx, identityWired(), 'identity routes are not wired into this server build')) return;
    const { page } = hx;
    await useKey(hx.keys.operator, 'operator');
    const addPhoto = async (serial: string, file: string, photos: number) => {
      await page.goto(`${hx.baseUrl}/#/part/${serial}`);
      await page.click('summary:text("Add a photo")');
      await page.setInputFiles('form.inline input[name=image]', file);
      await page.click('form.inline button[type=submit]');
      await seeText(page, '.notice.ok', 'fingerprint registered');
      await eventually(() => page.locator('figure.capture').count(), photos);
    };
    // A second fingerprinted photo of the part (genuine pairs), from its page.
    await addPhoto(SERIAL, files.recapture, 2);
    // Another registered part with two photos (impostor pairs; calibration wants two such parts).
    await page.goto(`${hx.baseUrl}/#/register`);
    await page.fill('input[name=serial]', 'SN-E2E-0099');
    await page.setInputFiles('input[name=image]', files.stranger);
    await page.click('button[type=submit]');
    await seeText(page, '.notice.ok', 'Registered.');
    await addPhoto('SN-E2E-0099', files.strangerAgain, 2);
    if (!needRoute(ctx, hx.routes.has('POST /api/jobs/evaluate-identity'), 'no identity evaluation job route in this server build')) return;
    await useKey(hx.keys.admin, 'admin');
    await page.goto(`${hx.baseUrl}/#/eval`);
    // Few parts here: a handful of impostor pairs (the job scores them on the server's thread).
    await page.fill('input[name=maxImpostor]', '10');
    await page.click('text=Evaluate identification now');
    await page.locator('section.identity-eval img.chart').first().waitFor({ timeout: 60_000 });
    await seeText(page, 'section.identity-eval', 'equal error rate');
    await seeText(page, 'section.identity-eval dl', /\d+ \/ \d+/);
    const ok = await page.locator('section.identity-eval img.chart').first().evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth > 100);
    expect(ok).toBe(true);
    await shot('eval-identity');
  });

  it('shows jobs, source prediction and evaluation pages without errors', async () => {
    const { page } = hx;
    await useKey(hx.keys.admin, 'admin');
    const csv = 'serial,machine\nSN-JOB-1,M3\nSN-JOB-2,M3\n';
    const job = await page.evaluate(
      async ({ key, csv }) => {
        const fd = new FormData();
        fd.append('csv', new Blob([csv], { type: 'text/csv' }), 'parts.csv');
        const res = await fetch('/api/jobs/import-parts', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: fd });
        return (await res.json()) as { id: number };
      },
      { key: hx.keys.admin, csv },
    );
    await page.goto(`${hx.baseUrl}/#/jobs`);
    await page.locator(`#job-${job.id}`).first().waitFor();
    await seeText(page, `#job-${job.id} .status`, 'succeeded', 20_000);
    expect(await hx.registry.parts.get('SN-JOB-2')).toBeTruthy();
    await shot('jobs');
    await page.goto(`${hx.baseUrl}/#/source`);
    await seeText(page, 'h1', 'Source prediction');
    await eventually(() => page.locator('.notice.error').count(), 0);
    await page.goto(`${hx.baseUrl}/#/eval`);
    await seeText(page, 'h1', 'Model evaluation');
    await eventually(() => page.locator('.notice.error').count(), 0);
    // A viewer sees the history but no forms or links for what the key may not do.
    await useKey(hx.keys.viewer, 'viewer');
    await page.goto(`${hx.baseUrl}/#/part/${SERIAL}`);
    await seeText(page, 'ol.timeline', 'torque 27.5 N·m');
    expect(await page.locator('text=Record an event').isVisible()).toBe(false);
    expect(await page.locator('summary:text("Add a photo")').isVisible()).toBe(false);
    expect(await page.locator('nav a[data-route=register]').isVisible()).toBe(false);
    expect(await page.locator('nav a[data-route=parts]').isVisible()).toBe(true);
    // Every page above ran under the server's CSP without the browser blocking anything.
    expect(hx.cspViolations).toEqual([]);
  });
});
