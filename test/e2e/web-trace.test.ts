/**
 * The trace page in Chromium: parts of build B-17 packed into assemblies, the assemblies onto a
 * pallet (an EPCIS AggregationEvent with an SSCC); "which assemblies contain parts of B-17?" and
 * "what is inside the pallet?" answered on the page, the way the API answers them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, screenshotDir, seeText, startWebHarness, takeShot, type WebHarness, useKey } from './web-helpers.js';

const run = chromiumAvailable();

describe.skipIf(!run)('web trace page in Chromium', () => {
  let hx: WebHarness;
  beforeAll(async () => {
    hx = await startWebHarness();
    const api = (method: string, url: string, body: unknown) =>
      fetch(`${hx.baseUrl}${url}`, { method, headers: { authorization: `Bearer ${hx.keys.operator}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [serial, build] of [['G-1', 'B-17'], ['G-2', 'B-17'], ['G-3', 'B-18']]) expect((await api('POST', '/api/parts', { serial, attributes: { build } })).status).toBe(201);
    for (const serial of ['ASM-1', 'ASM-2']) expect((await api('POST', '/api/parts', { serial, partNumber: 'gearbox' })).status).toBe(201);
    for (const [serial, parent] of [['G-1', 'ASM-1'], ['G-3', 'ASM-1'], ['G-2', 'ASM-2']]) {
      expect((await api('POST', `/api/parts/${serial}/events`, { type: 'packed', occurredAt: '2026-03-01T10:00:00+01:00', fields: { parent } })).status).toBe(201);
    }
    const doc = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-03-02T00:00:00Z',
      epcisBody: { eventList: [{ type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', eventTime: '2026-03-02T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:partprint:part:ASM-1', 'urn:partprint:part:ASM-2'] }] },
    };
    expect((await api('POST', '/api/epcis/capture', doc)).status).toBe(201);
  });
  afterAll(async () => {
    await hx?.close();
  });

  it('answers the backward and forward trace on the page', async () => {
    const { page } = hx;
    const shots = await screenshotDir();
    await useKey(page, hx.baseUrl, hx.keys.viewer, 'viewer');
    await page.click('nav a[data-route=trace]');
    await page.fill('#trace-up input[name=q]', 'build=B-17');
    await page.click('#trace-up button[type=submit]');
    await seeText(page, '.trace-containers h2', '3 container(s) hold parts of build=B-17');
    const rows = await page.locator('.trace-containers tbody tr').allInnerTexts();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^ASM-1 \[gearbox\]\s+1\s+G-1$/);
    expect(rows[1]).toMatch(/^ASM-2 \[gearbox\]\s+1\s+G-2$/);
    // The pallet is no registered part: shown by its serial under the EPC rule and the SSCC the document named.
    expect(rows[2]).toMatch(/^106141412345678908 \(urn:epc:id:sscc:0614141\.1234567890\)\s+2\s+G-1, G-2$/);
    await takeShot(page, shots, 'trace-containers');

    await page.fill('#trace-down input[name=q]', 'urn:epc:id:sscc:0614141.1234567890');
    await page.click('#trace-down button[type=submit]');
    await seeText(page, '.trace-contents h2', 'Inside 106141412345678908: 5 item(s)');
    const items = await page.locator('.trace-contents ul.tree > li').allInnerTexts();
    expect(items[0]).toMatch(/^ASM-1 \[gearbox\] since 2026-03-02T10:00:00\.000Z\s+G-1 since 2026-03-01T09:00:00\.000Z\s+G-3/);
    expect(items[1]).toMatch(/^ASM-2 \[gearbox\].*\s+G-2/);
    // A part's timeline links its packing to the trace of the assembly.
    await page.click('.trace-contents a[href="#/part/G-1"]');
    await page.click('a.chip[href="#/trace?of=ASM-1"]');
    await page.click('#trace-down button[type=submit]');
    await seeText(page, '.trace-contents h2', 'Inside ASM-1: 2 item(s)');
    await takeShot(page, shots, 'trace-contents');
  });
});
