/**
 * The EPCIS 2.0 REST binding driven by epcis2.js (the GS1/EVRYTHNG EPCIS 2.0 SDK) as the caller:
 * it builds the document, captures it (POST /capture, 202 + Location) and polls the capture job.
 * The SDK has no query client, so the queries use fetch with the binding's headers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as epcis from 'epcis2.js';
import { GS1_EXAMPLES } from '../epcis/gs1-examples.js';
import { epcisSchemaErrors } from '../../src/trace/epcis-schema.test-helper.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await startHarness();
  base = `${await h.server.app.listen({ port: 0, host: '127.0.0.1' })}/epcis`;
});
afterAll(() => h.close());

const headers = (role: 'admin' | 'operator' | 'inspector' | 'viewer') => ({ ...h.auth(role), 'GS1-EPCIS-Version': '2.0.0', accept: 'application/ld+json' });

function sdkDocument(serials: string[], time: string): epcis.EPCISDocument {
  const doc = new epcis.EPCISDocument();
  const ev = new epcis.ObjectEvent();
  ev.setEventTime(time).setEventTimeZoneOffset('+01:00').setAction(epcis.cbv.actionTypes.observe).setBizStep(epcis.cbv.bizSteps.receiving).setDisposition(epcis.cbv.dispositions.in_progress);
  for (const s of serials) ev.addEPC(s);
  ev.setReadPoint('urn:epc:id:sgln:0614141.07346.1234');
  doc.addEvent(ev);
  return doc;
}

async function captured(role: 'admin' | 'operator' | 'viewer', doc: epcis.EPCISDocument, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
  // `params` (query string) is honoured by the SDK's request builder but missing from its typings.
  const options = { apiUrl: base, headers: { 'content-type': 'application/json', ...h.auth(role), ...extra }, params } as unknown as Parameters<typeof epcis.capture>[1];
  const res = await epcis.capture(doc, options);
  return res as unknown as Response;
}

describe('EPCIS 2.0 REST binding', () => {
  it('OPTIONS / tells the versions in GS1 headers, and only to a valid key', async () => {
    const res = await fetch(`${base}/`, { method: 'OPTIONS', headers: headers('viewer') });
    expect(res.status).toBe(204);
    expect(res.headers.get('gs1-epcis-version')).toBe('2.0.0');
    expect(res.headers.get('gs1-epcis-min')).toBe('2.0.0');
    expect(res.headers.get('gs1-cbv-version')).toBe('2.0.0');
    expect(res.headers.get('gs1-vendor-version')).toMatch(/^partprint-/);
    const anonymous = await fetch(`${base}/`, { method: 'OPTIONS' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await anonymous.json()).toMatchObject({ type: 'epcisException:SecurityException', status: 401, instance: '/epcis/' });
    const old = await fetch(`${base}/`, { method: 'OPTIONS', headers: { ...headers('viewer'), 'GS1-EPCIS-Version': '1.2' } });
    expect(old.status).toBe(406);
    expect(await old.json()).toMatchObject({ type: 'epcisException:NotAcceptableException' });
  });

  it('captures through the SDK: 202, Location of the capture job, job polled to success', async () => {
    const doc = sdkDocument(['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'], '2026-02-01T10:00:00.000+01:00');
    expect(doc.isValid()).toBe(true);
    const res = await captured('operator', doc, { createParts: 'true' });
    expect(res.status).toBe(202);
    const job = new epcis.CaptureResponse(res);
    expect(job.getLocation()).toMatch(/^\/epcis\/capture\/\d+$/);
    // The SDK resolves the job URL against its apiUrl and sends its own settings' headers: give it the key.
    await job.pollForTheCaptureToFinish(20, 50, { apiUrl: base, headers: h.auth('viewer') });
    expect(job.getRunningStatus()).toBe(false);
    expect(job.getSuccessStatus()).toBe(true);
    expect(job.getErrors()).toEqual([]);
    expect(await h.registry.parts.get('10614141073464.2017')).toMatchObject({ partNumber: '10614141073464' });
  });

  it('refuses an invalid document at once with a 400 problem, and a failing capture shows its errors in the job', async () => {
    const bad = sdkDocument(['urn:epc:id:sgtin:0614141.107346.2019'], '2026-02-01T10:00:00.000+01:00');
    const raw = bad.toObject() as Record<string, unknown>;
    delete raw['@context'];
    const res = await fetch(`${base}/capture`, { method: 'POST', headers: { ...headers('operator'), 'content-type': 'application/json' }, body: JSON.stringify(raw) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'epcisException:ValidationException', detail: expect.stringMatching(/@context/) });

    // Valid, but names a part that is not registered (no createParts): the job fails and says why.
    const unknown = await captured('operator', sdkDocument(['urn:epc:id:sgtin:0614141.107346.9999'], '2026-02-02T10:00:00.000+01:00'));
    expect(unknown.status).toBe(202);
    const job = new epcis.CaptureResponse(unknown);
    await job.pollForTheCaptureToFinish(20, 50, { apiUrl: base, headers: h.auth('viewer') });
    expect(job.getSuccessStatus()).toBe(false);
    expect(job.getErrors()).toEqual([expect.objectContaining({ type: 'epcisException:ValidationException', detail: expect.stringMatching(/unknown part urn:epc:id:sgtin:0614141\.107346\.9999/) })]);
    // Roles: a viewer may not capture; the SDK gets a 403 problem.
    const denied = await captured('viewer', sdkDocument(['urn:epc:id:sgtin:0614141.107346.2017'], '2026-02-03T10:00:00.000+01:00'));
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ type: 'epcisException:SecurityException', status: 403 });
    const missing = await fetch(`${base}/capture/999999`, { headers: headers('viewer') });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'epcisException:NoSuchResourceException' });
  });

  it('captures a real GS1 document with proceed (unsupported events skipped) and pages through /events', async () => {
    const file = path.join(GS1_EXAMPLES, 'WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const res = await fetch(`${base}/capture?createParts=true`, { method: 'POST', headers: { ...headers('operator'), 'content-type': 'application/ld+json', 'GS1-Capture-Error-Behaviour': 'proceed' }, body: JSON.stringify(doc) });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    let job: Record<string, unknown> = {};
    for (let i = 0; i < 100 && job.running !== false; i++) {
      job = await (await fetch(`${base.replace(/\/epcis$/, '')}${location}`, { headers: headers('viewer') })).json() as Record<string, unknown>;
      if (job.running) await new Promise((r) => setTimeout(r, 30));
    }
    expect(job).toMatchObject({ running: false, success: true, captureErrorBehaviour: 'proceed' });

    // A TransformationEvent: rolled back by default (the job fails and says why), skipped and reported with proceed.
    const transformation = readFileSync(path.join(GS1_EXAMPLES, 'Example_9.6.4-TransformationEvent.jsonld'), 'utf8');
    const runJob = async (behaviour: string) => {
      const r = await fetch(`${base}/capture?createParts=true`, { method: 'POST', headers: { ...headers('operator'), 'content-type': 'application/ld+json', 'GS1-Capture-Error-Behaviour': behaviour }, body: transformation });
      expect(r.status).toBe(202);
      const sdkJob = new epcis.CaptureResponse(r);
      await sdkJob.pollForTheCaptureToFinish(50, 30, { apiUrl: base, headers: h.auth('viewer') });
      return sdkJob.getCaptureJob({ apiUrl: base, headers: h.auth('viewer') }) as Promise<Record<string, unknown> & { 'pp:report': { skipped: Array<{ type: string }> } }>;
    };
    const rolledBack = await runJob('rollback');
    expect(rolledBack).toMatchObject({ success: false, errors: [expect.objectContaining({ detail: expect.stringMatching(/TransformationEvent is not stored/) })] });
    const proceeded = await runJob('proceed');
    expect(proceeded).toMatchObject({ success: true, errors: [] });
    expect(proceeded['pp:report'].skipped.map((x) => x.type)).toEqual(['TransformationEvent']);

    // Page through every event, 2 per page, following the Link header.
    const seen: Array<Record<string, unknown>> = [];
    let url: string | null = `${base}/events?perPage=2`;
    let pages = 0;
    while (url) {
      const page: Response = await fetch(url, { headers: headers('viewer') });
      expect(page.status).toBe(200);
      expect(page.headers.get('gs1-epcis-version')).toBe('2.0.0');
      const body = await page.json() as Record<string, unknown>;
      expect(epcisSchemaErrors(body)).toEqual([]);
      seen.push(...(body as { epcisBody: { queryResults: { resultsBody: { eventList: Array<Record<string, unknown>> } } } }).epcisBody.queryResults.resultsBody.eventList);
      const link = page.headers.get('link');
      url = link ? `${base.replace(/\/epcis$/, '')}${/<([^>]+)>/.exec(link)![1]}` : null;
      pages++;
    }
    const total = (await h.registry.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    // Pages hold 2 stored events each; the two of one document event (two EPCs) come back joined.
    expect(seen.reduce((n, e) => n + ((e.epcList as string[] | undefined) ?? (e.childEPCs as string[])).length, 0)).toBe(Number(total));
    expect(pages).toBe(Math.ceil(Number(total) / 2));
    expect(new Set(seen.map((e) => e.eventID)).size).toBe(seen.length);

    const aggregations = await (await fetch(`${base}/events/AggregationEvent`, { headers: headers('viewer') })).json() as { epcisBody: { queryResults: { resultsBody: { eventList: Array<Record<string, unknown>> } } } };
    const list = aggregations.epcisBody.queryResults.resultsBody.eventList;
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((e) => e.type === 'AggregationEvent')).toBe(true);
    expect(list[0]).toMatchObject({ parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'] });
    const none = await (await fetch(`${base}/events/TransformationEvent`, { headers: headers('viewer') })).json() as typeof aggregations;
    expect(none.epcisBody.queryResults.resultsBody.eventList).toEqual([]);
    const typo = await fetch(`${base}/events/ObjectEvents`, { headers: headers('viewer') });
    expect(typo.status).toBe(404);
    const forged = await fetch(`${base}/events?nextPageToken=abc`, { headers: headers('viewer') });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ type: 'epcisException:QueryParameterException' });
  });

  it('GET /epcs/{epc}/events answers the events of the part the EPC names, in any of its spellings', async () => {
    const urn = await fetch(`${base}/epcs/${encodeURIComponent('urn:epc:id:sgtin:0614141.107346.2017')}/events`, { headers: headers('viewer') });
    expect(urn.status).toBe(200);
    const events = ((await urn.json()) as { epcisBody: { queryResults: { resultsBody: { eventList: Array<Record<string, unknown>> } } } }).epcisBody.queryResults.resultsBody.eventList;
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const e of events) expect([...(e.epcList as string[] ?? []), ...(e.childEPCs as string[] ?? [])]).toContain('urn:epc:id:sgtin:0614141.107346.2017');
    const dl = await fetch(`${base}/epcs/${encodeURIComponent('https://id.gs1.org/01/10614141073464/21/2017')}/events`, { headers: headers('viewer') });
    expect(((await dl.json()) as typeof events & { epcisBody: { queryResults: { resultsBody: { eventList: unknown[] } } } }).epcisBody.queryResults.resultsBody.eventList).toHaveLength(events.length);
    const nobody = await fetch(`${base}/epcs/${encodeURIComponent('urn:epc:id:sgtin:0614141.107346.5555')}/events`, { headers: headers('viewer') });
    expect(nobody.status).toBe(404);
    expect(await nobody.json()).toMatchObject({ type: 'epcisException:NoSuchResourceException', detail: expect.stringMatching(/names no registered part/) });
  });

  it('is in the OpenAPI document', async () => {
    const doc = await (await fetch(`${base.replace(/\/epcis$/, '')}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/epcis'] ?? doc.paths['/epcis/'] ?? {}), Object.keys(doc.paths).filter((p) => p.startsWith('/epcis')).join(' ')).toContain('options');
    for (const p of ['/epcis/capture', '/epcis/capture/{captureID}', '/epcis/events', '/epcis/events/{eventType}', '/epcis/epcs/{epc}/events']) expect(doc.paths[p], p).toBeDefined();
  });
});
