import { describe, expect, it } from 'vitest';
import { buildEpcisDocument, partUri, placeFromUri, placeUri, serialFromPartUri, type ExportableEvent } from './epcis-export.js';
import { parseEpcisDocument } from './epcis-parse.js';
import { epcisSchemaErrors } from './epcis-schema.test-helper.js';

function ev(over: Partial<ExportableEvent>): ExportableEvent {
  return {
    id: 1, partId: 1, serial: 'SN 0001/a', type: 'observed', occurredAt: '2026-11-21T09:00:00.000Z', timeZoneOffset: '+01:00',
    recordedAt: '2026-11-21T09:05:00.000Z', place: null, actor: null, notes: null, fields: {}, correctsEventId: null, recordedBy: null,
    eventId: 'urn:uuid:0b9d6a52-7a0e-4e36-9d3c-2f0f6b0b6f11', ...over,
  };
}

const events: ExportableEvent[] = [
  ev({ id: 1, type: 'commissioned', place: 'Plant A, line 3', actor: 'press 12', recordedBy: 'alice', eventId: 'urn:uuid:00000000-0000-4000-8000-000000000001' }),
  ev({ id: 2, type: 'inspected', fields: { result: 'fail', measurements: { bore: { value: 12.04, unit: 'mm' }, mass: { value: 3.1, unit: 'g' } } }, eventId: 'urn:uuid:00000000-0000-4000-8000-000000000002', correction: { eventId: 'urn:uuid:00000000-0000-4000-8000-000000000003', recordedAt: '2026-11-22T08:00:00.000Z' } }),
  ev({ id: 3, type: 'inspected', fields: { result: 'pass' }, correctsEventId: 2, correctsEventUri: 'urn:uuid:00000000-0000-4000-8000-000000000002', notes: 'gauge was off', eventId: 'urn:uuid:00000000-0000-4000-8000-000000000003' }),
  ev({ id: 4, type: 'installed', place: 'urn:epc:id:sgln:0614141.07346.1234', fields: { torqueNm: 25.5, position: 'wheel 3' }, timeZoneOffset: '-05:30', eventId: 'urn:uuid:00000000-0000-4000-8000-000000000004' }),
  ev({ id: 5, type: 'decommissioned', place: 'urn:partprint:place:tricky', eventId: 'urn:uuid:00000000-0000-4000-8000-000000000005' }),
];

describe('EPCIS export', () => {
  const doc = buildEpcisDocument(events, { creationDate: '2026-11-23T00:00:00.000Z' });
  const list = (doc.epcisBody as { eventList: Array<Record<string, unknown>> }).eventList;

  it('writes a document that matches the EPCIS 2.0 JSON structure', () => {
    expect(epcisSchemaErrors(doc)).toEqual([]);
    expect(doc['@context']).toEqual(['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { pp: 'urn:partprint:epcis:', 'pp:correctsEventID': { '@type': '@id' } }]);
  });

  it('maps what, when, where and why', () => {
    expect(list[0]).toMatchObject({
      type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: ['urn:partprint:part:SN%200001%2Fa'],
      eventTime: '2026-11-21T10:00:00.000+01:00', eventTimeZoneOffset: '+01:00', readPoint: { id: 'urn:partprint:place:Plant%20A%2C%20line%203' },
      'pp:actor': 'press 12', 'pp:recordedBy': 'alice',
    });
    expect(list[1]).toMatchObject({ action: 'OBSERVE', bizStep: 'inspecting', disposition: 'non_conformant', 'pp:result': 'fail' });
    expect(list[1].errorDeclaration).toEqual({ declarationTime: '2026-11-22T08:00:00.000Z', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:00000000-0000-4000-8000-000000000003'] });
    expect(list[2]).toMatchObject({ disposition: 'conformant', 'pp:correctsEventID': 'urn:uuid:00000000-0000-4000-8000-000000000002' });
    expect(list[3]).toMatchObject({ eventTime: '2026-11-21T03:30:00.000-05:30', readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234' }, 'pp:torqueNm': 25.5, bizStep: 'installing' });
    expect(list[4]).toMatchObject({ action: 'DELETE', bizStep: 'decommissioning', disposition: 'inactive' });
  });

  it('rejects a document that breaks the structure (the check can fail)', () => {
    const broken = structuredClone(doc) as { epcisBody: { eventList: Array<Record<string, unknown>> } };
    broken.epcisBody.eventList[0].eventTimeZoneOffset = '+1:00';
    broken.epcisBody.eventList[1].epcList = ['not a uri'];
    delete broken.epcisBody.eventList[2].action;
    broken.epcisBody.eventList[3].disposition = 'bolted';
    const errors = epcisSchemaErrors(broken).join('\n');
    expect(errors).toMatch(/eventList\/0\/eventTimeZoneOffset/);
    expect(errors).toMatch(/eventList\/1\/epcList\/0/);
    expect(errors).toMatch(/eventList\/2: must have required property 'action'/);
    expect(errors).toMatch(/eventList\/3\/disposition/);
  });

  it('reads back what it wrote', () => {
    const parsed = parseEpcisDocument(JSON.parse(JSON.stringify(doc)));
    expect(parsed.rejected).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.events).toHaveLength(events.length);
    parsed.events.forEach((p, i) => {
      const e = events[i];
      expect(p.serial).toBe(e.serial);
      expect(p.eventId).toBe(e.eventId);
      expect(p.event).toMatchObject({ type: e.type, occurredAt: e.occurredAt, timeZoneOffset: e.timeZoneOffset, place: e.place, actor: e.actor, notes: e.notes, fields: e.fields });
      expect(p.recordedAt).toBe(e.recordedAt);
      expect(p.recordedBy).toBe(e.recordedBy);
      expect(p.correctsEventUri).toBe(e.correctsEventUri ?? null);
      expect(p.epcis).toBeUndefined();
    });
    expect(parsed.events[1].correctiveEventUris).toEqual(['urn:uuid:00000000-0000-4000-8000-000000000003']);
  });
});

describe('EPCIS import parsing', () => {
  it('reads a document written by another system and reports what it cannot take', () => {
    const doc = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ex: 'http://ns.example.com/epcis/', part: 'urn:partprint:epcis:' }],
      type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z',
      epcisBody: {
        eventList: [
          { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'urn:epcglobal:cbv:bizstep:shipping', disposition: 'urn:epcglobal:cbv:disp:in_transit', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+02:00', epcList: ['urn:partprint:part:A1', 'urn:partprint:part:A2'], readPoint: { id: 'urn:epc:id:sgln:0614141.07346.0' }, 'ex:temperature': 4, 'part:torqueNm': 3 },
          { type: 'AggregationEvent', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', action: 'ADD' },
          { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'https://ref.gs1.org/cbv/BizStep-storing', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', epcList: ['urn:epc:id:sgtin:0614141.107346.2018'], eventID: 'ni:///sha-256;abc?ver=CBV2.0' },
          { type: 'ObjectEvent', action: 'OBSERVE', eventTime: '2026-01-01T10:00:00', eventTimeZoneOffset: '+00:00', epcList: ['urn:partprint:part:A1'] },
          { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'installing', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', epcList: ['urn:partprint:part:A1'], 'part:torqueNm': -1 },
        ],
      },
    };
    const parsed = parseEpcisDocument(doc);
    expect(parsed.rejected.map((r) => r.index)).toEqual([0, 3, 4]);
    expect(parsed.rejected[0].reason).toMatch(/"torqueNm" does not belong to shipped events/);
    expect(parsed.unsupported).toEqual([{ index: 1, type: 'AggregationEvent', reason: 'this AggregationEvent names no EPC, so no part' }]);
    expect(parsed.rejected[1].reason).toMatch(/eventTime "2026-01-01T10:00:00" must be ISO 8601 with an offset/);
    expect(parsed.rejected[2].reason).toMatch(/torqueNm/);
    expect(parsed.events).toHaveLength(1);
    const storing = parsed.events[0];
    // The SGTIN names a part under the default rule: GTIN-14 (indicator digit first, check digit computed) and serial.
    expect(storing).toMatchObject({ serial: '10614141073464.2018', eventId: 'ni:///sha-256;abc?ver=CBV2.0', epcis: { bizStep: 'storing', epc: 'urn:epc:id:sgtin:0614141.107346.2018' } });
    expect(storing.event.type).toBe('observed');

    // Without the bad member, the shipping event splits per EPC with stable derived ids.
    const first = doc.epcisBody.eventList[0] as Record<string, unknown>;
    delete first['part:torqueNm'];
    const again = parseEpcisDocument(doc);
    const shipped = again.events.filter((e) => e.index === 0);
    expect(shipped.map((e) => e.serial)).toEqual(['A1', 'A2']);
    expect(shipped[0].event).toMatchObject({ type: 'shipped', occurredAt: '2026-01-01T10:00:00.000Z', timeZoneOffset: '+02:00', place: 'urn:epc:id:sgln:0614141.07346.0' });
    expect(shipped[0].epcis).toEqual({ bizLocation: null, group: { eventId: shipped[0].documentEventId, size: 2, position: 0 }, members: { 'ex:temperature': 4 }, context: { ex: 'http://ns.example.com/epcis/' } });
    expect(shipped[0].eventId).not.toBe(shipped[1].eventId);
    expect(parseEpcisDocument(doc).events[0].eventId).toBe(shipped[0].eventId);
    // Members partprint does not map are kept as written (the export writes them back).
    expect(again.warnings).toEqual([]);
  });

  it('throws for something that is not an EPCIS 2 document', () => {
    expect(() => parseEpcisDocument([])).toThrow(/must be a JSON object/);
    expect(() => parseEpcisDocument({ type: 'EPCISDocument', schemaVersion: '1.2', epcisBody: { eventList: [] } })).toThrow(/schemaVersion "1.2"/);
    expect(() => parseEpcisDocument({ type: 'EPCISDocument', schemaVersion: '2.0' })).toThrow(/eventList is missing/);
  });

  it('encodes serials and places reversibly', () => {
    for (const serial of ['SN-1', 'a b/c?d#e', 'ü€', '%41']) expect(serialFromPartUri(partUri(serial))).toBe(serial);
    expect(serialFromPartUri('urn:epc:id:sgtin:1.2.3')).toBeNull();
    expect(partUri('X 1', 'https://id.example.com/part/')).toBe('https://id.example.com/part/X%201');
    for (const place of ['Line 3', 'urn:epc:id:sgln:1.2.3', 'https://example.com/x', 'urn:partprint:place:x', 'a:b c']) expect(placeFromUri(placeUri(place))).toBe(place);
  });
});
