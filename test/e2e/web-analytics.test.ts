/** The analytics page's failure-rate test in Chromium: the machine that fails more often is named, charted and marked in the table. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../../src/trace/index.js';
import { chromiumAvailable, screenshotDir, seeText, startWebHarness, takeShot, useKey, type WebHarness } from './web-helpers.js';

const run = chromiumAvailable();

describe.skipIf(!run)('failure analytics in the web UI', () => {
  let hx: WebHarness;
  beforeAll(async () => {
    hx = await startWebHarness();
    for (const [m, fails] of Object.entries({ M01: 1, M02: 2, M03: 12, M04: 1 })) {
      for (let k = 0; k < 40; k++) {
        const serial = `${m}-${k}`;
        await hx.registry.parts.create({ serial, attributes: { machine: m } });
        await appendEvent(hx.registry, serial, { type: 'inspected', occurredAt: '2026-11-02T08:00:00+01:00', fields: { result: k < fails ? 'fail' : 'pass', position: `P${(k % 4) + 1}` } });
      }
    }
  }, 60_000);
  afterAll(async () => hx?.close());

  it('names the group that fails more often, with the chart and the corrected p-values', async () => {
    const page = hx.page;
    await useKey(page, hx.baseUrl, hx.keys.viewer, 'viewer');
    await page.goto(`${hx.baseUrl}/#/analytics`);
    await page.fill('#failure-form input[name=groupBy]', 'attribute:machine');
    await page.click('#failure-form button[type=submit]');
    await seeText(page, '#failure-rates .notice', /M03 fails more often than the rest/);
    expect(await page.locator('#failure-rates svg.failure-rates rect.worse').count()).toBe(1);
    expect(await page.locator('#failure-table tr.worse').getAttribute('data-key')).toBe('M03');
    expect(await page.locator('#failure-table tbody tr').count()).toBe(4);
    await takeShot(page, await screenshotDir(), 'analytics-failure-rates');
    await page.fill('#failure-form input[name=groupBy]', 'field:position');
    await page.click('#failure-form button[type=submit]');
    await seeText(page, '#failure-rates .notice', /No field:position fails significantly more often/);
  }, 60_000);
});
