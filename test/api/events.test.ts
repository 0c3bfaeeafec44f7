import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (const [serial, tray] of [['EV-1', 'A1'], ['EV-2', 'B4'], ['EV-3', 'B4']]) {
    await h.server.services.parts.create({ serial, attributes: { tray_position: tray, supplier: 'acme' } }, 'test');
  }
});
afterAll(async () => h?.close());

const post = (serial: string, role: 'operator' | 'inspector' | 'viewer' | 'admin', payload: unknown) =>
  h.server.app.inject({ method: 'POST', url: `/api/parts/${serial}/events`, headers: h.auth(role), payload: payload as object });

describe('events', () => {
  it('records events with who recorded them, lets inspectors record inspections only, and lists the history', async () => {
    const installed = await post('EV-1', 'operator', { type: 'installed', occurredAt: '2026-11-21T10:00:00+01:00', place: 'hangar 2', actor: 'J. Fitter', fields: { torqueNm: 25, position: 'wheel 3' } });
    expect(installed.statusCode, installed.body).toBe(201);
    expect(installed.json()).toMatchObject({ serial: 'EV-1', type: 'installed', occurredAt: '2026-11-21T09:00:00.000Z', fields: { torqueNm: 25, position: 'wheel 3' }, actor: 'J. Fitter' });
    expect(installed.json().recordedBy).toMatch(/^key:[0-9a-f]{12} \(test operator\)$/);

    const inspection = await post('EV-1', 'inspector', { type: 'inspected', occurredAt: '2026-11-21T11:00:00Z', fields: { result: 'pass' } });
    expect(inspection.statusCode, inspection.body).toBe(201);
    const notAllowed = await post('EV-1', 'inspector', { type: 'installed', occurredAt: '2026-11-21T11:00:00Z' });
    expect(notAllowed.statusCode).toBe(403);
    expect(notAllowed.json().error.message).toMatch(/inspected/);
    expect((await post('EV-1', 'viewer', { type: 'observed', occurredAt: '2026-11-21T11:00:00Z' })).statusCode).toBe(403);

    const bad = await post('EV-1', 'operator', { type: 'installed', occurredAt: '2026-11-21T11:00:00Z', fields: { torqueNm: -3 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/torqueNm/);
    const badType = await post('EV-1', 'operator', { type: 'painted', occurredAt: '2026-11-21T11:00:00Z' });
    expect(badType.statusCode).toBe(400);
    const noPart = await post('EV-404', 'operator', { type: 'observed', occurredAt: '2026-11-21T11:00:00Z' });
    expect(noPart.statusCode).toBe(404);

    const correction = await post('EV-1', 'operator', { type: 'installed', occurredAt: '2026-11-21T10:00:00+01:00', fields: { torqueNm: 27, position: 'wheel 3' }, notes: 'torque re-measured', correctsEventId: installed.json().id });
    expect(correction.statusCode).toBe(201);
    const history = await h.server.app.inject({ method: 'GET', url: '/api/parts/EV-1/events', headers: h.auth('viewer') });
    expect(history.statusCode).toBe(200);
    const items = history.json().items;
    expect(items.map((e: { type: string }) => e.type)).toEqual(['installed', 'installed', 'inspected']);
    expect(items.find((e: { id: number }) => e.id === installed.json().id)).toMatchObject({ effective: false, correctedBy: correction.json().id });
    const effective = await h.server.app.inject({ method: 'GET', url: '/api/parts/EV-1/events?effectiveOnly=true&type=installed', headers: h.auth('viewer') });
    expect(effective.json().items.map((e: { fields: { torqueNm: number } }) => e.fields.torqueNm)).toEqual([27]);
  });

  it('aggregates failed inspections by an attribute', async () => {
    for (const [serial, result] of [['EV-2', 'fail'], ['EV-3', 'fail'], ['EV-3', 'fail'], ['EV-1', 'fail'], ['EV-2', 'pass']]) {
      expect((await post(serial, 'inspector', { type: 'inspected', occurredAt: '2026-11-21T12:00:00Z', fields: { result } })).statusCode).toBe(201);
    }
    const res = await h.server.app.inject({ method: 'GET', url: '/api/analytics/events?groupBy=attribute:tray_position&type=inspected&where=result:fail', headers: h.auth('viewer') });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows).toEqual([
      { key: 'B4', events: 3, parts: 2 },
      { key: 'A1', events: 1, parts: 1 },
    ]);
    const bad = await h.server.app.inject({ method: 'GET', url: '/api/analytics/events?groupBy=colour', headers: h.auth('viewer') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/groupBy/);
  });

  it('exports EPCIS 2.0 JSON-LD and captures a document all-or-none', async () => {
    const exported = await h.server.app.inject({ method: 'GET', url: '/api/epcis/events?serial=EV-1', headers: h.auth('viewer') });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/application\/ld\+json/);
    const doc = exported.json();
    expect(doc.type).toBe('EPCISDocument');
    const events = doc.epcisBody.eventList;
    expect(events.length).toBeGreaterThanOrEqual(3);

    // Re-capturing the same document stores nothing new.
    const again = await h.server.app.inject({ method: 'POST', url: '/api/epcis/capture', headers: { ...h.auth('operator'), 'content-type': 'application/ld+json' }, payload: JSON.stringify(doc) });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toMatchObject({ committed: true, imported: 0 });
    expect(again.json().alreadyPresent).toBe(again.json().events);

    // A new event for a new part: refused without createParts, stored with it.
    const fresh = JSON.parse(JSON.stringify(doc));
    fresh.epcisBody.eventList = [{ ...events[0], eventID: 'urn:uuid:6f3c2a9e-1111-4b7a-9d7e-0123456789ab', epcList: ['urn:partprint:part:EV-NEW'] }];
    delete fresh.epcisBody.eventList[0].errorDeclaration;
    const refused = await h.server.app.inject({ method: 'POST', url: '/api/epcis/capture', headers: h.auth('operator'), payload: fresh });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('REJECTED');
    expect(refused.json().error.details.committed).toBe(false);
    expect((await h.server.app.inject({ method: 'GET', url: '/api/parts/EV-NEW', headers: h.auth('viewer') })).statusCode).toBe(404);
    const created = await h.server.app.inject({ method: 'POST', url: '/api/epcis/capture?createParts=true', headers: h.auth('operator'), payload: fresh });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ committed: true, imported: 1, createdParts: ['EV-NEW'] });

    const notEpcis = await h.server.app.inject({ method: 'POST', url: '/api/epcis/capture', headers: h.auth('operator'), payload: { type: 'Something' } });
    expect(notEpcis.statusCode).toBe(400);
    expect((await h.server.app.inject({ method: 'POST', url: '/api/epcis/capture', headers: h.auth('inspector'), payload: fresh })).statusCode).toBe(403);
  });
});
