/** /api/trace/* and /api/epcis/epc-rule over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];

describe('trace API', () => {
  it('traces parts of a build into their assemblies and back, and sets the EPC rule as admin only', async () => {
    const app = h.server.app;
    for (const [serial, build] of [['G-1', 'B-17'], ['G-2', 'B-18']]) {
      expect((await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial, attributes: { build } } })).statusCode).toBe(201);
    }
    const pack = (serial: string, parent: string) => app.inject({ method: 'POST', url: `/api/parts/${serial}/events`, headers: h.auth('operator'), payload: { type: 'packed', occurredAt: '2026-03-01T10:00:00Z', fields: { parent } } });
    expect((await pack('G-1', 'ASM-1')).statusCode).toBe(201);
    expect((await pack('G-2', 'ASM-2')).statusCode).toBe(201);
    // The assemblies go onto a pallet through an EPCIS AggregationEvent (an SSCC).
    const doc = {
      '@context': CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-03-02T00:00:00Z',
      epcisBody: { eventList: [{ type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', eventTime: '2026-03-02T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:partprint:part:ASM-1', 'urn:partprint:part:ASM-2'] }] },
    };
    const cap = await app.inject({ method: 'POST', url: '/api/epcis/capture?createParts=true', headers: h.auth('operator'), payload: doc });
    expect(cap.statusCode).toBe(201);
    // With createParts the pallet is registered too (the default rule reads SSCCs), under its 18 digits.
    expect(cap.json()).toMatchObject({ committed: true, createdParts: ['ASM-1', 'ASM-2', '106141412345678908'], validation: 'gs1-schema' });

    const up = await app.inject({ method: 'GET', url: '/api/trace/containers?attribute=build&value=B-17', headers: h.auth('viewer') });
    expect(up.statusCode).toBe(200);
    expect(up.json().containers.map((c: { key: string; level: number }) => [c.key, c.level])).toEqual([['ASM-1', 1], ['106141412345678908', 2]]);
    const down = await app.inject({ method: 'GET', url: `/api/trace/contents?of=${encodeURIComponent('urn:epc:id:sscc:0614141.1234567890')}`, headers: h.auth('viewer') });
    expect(down.statusCode).toBe(200);
    expect(down.json().children.map((c: { key: string; children: Array<{ key: string }> }) => [c.key, c.children.map((g) => g.key)])).toEqual([['ASM-1', ['G-1']], ['ASM-2', ['G-2']]]);
    expect((await app.inject({ method: 'GET', url: '/api/trace/contents?of=nothing', headers: h.auth('viewer') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/trace/containers?attribute=build', headers: h.auth('viewer') })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/trace/containers?serial=G-1' })).statusCode).toBe(401);

    expect((await app.inject({ method: 'GET', url: '/api/epcis/epc-rule', headers: h.auth('viewer') })).json()).toMatchObject({ sgtinSerial: '{gtin}.{serial}' });
    expect((await app.inject({ method: 'PUT', url: '/api/epcis/epc-rule', headers: h.auth('operator'), payload: { sgtinSerial: '{serial}' } })).statusCode).toBe(403);
    const bad = await app.inject({ method: 'PUT', url: '/api/epcis/epc-rule', headers: h.auth('admin'), payload: { sgtinSerial: '{gtin}' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/must contain \{serial\}/);
    const set = await app.inject({ method: 'PUT', url: '/api/epcis/epc-rule', headers: h.auth('admin'), payload: { sgtinSerial: '{serial}' } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ sgtinSerial: '{serial}', schemes: ['partprint', 'sgtin', 'sscc', 'giai', 'grai'] });

    // An event type partprint does not store refuses the document (422), unless skipUnsupported.
    const mixed = {
      ...doc,
      epcisBody: { eventList: [
        { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'inspecting', disposition: 'conformant', eventTime: '2026-03-03T10:00:00Z', eventTimeZoneOffset: '+00:00', epcList: ['urn:partprint:part:G-1'] },
        { type: 'TransformationEvent', eventTime: '2026-03-03T10:00:00Z', eventTimeZoneOffset: '+00:00', inputEPCList: ['urn:partprint:part:G-2'], outputEPCList: ['urn:partprint:part:G-9'] },
      ] },
    };
    const refusedMixed = await app.inject({ method: 'POST', url: '/api/epcis/capture', headers: h.auth('operator'), payload: mixed });
    expect(refusedMixed.statusCode).toBe(422);
    expect(refusedMixed.json().error.message).toMatch(/TransformationEvent is not stored by partprint/);
    const skipped = await app.inject({ method: 'POST', url: '/api/epcis/capture?skipUnsupported=true', headers: h.auth('operator'), payload: mixed });
    expect(skipped.statusCode).toBe(201);
    expect(skipped.json()).toMatchObject({ committed: true, imported: 1, skipped: [{ index: 1, type: 'TransformationEvent' }] });

    // A document that is not valid EPCIS is refused whole, with GS1's reason.
    const noContext = { ...doc } as Record<string, unknown>;
    delete noContext['@context'];
    const refused = await app.inject({ method: 'POST', url: '/api/epcis/capture', headers: h.auth('operator'), payload: noContext });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toMatch(/'@context'/);
  });
});
