/**
 * End to end: a 6-position assembly of real synthetic parts (one machine, so every surface comes
 * from the same process). Position P3 holds a look-alike (an unregistered part of the same
 * machine), P2 was tightened out of range. `partprint plan check` must list exactly those two,
 * every other point OK, and the history must hold EPCIS events linking the parts to the assembly.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/identity/index.js';
import { openRegistry } from '../../src/registry/index.js';
import { encodeCapture, makeLookalike, makeMachines, makePart, renderCapture, sampleCaptureParams, type PartSpec, type SynthConfig } from '../../src/synth/index.js';
import { validatePlan } from '../../src/plan/index.js';
import { epcisSchemaErrors } from '../../src/trace/epcis-schema.test-helper.js';
import { runCliCaptured } from '../helpers/cli.js';

const CONFIG: SynthConfig = { seed: 11, strength: 1, processes: ['MJF'], machines: 1, partsPerMachine: 20 };
let dir: string;
let data: string;

async function png(part: PartSpec, capture: number): Promise<Buffer> {
  const cap = renderCapture(part, sampleCaptureParams(part, capture), { size: 256, pixelUm: 10.6 });
  return Buffer.from(await encodeCapture(cap.pixels, cap.width, cap.height, 'png', 0));
}

const PLAN = {
  assemblyType: 'wheel-hub',
  name: 'wheel hub final check',
  revision: 3,
  positions: [
    { id: 'P1', partNumber: 'bolt-M10', torqueNm: { min: 20, max: 30 } },
    { id: 'P2', partNumber: 'bolt-M10', torqueNm: { min: 20, max: 30 } },
    { id: 'P3', partNumber: 'bolt-M10', torqueNm: { min: 20, max: 30 } },
    { id: 'P4', partNumber: 'bolt-M10', torqueNm: { min: 20, max: 30 } },
    { id: 'P5', partNumber: 'bracket', inspection: 'pass' },
    { id: 'P6', partNumber: 'bracket', inspection: 'pass' },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pp-plan-'));
  data = path.join(dir, 'data');
  const machines = makeMachines(CONFIG);
  const reg = await openRegistry({ dataDir: data });
  try {
    const svc = new IdentityService(reg);
    for (let i = 0; i < 8; i++) {
      const part = makePart(CONFIG, machines, i);
      await reg.parts.create({ serial: part.serial, partNumber: i < 4 || i >= 6 ? 'bolt-M10' : 'bracket' });
      const r = await svc.register(part.serial, await png(part, 0), {}, { name: `${part.serial}.png` });
      expect(r.status).toBe('registered');
      if (i < 6) await writeFile(path.join(dir, `probe-${i}.png`), await png(part, 1));
    }
    // P3 holds a look-alike: a new individual of the same machine, never registered.
    await writeFile(path.join(dir, 'lookalike.png'), await png(makeLookalike(CONFIG, machines, 0), 1));
  } finally {
    await reg.close();
  }
  await writeFile(path.join(dir, 'plan.json'), JSON.stringify(PLAN));
}, 120_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('partprint plan check', () => {
  it('lists exactly the look-alike and the out-of-range torque; all other points OK; events linked to the assembly', async () => {
    const probe = (i: number) => path.join(dir, `probe-${i}.png`);
    const out = path.join(dir, 'report');
    const r = await runCliCaptured('plan', 'check', 'HUB-0001', '--data', data, '--plan', path.join(dir, 'plan.json'),
      '--position', `P1=${probe(0)}`, '--position', `P2=${probe(1)}`, '--position', `P3=${path.join(dir, 'lookalike.png')}`,
      '--position', `P4=${probe(3)}`, '--position', `P5=${probe(4)}`, '--position', `P6=${probe(5)}`,
      '--torque', 'P1=25', '--torque', 'P2=41.5', '--torque', 'P3=24', '--torque', 'P4=20',
      '--inspection', 'P5=pass', '--inspection', 'P6=pass', '--actor', 'inspector7', '--place', 'Line 3',
      '--out', out, '--json');
    expect(r.code, r.err).toBe(10);
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(false);
    const failing = report.points.filter((p: { ok: boolean }) => !p.ok);
    expect(failing.map((p: { position: string; failures: Array<{ code: string }> }) => [p.position, p.failures.map((f) => f.code)])).toEqual([
      ['P2', ['torque-out-of-range']],
      ['P3', ['unregistered-part']],
    ]);
    const ok = report.points.filter((p: { ok: boolean }) => p.ok);
    expect(ok.map((p: { position: string }) => p.position)).toEqual(['P1', 'P4', 'P5', 'P6']);
    // Each registered position identified as its own part.
    for (const [pos, i] of [['P1', 0], ['P2', 1], ['P4', 3], ['P5', 4], ['P6', 5]] as const) {
      expect(report.points.find((p: { position: string }) => p.position === pos).identification).toMatchObject({ status: 'identified', serial: makePart(CONFIG, makeMachines(CONFIG), i).serial });
    }
    expect(report.summary).toMatch(/^2 of 6 points failed/);

    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('2 of 6 points failed');
    expect(html).toContain('torque 41.5 N·m is outside 20-30 N·m');
    expect(html).toContain('NOT REGISTERED');
    expect(JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')).checkId).toBe(report.checkId);

    // History: each identified part put into the assembly (EPCIS AggregationEvent, parentID = the
    // assembly), installed and inspected at its position; the assembly inspected as a whole.
    const epcisFile = path.join(dir, 'history.jsonld');
    expect((await runCliCaptured('events', 'export-epcis', '--data', data, '--out', epcisFile)).code).toBe(0);
    const doc = JSON.parse(await readFile(epcisFile, 'utf8'));
    expect(epcisSchemaErrors(doc)).toEqual([]);
    const events = doc.epcisBody.eventList as Array<Record<string, unknown>>;
    const agg = events.filter((e) => e.type === 'AggregationEvent');
    expect(agg).toHaveLength(5);
    for (const e of agg) expect(e).toMatchObject({ parentID: 'urn:partprint:part:HUB-0001', action: 'ADD', bizStep: 'assembling' });
    const serialOf = (i: number) => `urn:partprint:part:${makePart(CONFIG, makeMachines(CONFIG), i).serial}`;
    expect(agg.map((e) => (e.childEPCs as string[])[0]).sort()).toEqual([0, 1, 3, 4, 5].map(serialOf).sort());
    const p2 = events.find((e) => e['pp:eventType'] === 'installed' && e['pp:position'] === 'P2')!;
    expect(p2['pp:torqueNm']).toBe(41.5);
    const hub = events.filter((e) => Array.isArray(e.epcList) && (e.epcList as string[])[0] === 'urn:partprint:part:HUB-0001');
    expect(hub).toHaveLength(1);
    expect(hub[0]).toMatchObject({ 'pp:eventType': 'inspected', 'pp:result': 'fail', disposition: 'non_conformant' });
    const childInspections = events.filter((e) => e['pp:eventType'] === 'inspected' && e['pp:position'] !== undefined);
    expect(childInspections.map((e) => [e['pp:position'], e['pp:result']]).sort()).toEqual([['P1', 'pass'], ['P2', 'fail'], ['P4', 'pass'], ['P5', 'pass'], ['P6', 'pass']]);

    // The document imports back into a fresh registry with the links intact.
    const data2 = path.join(dir, 'data2');
    const imp = await runCliCaptured('events', 'import-epcis', epcisFile, '--data', data2, '--create-parts');
    expect(imp.code, imp.err).toBe(0);
    const list = await runCliCaptured('events', 'list', makePart(CONFIG, makeMachines(CONFIG), 1).serial, '--data', data2, '--json');
    const back = JSON.parse(list.out) as Array<{ type: string; fields: Record<string, unknown> }>;
    expect(back.find((e) => e.type === 'packed')!.fields).toEqual({ parent: 'HUB-0001' });
    expect(back.find((e) => e.type === 'installed')!.fields).toEqual({ position: 'P2', torqueNm: 41.5 });

    // The stored check reads back, and a correct re-check says "all points OK".
    const show = await runCliCaptured('plan', 'show', String(report.checkId), '--data', data, '--json');
    expect(JSON.parse(show.out).points).toEqual(report.points);
    const good = await runCliCaptured('plan', 'check', 'HUB-0002', '--data', data, '--plan', path.join(dir, 'plan.json'),
      ...[0, 1, 2, 3].flatMap((i) => ['--position', `P${i + 1}=${probe(i)}`, '--torque', `P${i + 1}=25`]),
      '--position', `P5=${probe(4)}`, '--position', `P6=${probe(5)}`, '--inspection', 'P5=pass', '--inspection', 'P6=pass');
    expect(good.code, good.err + good.out).toBe(0);
    expect(good.out).toMatch(/wheel-hub HUB-0002: ALL POINTS OK/);
  }, 120_000);

  it('reports a missing position, a wrong part number and a failed inspection; refuses bad plans with the reason', async () => {
    const r = await runCliCaptured('plan', 'check', 'HUB-0003', '--data', data, '--plan', path.join(dir, 'plan.json'),
      '--position', `P1=${path.join(dir, 'probe-4.png')}`, '--torque', 'P1=22', '--position', `P5=${path.join(dir, 'probe-5.png')}`, '--inspection', 'P5=fail', '--json');
    expect(r.code, r.err).toBe(10);
    const byPos = Object.fromEntries(JSON.parse(r.out).points.map((p: { position: string; failures: Array<{ code: string }> }) => [p.position, p.failures.map((f) => f.code)]));
    expect(byPos).toEqual({ P1: ['wrong-part-number'], P2: ['missing-position'], P3: ['missing-position'], P4: ['missing-position'], P5: ['inspection-failed'], P6: ['missing-position'] });
    expect(() => validatePlan({ assemblyType: 'x', positions: [{ id: 'A', partNumber: 'b', torqueNm: { min: 30, max: 20 } }, { id: 'A', partNumber: 'b' }] })).toThrow(/torque min 30 is above max 20.*appears twice|appears twice.*torque min 30/);
    expect(() => validatePlan({ assemblyType: 'x', positions: [{ id: 'A', partNumber: 'b', torque: 3 }] })).toThrow(/additional properties \(torque\)/);
    // A YAML plan and a check file (images relative to it) give the same judgement as the flags.
    await writeFile(path.join(dir, 'plan.yaml'), ['assemblyType: wheel-hub', 'positions:', ...PLAN.positions.map((p) => `  - ${JSON.stringify(p)}`)].join('\n'));
    await writeFile(path.join(dir, 'check.json'), JSON.stringify({ assembly: 'HUB-0005', actor: 'insp 2', positions: { P1: { image: 'probe-0.png', torqueNm: 31 }, P5: { image: 'probe-4.png', inspection: 'pass' } } }));
    const viaFile = await runCliCaptured('plan', 'check', 'HUB-0005', '--data', data, '--plan', path.join(dir, 'plan.yaml'), '--check', path.join(dir, 'check.json'), '--json');
    expect(viaFile.code, viaFile.err).toBe(10);
    const rep = JSON.parse(viaFile.out);
    expect(rep.actor).toBe('insp 2');
    expect(Object.fromEntries(rep.points.map((p: { position: string; failures: Array<{ code: string }> }) => [p.position, p.failures.map((f) => f.code)]))).toMatchObject({ P1: ['torque-out-of-range'], P5: [], P2: ['missing-position'] });
    expect((await runCliCaptured('plan', 'validate', path.join(dir, 'plan.yaml'))).out).toMatch(/valid plan for wheel-hub, 6 positions/);
    const unknown = await runCliCaptured('plan', 'check', 'HUB-0004', '--data', data, '--plan', path.join(dir, 'plan.json'), '--torque', 'P9=20');
    expect(unknown.code).toBe(3);
    expect(unknown.err).toMatch(/P9 are not in the plan/);
  }, 60_000);
});
