/** The trace suite (events, corrections, aggregation, EPCIS), run against SQLite and PostgreSQL by trace.*.test.ts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/core/index.js';
import { openRegistry, type Registry } from '../../src/registry/index.js';
import {
  aggregateEvents, appendEvent, exportEpcis, getEpcRule, getEvent, getHistory, importEpcis, listEvents, queryEpcisEvents, setEpcRule,
  traceContainers, traceContents, type TraceEvent,
} from '../../src/trace/index.js';
import { epcisSchemaErrors } from '../../src/trace/epcis-schema.test-helper.js';
import type { Backend } from './backends.js';

type Reg = Registry;

async function open(backend: Backend): Promise<Reg> {
  const loc = await backend.fresh();
  return openRegistry({ dataDir: loc.dataDir, databaseUrl: loc.databaseUrl });
}

async function expectError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TraceError);
  expect((err as TraceError).code).toBe(code);
  expect((err as TraceError).message).toMatch(message);
}

async function countEvents(reg: Reg): Promise<number> {
  const r = await reg.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Drops what differs between two registries holding the same history. */
function comparable(e: TraceEvent & { correctedBy?: number | null }) {
  const { id: _id, partId: _p, correctsEventId, correctedBy, ...rest } = e;
  return { ...rest, corrects: correctsEventId !== null, corrected: correctedBy !== null && correctedBy !== undefined };
}

export function defineTraceSuite(backend: Backend): void {
  describe.skipIf(backend.skip !== undefined)(`trace on ${backend.name}`, () => {
    let reg: Reg;
    beforeAll(async () => {
      reg = await open(backend);
      const parts = [
        ['P-001', { tray_position: 'A1', supplier: 'S1' }],
        ['P-002', { tray_position: 'A1', supplier: 'S2' }],
        ['P 003/β', { tray_position: 'B2', supplier: 'S1' }],
        ['P-004', {}],
      ] as const;
      for (const [serial, attributes] of parts) await reg.parts.create({ serial, attributes: { ...attributes } });
    });
    afterAll(async () => reg?.close());

    it('appends events and lists them by time, then id, with filters', async () => {
      const a = await appendEvent(reg, 'P-001', { type: 'commissioned', occurredAt: '2026-03-01T08:00:00+01:00', place: 'Plant A', actor: 'press 12' }, { recordedBy: 'alice' });
      const b = await appendEvent(reg, 'P-001', { type: 'installed', occurredAt: '2026-03-05T10:00:00-05:00', fields: { torqueNm: 25, position: 'wheel 3' } });
      const c = await appendEvent(reg, 'P-001', { type: 'inspected', occurredAt: '2026-03-02T00:00:00Z', fields: { result: 'pass', measurements: { bore: { value: 12.01, unit: 'mm' } } } });
      const d = await appendEvent(reg, 'P-001', { type: 'observed', occurredAt: '2026-03-02T01:00:00+01:00' });
      expect(a).toMatchObject({ serial: 'P-001', type: 'commissioned', occurredAt: '2026-03-01T07:00:00.000Z', timeZoneOffset: '+01:00', recordedBy: 'alice', place: 'Plant A', correctsEventId: null });
      expect(a.eventId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(b.fields).toEqual({ torqueNm: 25, position: 'wheel 3' });

      const all = await listEvents(reg, 'P-001');
      // c and d happen at the same instant: id breaks the tie.
      expect(all.map((e) => e.id)).toEqual([a.id, c.id, d.id, b.id]);
      expect((await listEvents(reg, 'P-001', { type: 'installed' })).map((e) => e.id)).toEqual([b.id]);
      expect((await listEvents(reg, 'P-001', { since: '2026-03-02T00:00:00Z', until: '2026-03-05T15:00:00Z' })).map((e) => e.id)).toEqual([c.id, d.id]);
      expect(await getEvent(reg, b.id)).toEqual(b);
      expect(await getEvent(reg, 999_999)).toBeUndefined();
    });

    it('rejects bad events, naming the problem, and stores nothing', async () => {
      const before = await countEvents(reg);
      await expectError(appendEvent(reg, 'NOPE', { type: 'observed', occurredAt: '2026-03-01T08:00:00Z' }), 'NOT_FOUND', /part "NOPE" is not registered/);
      await expectError(appendEvent(reg, 'P-002', { type: 'installed', occurredAt: '2026-03-01T08:00:00Z', fields: { torqueNm: 0 } }), 'BAD_INPUT', /torqueNm/);
      await expectError(appendEvent(reg, 'P-002', { type: 'inspected', occurredAt: '2026-03-01T08:00:00' }), 'BAD_INPUT', /offset/);
      await expectError(listEvents(reg, 'P-002', { type: 'painted' }), 'BAD_INPUT', /event type "painted"/);
      expect(await countEvents(reg)).toBe(before);
    });

    it('is append-only: the database refuses UPDATE and DELETE of events', async () => {
      const e = await appendEvent(reg, 'P-004', { type: 'observed', occurredAt: '2026-03-01T08:00:00Z', notes: 'seen' });
      await expect(reg.db.updateTable('events').set({ notes: 'changed' }).where('id', '=', e.id).execute()).rejects.toThrow(/append-only/);
      await expect(reg.db.deleteFrom('events').where('id', '=', e.id).execute()).rejects.toThrow(/append-only/);
      expect((await getEvent(reg, e.id))?.notes).toBe('seen');
    });

    it('corrects events with new events of the same part, once each, and shows the effective history', async () => {
      const wrong = await appendEvent(reg, 'P-002', { type: 'inspected', occurredAt: '2026-04-01T09:00:00+02:00', fields: { result: 'fail' } });
      const other = await appendEvent(reg, 'P-004', { type: 'observed', occurredAt: '2026-04-01T09:00:00+02:00' });
      await expectError(appendEvent(reg, 'P-002', { type: 'inspected', occurredAt: '2026-04-01T09:00:00+02:00', fields: { result: 'pass' }, correctsEventId: other.id }), 'BAD_INPUT', /belongs to part "P-004", not "P-002"/);
      await expectError(appendEvent(reg, 'P-002', { type: 'observed', occurredAt: '2026-04-01T09:00:00Z', correctsEventId: 987_654 }), 'NOT_FOUND', /event 987654 \(the event to correct\) does not exist/);
      const fix = await appendEvent(reg, 'P-002', { type: 'inspected', occurredAt: '2026-04-01T09:00:00+02:00', fields: { result: 'pass' }, correctsEventId: wrong.id, notes: 'gauge misread' });
      await expectError(appendEvent(reg, 'P-002', { type: 'inspected', occurredAt: '2026-04-01T09:00:00+02:00', fields: { result: 'pass' }, correctsEventId: wrong.id }), 'CONFLICT', new RegExp(`already corrected by event ${fix.id}`));
      const fix2 = await appendEvent(reg, 'P-002', { type: 'inspected', occurredAt: '2026-04-01T09:30:00+02:00', fields: { result: 'pass' }, correctsEventId: fix.id });
      const history = await getHistory(reg, 'P-002');
      expect(history.map((h) => [h.id, h.correctedBy, h.effective])).toEqual([[wrong.id, fix.id, false], [fix.id, fix2.id, false], [fix2.id, null, true]]);
      expect((await getHistory(reg, 'P-002', { effectiveOnly: true })).map((h) => h.id)).toEqual([fix2.id]);
    });

    it('lets only one of two concurrent corrections of an event through', async () => {
      const target = await appendEvent(reg, 'P-004', { type: 'observed', occurredAt: '2026-04-02T09:00:00Z' });
      const fix = (n: number) => appendEvent(reg, 'P-004', { type: 'observed', occurredAt: '2026-04-02T09:00:00Z', notes: `fix ${n}`, correctsEventId: target.id });
      const results = await Promise.allSettled([fix(1), fix(2), fix(3)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect(r.reason).toBeInstanceOf(TraceError);
        expect((r.reason as TraceError).code).toBe('CONFLICT');
      }
      expect((await getHistory(reg, 'P-004')).filter((h) => h.correctsEventId === target.id)).toHaveLength(1);
    });

    it('aggregates events by part attribute and by event field, leaving corrected events out', async () => {
      const t = '2026-05-01T12:00:00Z';
      const inspect = (serial: string, result: 'pass' | 'fail') => appendEvent(reg, serial, { type: 'inspected', occurredAt: t, fields: { result } });
      await inspect('P-001', 'fail');
      await inspect('P-001', 'fail');
      await inspect('P 003/β', 'fail');
      await inspect('P 003/β', 'pass');
      await inspect('P-004', 'fail');
      const byTray = await aggregateEvents(reg, { type: 'inspected', where: { result: 'fail' }, groupBy: { attribute: 'tray_position' } });
      // P-002's failed inspection was corrected to a pass, so A1 counts only P-001's two.
      expect(byTray).toEqual([{ key: 'A1', events: 2, parts: 1 }, { key: null, events: 1, parts: 1 }, { key: 'B2', events: 1, parts: 1 }]);
      const withCorrected = await aggregateEvents(reg, { type: 'inspected', where: { result: 'fail' }, groupBy: { attribute: 'tray_position' }, effectiveOnly: false });
      expect(withCorrected.find((r) => r.key === 'A1')).toEqual({ key: 'A1', events: 3, parts: 2 });
      const bySupplier = await aggregateEvents(reg, { type: 'inspected', where: { result: 'fail' }, groupBy: { attribute: 'supplier' }, since: '2026-05-01T00:00:00Z' });
      expect(bySupplier).toEqual([{ key: 'S1', events: 3, parts: 2 }, { key: null, events: 1, parts: 1 }]);
      expect(await aggregateEvents(reg, { groupBy: { field: 'result' }, type: 'inspected', since: '2026-05-01T00:00:00Z' })).toEqual([{ key: 'fail', events: 4, parts: 3 }, { key: 'pass', events: 1, parts: 1 }]);
      await appendEvent(reg, 'P-002', { type: 'installed', occurredAt: t, fields: { torqueNm: 25.5, position: 'wheel 3' } });
      expect(await aggregateEvents(reg, { groupBy: { field: 'position' }, where: { torqueNm: 25.5 } })).toEqual([{ key: 'wheel 3', events: 1, parts: 1 }]);
      expect(await aggregateEvents(reg, { groupBy: { field: 'torqueNm' }, type: 'installed' })).toEqual([{ key: '25', events: 1, parts: 1 }, { key: '25.5', events: 1, parts: 1 }]);
      const byType = await aggregateEvents(reg, { groupBy: { type: true }, since: '2026-05-01T00:00:00Z' });
      expect(byType).toEqual([{ key: 'inspected', events: 5, parts: 3 }, { key: 'installed', events: 1, parts: 1 }]);
      await expect(aggregateEvents(reg, { groupBy: { field: 'measurements' as never } })).rejects.toThrow(/cannot aggregate on event field "measurements"/);
    });

    it('exports EPCIS 2.0 that matches the schema and imports it losslessly into a fresh registry', async () => {
      const doc = await exportEpcis(reg);
      expect(epcisSchemaErrors(doc)).toEqual([]);
      const list = (doc.epcisBody as { eventList: Array<Record<string, unknown>> }).eventList;
      expect(list.length).toBe(await countEvents(reg));
      expect(list.filter((e) => e.errorDeclaration).length).toBe(3);

      const fresh = await open(backend);
      try {
        const progress: number[] = [];
        const report = await importEpcis(fresh, JSON.parse(JSON.stringify(doc)), { createParts: true, onProgress: (p) => progress.push(p.done) });
        expect(report).toMatchObject({ committed: true, imported: list.length, alreadyPresent: 0, unknownParts: [], rejected: [], warnings: [] });
        expect(report.createdParts.sort()).toEqual(['P 003/β', 'P-001', 'P-002', 'P-004']);
        expect(progress.at(-1)).toBe(list.length);
        for (const serial of ['P-001', 'P-002', 'P 003/β', 'P-004']) {
          const [a, b] = [await getHistory(reg, serial), await getHistory(fresh, serial)];
          expect(b.map(comparable)).toEqual(a.map(comparable));
          expect(b.map((h) => h.effective)).toEqual(a.map((h) => h.effective));
        }
        const again = await exportEpcis(fresh);
        expect({ ...again, creationDate: 0 }).toEqual({ ...doc, creationDate: 0 });

        // Idempotent: importing the same document again (or into its source) changes nothing.
        const before = await countEvents(fresh);
        expect(await importEpcis(fresh, doc)).toMatchObject({ committed: true, imported: 0, alreadyPresent: list.length });
        expect(await importEpcis(reg, doc)).toMatchObject({ committed: true, imported: 0, alreadyPresent: list.length });
        expect(await countEvents(fresh)).toBe(before);
      } finally {
        await fresh.close();
      }
    });

    it('exports one part and imports all-or-nothing, reporting unknown parts and bad events', async () => {
      const one = await exportEpcis(reg, { serial: 'P-002' });
      expect(epcisSchemaErrors(one)).toEqual([]);
      const events = (one.epcisBody as { eventList: Array<Record<string, unknown>> }).eventList;
      expect(new Set(events.flatMap((e) => e.epcList as string[]))).toEqual(new Set(['urn:partprint:part:P-002']));
      await expectError(exportEpcis(reg, { serial: 'NOPE' }), 'NOT_FOUND', /NOPE/);

      const fresh = await open(backend);
      try {
        await fresh.parts.create({ serial: 'P-002' });
        const bad = structuredClone(one) as { epcisBody: { eventList: Array<Record<string, unknown>> } };
        bad.epcisBody.eventList.push({ ...bad.epcisBody.eventList[0], eventID: 'urn:uuid:11111111-1111-4111-8111-111111111111', epcList: ['urn:partprint:part:GHOST'] });
        bad.epcisBody.eventList.push({ ...bad.epcisBody.eventList[0], eventID: 'urn:uuid:22222222-2222-4222-8222-222222222222', 'pp:torqueNm': -4 });
        const report = await importEpcis(fresh, bad);
        expect(report.committed).toBe(false);
        expect(report.imported).toBe(0);
        expect(report.unknownParts).toEqual(['urn:partprint:part:GHOST']);
        expect(report.rejected).toHaveLength(1);
        expect(report.rejected[0]).toMatchObject({ index: events.length + 1, reason: expect.stringMatching(/torqueNm/) });
        expect(await countEvents(fresh)).toBe(0);

        // A correction whose target is missing is rejected too.
        const orphan = structuredClone(one) as { epcisBody: { eventList: Array<Record<string, unknown>> } };
        orphan.epcisBody.eventList = orphan.epcisBody.eventList.filter((e) => e['pp:correctsEventID']);
        const r2 = await importEpcis(fresh, orphan);
        expect(r2.committed).toBe(false);
        expect(r2.rejected[0].reason).toMatch(/neither in the document nor in the registry/);
        expect(await countEvents(fresh)).toBe(0);

        const ok = await importEpcis(fresh, one);
        expect(ok).toMatchObject({ committed: true, imported: events.length });
        expect((await getHistory(fresh, 'P-002')).map(comparable)).toEqual((await getHistory(reg, 'P-002')).map(comparable));
      } finally {
        await fresh.close();
      }
    });
    it('imports a document from another system: corrections by errorDeclaration, several parts per event, kept CBV values', async () => {
      const fresh = await open(backend);
      try {
        await fresh.parts.create({ serial: 'X-1' });
        await fresh.parts.create({ serial: 'X-2' });
        const doc = {
          '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
          type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z',
          epcisBody: {
            eventList: [
              // Corrective event listed before the event it corrects: the import orders them.
              { type: 'ObjectEvent', eventID: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000002', action: 'OBSERVE', bizStep: 'https://ref.gs1.org/cbv/BizStep-receiving', disposition: 'sellable_not_accessible', eventTime: '2026-01-02T10:00:00+01:00', eventTimeZoneOffset: '+01:00', epcList: ['urn:partprint:part:X-1'], readPoint: { id: 'urn:epc:id:sgln:4012345.00001.0' } },
              { type: 'ObjectEvent', eventID: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001', action: 'OBSERVE', bizStep: 'receiving', eventTime: '2026-01-01T10:00:00+01:00', eventTimeZoneOffset: '+01:00', epcList: ['urn:partprint:part:X-1'], errorDeclaration: { declarationTime: '2026-01-03T00:00:00Z', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:aaaaaaaa-0000-4000-8000-000000000002'] } },
              { type: 'ObjectEvent', eventID: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000003', action: 'OBSERVE', bizStep: 'shipping', disposition: 'in_transit', eventTime: '2026-01-04T10:00:00Z', eventTimeZoneOffset: '+00:00', epcList: ['urn:partprint:part:X-1', 'urn:partprint:part:X-2'] },
            ],
          },
        };
        const report = await importEpcis(fresh, doc);
        expect(report).toMatchObject({ committed: true, imported: 4, rejected: [], unknownParts: [] });
        const h1 = await getHistory(fresh, 'X-1');
        expect(h1.map((h) => [h.type, h.eventId, h.effective])).toEqual([
          ['received', 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001', false],
          ['received', 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000002', true],
          ['shipped', 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000003#urn%3Apartprint%3Apart%3AX-1', true],
        ]);
        expect(h1[1]).toMatchObject({ correctsEventId: h1[0].id, place: 'urn:epc:id:sgln:4012345.00001.0', timeZoneOffset: '+01:00' });
        expect((await listEvents(fresh, 'X-2')).map((e) => e.type)).toEqual(['shipped']);
        // Written out again, the foreign disposition and the correction come back.
        const out = (await exportEpcis(fresh, { serial: 'X-1' })).epcisBody as { eventList: Array<Record<string, unknown>> };
        expect(out.eventList[0].errorDeclaration).toMatchObject({ correctiveEventIDs: ['urn:uuid:aaaaaaaa-0000-4000-8000-000000000002'] });
        expect(out.eventList[1]).toMatchObject({ bizStep: 'receiving', disposition: 'sellable_not_accessible', 'pp:correctsEventID': 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001' });
        expect(await importEpcis(fresh, doc)).toMatchObject({ committed: true, imported: 0, alreadyPresent: 4 });
      } finally {
        await fresh.close();
      }
    });

    it('maps GS1 EPCs by the registry rule, stores aggregations, traces them, and pages the query', async () => {
      const fresh = await open(backend);
      try {
        expect(await setEpcRule(fresh, { sgtinSerial: 'S-{serial}' }, 'suite')).toMatchObject({ sgtinSerial: 'S-{serial}' });
        expect((await getEpcRule(fresh)).sgtinSerial).toBe('S-{serial}');
        const doc = {
          '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z',
          epcisBody: { eventList: [
            { type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', eventTime: '2026-01-01T08:00:00Z', eventTimeZoneOffset: '+00:00', epcList: ['urn:epc:id:sgtin:0614141.107346.1', 'https://id.gs1.org/01/04012345111118/21/2'] },
            { type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', eventTime: '2026-01-01T09:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.1', 'https://id.gs1.org/01/04012345111118/21/2'] },
            { type: 'TransactionEvent', action: 'ADD', eventTime: '2026-01-01T09:00:00Z', eventTimeZoneOffset: '+00:00', bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epc:id:gdti:0614141.00001.1618034' }], epcList: ['urn:epc:id:sgtin:0614141.107346.1'] },
          ] },
        };
        const report = await importEpcis(fresh, doc, { createParts: true, unsupported: 'skip' });
        expect(report).toMatchObject({ committed: true, imported: 4, skipped: [{ index: 2, type: 'TransactionEvent' }] });
        expect(report.createdParts.sort()).toEqual(['106141412345678908', 'S-1', 'S-2']);
        expect((await traceContents(fresh, 'urn:epc:id:sscc:0614141.1234567890')).children.map((c) => c.key)).toEqual(['S-1', 'S-2']);
        expect((await traceContainers(fresh, { serials: ['S-2'] })).containers.map((c) => c.key)).toEqual(['106141412345678908']);
        const first = await queryEpcisEvents(fresh, { perPage: 1 });
        expect(first.eventList).toHaveLength(1);
        const second = await queryEpcisEvents(fresh, { perPage: 10, after: first.next! });
        expect(second.next).toBeNull();
        // The commissioning of S-1 and S-2 was split by the page boundary (each comes with its own eventID); the packing is joined again.
        expect(second.eventList.map((e) => [e.type, (e.epcList ?? e.childEPCs) as string[]])).toEqual([
          ['ObjectEvent', ['https://id.gs1.org/01/04012345111118/21/2']],
          ['AggregationEvent', ['urn:epc:id:sgtin:0614141.107346.1', 'https://id.gs1.org/01/04012345111118/21/2']],
        ]);
        expect(epcisSchemaErrors(await exportEpcis(fresh))).toEqual([]);
      } finally {
        await fresh.close();
      }
    });
  });
}
