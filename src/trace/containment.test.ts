import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../registry/index.js';
import { traceContainers, traceContents } from './containment.js';
import { importEpcis } from './epcis-import.js';
import { appendEvent } from './repository.js';

describe('trace through the aggregation relation', () => {
  let dir: string;
  let reg: Registry;
  const at = (h: number) => `2026-03-0${h}T10:00:00+00:00`;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pp-trace-'));
    reg = await openRegistry({ dataDir: dir });
    for (const [serial, build] of [['G-1', 'B-17'], ['G-2', 'B-17'], ['G-3', 'B-18'], ['G-4', 'B-17']]) await reg.parts.create({ serial, attributes: { build } });
    for (const serial of ['ASM-1', 'ASM-2']) await reg.parts.create({ serial, partNumber: 'gearbox' });
    await appendEvent(reg, 'G-1', { type: 'packed', occurredAt: at(1), fields: { parent: 'ASM-1' } });
    await appendEvent(reg, 'G-3', { type: 'packed', occurredAt: at(1), fields: { parent: 'ASM-1' } });
    await appendEvent(reg, 'G-2', { type: 'packed', occurredAt: at(1), fields: { parent: 'ASM-2' } });
    // G-4 went into ASM-2 and came out again; the packing of G-2 into ASM-2 ...
    await appendEvent(reg, 'G-4', { type: 'packed', occurredAt: at(2), fields: { parent: 'ASM-2' } });
    await appendEvent(reg, 'G-4', { type: 'unpacked', occurredAt: at(3), fields: { parent: 'ASM-2' } });
    // Both assemblies on a pallet named by an SSCC (no registered part), through an AggregationEvent.
    const doc = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-03-05T00:00:00Z',
      epcisBody: { eventList: [{ type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', eventTime: '2026-03-04T10:00:00Z', eventTimeZoneOffset: '+00:00', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:partprint:part:ASM-1', 'urn:partprint:part:ASM-2'] }] },
    };
    expect((await importEpcis(reg, doc)).committed).toBe(true);
  });
  afterAll(async () => {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers "which assemblies contain parts of build B-17?" up to the outermost container', async () => {
    const answer = await traceContainers(reg, { attribute: { name: 'build', value: 'B-17' } });
    expect(answer.containers.map((c) => [c.key, c.level, c.parts, c.registered])).toEqual([
      ['ASM-1', 1, ['G-1'], true],
      ['ASM-2', 1, ['G-2'], true],
      // The SSCC is kept under the serial the EPC rule gives it (18 digits), registered or not.
      ['106141412345678908', 2, ['G-1', 'G-2'], false],
    ]);
    expect(answer.parts.find((p) => p.key === 'G-4')!.containers).toEqual([]);
    // The same question for a moment when G-4 was still inside ASM-2, and before the pallet.
    const before = await traceContainers(reg, { attribute: { name: 'build', value: 'B-17' }, at: '2026-03-02T12:00:00Z' });
    expect(before.containers.map((c) => [c.key, c.parts])).toEqual([['ASM-1', ['G-1']], ['ASM-2', ['G-2', 'G-4']]]);
  });

  it('answers "what is inside X?" as a tree', async () => {
    const pallet = await traceContents(reg, 'urn:epc:id:sscc:0614141.1234567890');
    expect(pallet).toMatchObject({ key: '106141412345678908', registered: false, epc: 'urn:epc:id:sscc:0614141.1234567890' });
    expect(pallet.children.map((c) => [c.key, c.children.map((g) => g.key)])).toEqual([['ASM-1', ['G-1', 'G-3']], ['ASM-2', ['G-2']]]);
    expect((await traceContents(reg, 'ASM-2', { at: '2026-03-02T12:00:00Z' })).children.map((c) => c.key)).toEqual(['G-2', 'G-4']);
    expect((await traceContents(reg, 'G-1')).children).toEqual([]);
    await expect(traceContents(reg, 'nothing')).rejects.toThrow(/neither a registered part nor a container/);
    await expect(traceContainers(reg, { serials: ['nope'] })).rejects.toThrow(/not registered/);
  });

  it('follows corrections: a corrected packing no longer counts', async () => {
    const wrong = await appendEvent(reg, 'G-3', { type: 'packed', occurredAt: at(5), fields: { parent: 'ASM-2' } });
    expect((await traceContents(reg, 'ASM-2')).children.map((c) => c.key)).toEqual(['G-2', 'G-3']);
    await appendEvent(reg, 'G-3', { type: 'packed', occurredAt: at(5), fields: { parent: 'ASM-1' }, correctsEventId: wrong.id });
    expect((await traceContents(reg, 'ASM-2')).children.map((c) => c.key)).toEqual(['G-2']);
    expect((await traceContainers(reg, { serials: ['G-3'] })).parts[0].containers.map((c) => c.key)).toEqual(['ASM-1', '106141412345678908']);
  });
});
