/** EPCIS as other systems write it: GS1 identifiers, sensor data, aggregation, unsupported types, strict validation. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../registry/index.js';
import { checkEpcRule, DEFAULT_EPC_RULE, gs1CheckDigit, partForEpc } from './epc.js';
import { exportEpcis } from './epcis-store.js';
import { importEpcis } from './epcis-import.js';
import { epcisSchemaErrors } from './epcis-schema.test-helper.js';
import { listEvents } from './repository.js';
import { getEpcRule, setEpcRule } from './settings.js';

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ex: 'http://ns.example.com/epcis/' }];
type Ev = Record<string, unknown>;
const doc = (...eventList: Ev[]) => ({ '@context': CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z', epcisBody: { eventList } });
const base = (over: Ev): Ev => ({ type: 'ObjectEvent', action: 'OBSERVE', eventTime: '2026-01-01T10:00:00.000+01:00', eventTimeZoneOffset: '+01:00', ...over });
const eventList = (d: Record<string, unknown>) => (d.epcisBody as { eventList: Ev[] }).eventList;

describe('EPC rule', () => {
  it('maps an SGTIN URN and the Digital Link of the same item to one serial, with the GTIN as part number', () => {
    const urn = partForEpc('urn:epc:id:sgtin:0614141.107346.2017');
    expect(urn).toEqual({ serial: '10614141073464.2017', partNumber: '10614141073464', scheme: 'sgtin' });
    expect(gs1CheckDigit('1061414107346')).toBe('4');
    expect(partForEpc('https://id.gs1.org/01/10614141073464/21/2017')).toEqual(urn);
    expect(partForEpc('https://id.example/shop/01/10614141073464/21/2017?x=1')).toEqual(urn);
    expect(partForEpc('https://id.gs1.org/01/614141073467/21/A%2FB')?.serial).toBe('00614141073467.A/B');
  });

  it('reads SSCC, GIAI, serialised GRAI and partprint URIs; refuses class-level keys and wrong check digits', () => {
    expect(partForEpc('urn:epc:id:sscc:0614141.1234567890')?.serial).toBe('106141412345678908');
    expect(partForEpc('https://id.gs1.org/00/106141412345678908')?.serial).toBe('106141412345678908');
    expect(partForEpc('urn:epc:id:giai:4000001.111')?.serial).toBe('4000001111');
    expect(partForEpc('https://id.gs1.org/8004/4000001111')?.serial).toBe('4000001111');
    expect(partForEpc('urn:epc:id:grai:4012345.55555.987')?.serial).toBe('04012345555554987');
    expect(partForEpc('https://id.example.com/8003/04012345555554987')?.serial).toBe('04012345555554987');
    expect(partForEpc('urn:epc:id:grai:4012345.55555.')).toBeNull();
    expect(partForEpc('urn:partprint:part:A%201')?.serial).toBe('A 1');
    expect(partForEpc('https://id.gs1.org/01/10614141073464')).toBeNull();
    expect(partForEpc('https://id.gs1.org/01/10614141073465/21/2017')).toBeNull();
    expect(partForEpc('urn:epc:class:lgtin:4012345.012345.998877')).toBeNull();
    expect(partForEpc('urn:epc:id:sgln:0614141.07346.1234')).toBeNull();
  });

  it('follows the configured templates, schemes and GTIN list, and refuses a rule that would merge parts', () => {
    const rule = checkEpcRule({ sgtinSerial: 'P-{serial}', schemes: ['sgtin'], gtins: ['10614141073464'] });
    expect(partForEpc('urn:epc:id:sgtin:0614141.107346.2017', rule)?.serial).toBe('P-2017');
    expect(partForEpc('urn:epc:id:sgtin:4012345.011111.9876', rule)).toBeNull();
    expect(partForEpc('urn:epc:id:sscc:0614141.1234567890', rule)).toBeNull();
    expect(partForEpc('urn:partprint:part:X', rule)).toBeNull();
    expect(() => checkEpcRule({ sgtinSerial: '{gtin}' })).toThrow(/must contain \{serial\}/);
    expect(() => checkEpcRule({ gtins: ['10614141073465'] })).toThrow(/wrong check digit \(expected 4\)/);
    expect(() => checkEpcRule({ schemes: ['sgln'] })).toThrow(/schemes must be/);
    expect(() => checkEpcRule({ partUriBase: 'x' })).toThrow(/partUriBase/);
  });
});

describe('EPCIS import of real documents', () => {
  let dir: string;
  let reg: Registry;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pp-epcis-'));
    reg = await openRegistry({ dataDir: dir });
  });
  afterEach(async () => {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates parts of several GTINs from one document under the registry rule, no URI prefix given', async () => {
    const d = doc(
      base({ eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000001', bizStep: 'shipping', disposition: 'in_transit', epcList: ['urn:epc:id:sgtin:0614141.107346.2017', 'https://id.gs1.org/01/04012345111118/21/9876'] }),
      base({ eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000002', bizStep: 'receiving', epcList: ['https://id.gs1.org/01/10614141073464/21/2017'] }),
    );
    const report = await importEpcis(reg, d, { createParts: true });
    expect(report).toMatchObject({ committed: true, imported: 3, validation: 'gs1-schema' });
    expect(report.createdParts.sort()).toEqual(['04012345111118.9876', '10614141073464.2017']);
    const part = await reg.parts.get('10614141073464.2017');
    expect(part).toMatchObject({ partNumber: '10614141073464', attributes: { epc: 'urn:epc:id:sgtin:0614141.107346.2017' } });
    // Both spellings of the same item land in one part's history.
    expect((await listEvents(reg, '10614141073464.2017')).map((e) => e.type)).toEqual(['shipped', 'received']);
    // The export names the parts as the document did and joins the two-EPC event again.
    const out = await exportEpcis(reg);
    expect(epcisSchemaErrors(out)).toEqual([]);
    expect(eventList(out)[0]).toMatchObject({ eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000001', epcList: ['urn:epc:id:sgtin:0614141.107346.2017', 'https://id.gs1.org/01/04012345111118/21/9876'] });

    // An EPC outside the rule cannot be created: the report says so instead of only "unknown part".
    await setEpcRule(reg, { schemes: ['sgtin'], gtins: ['10614141073464'] }, 'test');
    const outside = await importEpcis(reg, doc(base({ bizStep: 'receiving', epcList: ['https://id.gs1.org/01/04012345111118/21/77'] })), { createParts: true });
    expect(outside).toMatchObject({ committed: false, unknownParts: ['https://id.gs1.org/01/04012345111118/21/77'] });
    expect(outside.warnings).toEqual([expect.stringMatching(/names no part under the EPC rule \(schemes sgtin, GTINs 10614141073464; see `partprint events epc-rule`\)/)]);

    // A rule set once on the registry applies to every later import.
    await setEpcRule(reg, { sgtinSerial: 'SN-{serial}' }, 'test');
    expect((await getEpcRule(reg)).sgtinSerial).toBe('SN-{serial}');
    const r2 = await importEpcis(reg, doc(base({ bizStep: 'inspecting', disposition: 'conformant', epcList: ['urn:epc:id:sgtin:0614141.107346.3000'] })), { createParts: true });
    expect(r2.createdParts).toEqual(['SN-3000']);
    expect((await listEvents(reg, 'SN-3000'))[0]).toMatchObject({ type: 'inspected', fields: { result: 'pass' } });
  });

  it('stores the measurements of a sensor-based inspection and writes them back as sensorElementList', async () => {
    const sensorElementList = [
      { sensorMetadata: { time: '2026-01-01T09:05:00.000+01:00', deviceID: 'urn:epc:id:giai:4000001.111' }, sensorReport: [{ type: 'Temperature', value: 26.0, uom: 'CEL' }, { type: 'AbsoluteHumidity', value: 12.1, uom: 'A93' }] },
      { sensorMetadata: { time: '2026-01-01T09:35:00.000+01:00' }, sensorReport: [{ type: 'Temperature', value: 26.1, uom: 'CEL' }, { type: 'Temperature', exception: 'ALARM_CONDITION', booleanValue: true }] },
    ];
    const d = doc(base({ eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000003', bizStep: 'inspecting', epcList: ['urn:epc:id:sgtin:4012345.011111.9876'], readPoint: { id: 'urn:epc:id:sgln:4012345.00005.0' }, sensorElementList }));
    const report = await importEpcis(reg, d, { createParts: true });
    expect(report.committed).toBe(true);
    const [e] = await listEvents(reg, '04012345111118.9876');
    expect(e.type).toBe('inspected');
    expect(e.fields).toEqual({ measurements: { Temperature: { value: 26, unit: 'CEL' }, AbsoluteHumidity: { value: 12.1, unit: 'A93' }, 'Temperature #2': { value: 26.1, unit: 'CEL' } } });
    const out = await exportEpcis(reg);
    expect(epcisSchemaErrors(out)).toEqual([]);
    expect(eventList(out)[0].sensorElementList).toEqual(sensorElementList);
  });

  it('exports partprint measurements as sensorElementList with UN/ECE units, and reads them back exactly', async () => {
    await reg.parts.create({ serial: 'A-1' });
    const { appendEvent } = await import('./repository.js');
    await appendEvent(reg, 'A-1', { type: 'inspected', occurredAt: '2026-01-01T10:00:00+01:00', fields: { result: 'fail', measurements: { bore: { value: 12.04, unit: 'mm' }, flatness: { value: 3, unit: 'lu' } } } });
    const out = await exportEpcis(reg);
    expect(epcisSchemaErrors(out)).toEqual([]);
    const ev = eventList(out)[0];
    expect(ev.sensorElementList).toEqual([{ sensorReport: [
      { type: 'Length', value: 12.04, uom: 'MMT', 'pp:name': 'bore', 'pp:unit': 'mm' },
      { type: 'urn:partprint:epcis:measurement', value: 3, 'pp:name': 'flatness', 'pp:unit': 'lu' },
    ] }]);
    expect(ev['pp:measurements']).toBeUndefined();
    const dir2 = mkdtempSync(path.join(os.tmpdir(), 'pp-epcis-'));
    const other = await openRegistry({ dataDir: dir2 });
    try {
      expect((await importEpcis(other, JSON.parse(JSON.stringify(out)), { createParts: true })).committed).toBe(true);
      const [back] = await listEvents(other, 'A-1');
      expect(back.fields).toEqual({ result: 'fail', measurements: { bore: { value: 12.04, unit: 'mm' }, flatness: { value: 3, unit: 'lu' } } });
      expect(back.epcis).toBeUndefined();
    } finally {
      await other.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('stores AggregationEvents as packed / unpacked events of each child, naming the parent', async () => {
    const d = doc(
      { type: 'AggregationEvent', eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000004', action: 'ADD', bizStep: 'packing', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'], childQuantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 200.5, uom: 'KGM' }] },
      { type: 'AggregationEvent', eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000005', action: 'DELETE', bizStep: 'unpacking', eventTime: '2026-01-02T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2018'] },
    );
    const report = await importEpcis(reg, d, { createParts: true });
    expect(report).toMatchObject({ committed: true, imported: 3 });
    expect(report.createdParts).toContain('106141412345678908');
    expect((await listEvents(reg, '10614141073464.2018')).map((e) => [e.type, e.fields.parent])).toEqual([['packed', '106141412345678908'], ['unpacked', '106141412345678908']]);
    const out = await exportEpcis(reg);
    expect(epcisSchemaErrors(out)).toEqual([]);
    const [packed, unpacked] = eventList(out);
    expect(packed).toMatchObject({ type: 'AggregationEvent', action: 'ADD', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'], childQuantityList: [{ quantity: 200.5 }] });
    expect(unpacked).toMatchObject({ type: 'AggregationEvent', action: 'DELETE', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2018'] });
  });

  it('stores AssociationEvents (components assembled into an asset) in the same relation, and exports them as AssociationEvents', async () => {
    const d = doc(
      { type: 'AssociationEvent', eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000007', action: 'ADD', bizStep: 'assembling', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:grai:4012345.55555.987', childEPCs: ['urn:epc:id:giai:4000001.12345'], readPoint: { id: 'urn:epc:id:sgln:4012345.00001.0' } },
      { type: 'AssociationEvent', eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000008', action: 'DELETE', bizStep: 'disassembling', eventTime: '2026-01-02T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:grai:4012345.55555.987', childEPCs: [] },
    );
    expect((await importEpcis(reg, d, { createParts: true })).rejected[0].reason).toMatch(/AssociationEvent DELETE without childEPCs .*is not stored yet/);
    const report = await importEpcis(reg, d, { createParts: true, unsupported: 'skip' });
    expect(report).toMatchObject({ committed: true, imported: 1, skipped: [{ index: 1, type: 'AssociationEvent' }] });
    expect((await listEvents(reg, '400000112345')).map((e) => [e.type, e.fields.parent])).toEqual([['packed', '04012345555554987']]);
    const out = await exportEpcis(reg);
    expect(epcisSchemaErrors(out)).toEqual([]);
    expect(eventList(out)[0]).toMatchObject({ type: 'AssociationEvent', action: 'ADD', bizStep: 'assembling', parentID: 'urn:epc:id:grai:4012345.55555.987', childEPCs: ['urn:epc:id:giai:4000001.12345'] });
    const { queryEpcisEvents } = await import('./epcis-store.js');
    expect((await queryEpcisEvents(reg, { perPage: 10, eventType: 'AssociationEvent' })).eventList).toHaveLength(1);
    expect((await queryEpcisEvents(reg, { perPage: 10, eventType: 'AggregationEvent' })).eventList).toHaveLength(0);
  });

  it('rejects a document with an unsupported event type by default, and skips and reports it on request', async () => {
    const d = doc(
      base({ eventID: 'urn:uuid:5d7b4c2e-0000-4000-8000-000000000006', bizStep: 'receiving', epcList: ['urn:epc:id:sgtin:0614141.107346.2017'] }),
      { type: 'TransactionEvent', action: 'ADD', eventTime: '2026-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', bizTransactionList: [{ type: 'po', bizTransaction: 'http://transaction.acme.com/po/1' }], epcList: ['urn:epc:id:sgtin:0614141.107346.2017'] },
      base({ epcList: [], quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 200, uom: 'KGM' }] }),
    );
    const strict = await importEpcis(reg, d, { createParts: true });
    expect(strict.committed).toBe(false);
    expect(strict.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, expect.stringMatching(/^TransactionEvent is not stored by partprint .*unsupported: skip/)],
      [2, expect.stringMatching(/class-level ObjectEvent/)],
    ]);
    expect(await reg.parts.get('10614141073464.2017')).toBeUndefined();
    const lenient = await importEpcis(reg, d, { createParts: true, unsupported: 'skip' });
    expect(lenient).toMatchObject({ committed: true, imported: 1, rejected: [] });
    expect(lenient.skipped.map((s) => [s.index, s.type])).toEqual([[1, 'TransactionEvent'], [2, 'ObjectEvent']]);
  });

  it('refuses invalid documents whole: no @context, a quantity in words, a bizStep outside the CBV', async () => {
    const ok = doc(base({ bizStep: 'receiving', epcList: ['urn:epc:id:sgtin:0614141.107346.2017'], quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 2 }] }));
    const noContext: Record<string, unknown> = structuredClone(ok);
    delete noContext['@context'];
    await expect(importEpcis(reg, noContext, { createParts: true })).rejects.toThrow(/not a valid EPCIS 2.0 document .*GS1.*'@context'/);
    const words = structuredClone(ok);
    (eventList(words)[0].quantityList as Ev[])[0].quantity = 'twenty';
    await expect(importEpcis(reg, words, { createParts: true })).rejects.toThrow(/quantityList\/0\/quantity: must be a number, got "twenty"/);
    const step = structuredClone(ok);
    eventList(step)[0].bizStep = 'transforming';
    await expect(importEpcis(reg, step, { createParts: true })).rejects.toThrow(/bizStep "transforming" is neither a CBV 2.0 term/);
    const cbvUri = structuredClone(ok);
    eventList(cbvUri)[0].bizStep = 'https://ref.gs1.org/cbv/BizStep-transforming';
    await expect(importEpcis(reg, cbvUri, { createParts: true })).rejects.toThrow(/names no CBV 2.0 term/);
    expect(await reg.parts.get('10614141073464.2017')).toBeUndefined();

    // A bizStep of another vocabulary (a URI) is kept as written: never rewritten to commissioning.
    const custom = structuredClone(ok);
    Object.assign(eventList(custom)[0], { action: 'ADD', bizStep: 'https://example.com/bizstep/transforming' });
    expect((await importEpcis(reg, custom, { createParts: true })).committed).toBe(true);
    const [e] = await listEvents(reg, '10614141073464.2017');
    expect(e.type).toBe('observed');
    const out = eventList(await exportEpcis(reg))[0];
    expect(out).toMatchObject({ action: 'ADD', bizStep: 'https://example.com/bizstep/transforming', quantityList: [{ quantity: 2 }] });
  });
});

it('DEFAULT_EPC_RULE reads every scheme', () => {
  expect(DEFAULT_EPC_RULE.schemes).toEqual(['partprint', 'sgtin', 'sscc', 'giai', 'grai']);
});
