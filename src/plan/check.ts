/**
 * Checking one assembly against its plan: identify the part at each position (1:N), apply the
 * position's rules, and record the outcome: the photos, the check and its report, and the history
 * events (each identified part packed into the assembly, installed and inspected at its position;
 * the assembly inspected as a whole), all in one transaction.
 */
import type { Kysely } from 'kysely';
import { PartprintError } from '../core/index.js';
import type { Database, Registry } from '../registry/index.js';
import { appendEventIn, nowWithOffset, parseEventTime } from '../trace/index.js';
import type { CheckReport, Identifier, InspectionPlan, PointFailure, PointResult, PositionIdentification, PositionObservation } from './types.js';
import type { PlanTables } from './tables.js';

/** Judges every position from what was observed and identified (pure; no I/O). */
export function evaluatePoints(plan: InspectionPlan, observations: Record<string, PositionObservation>, identified: Record<string, PositionIdentification | null>): PointResult[] {
  const points: PointResult[] = plan.positions.map((p) => {
    const o = observations[p.id];
    const id = identified[p.id] ?? null;
    const failures: PointFailure[] = [];
    if (!o || (!o.image && o.torqueNm === undefined && o.inspection === undefined)) {
      failures.push({ code: 'missing-position', message: `nothing was recorded at ${p.id}` });
    } else {
      if (!o.image) failures.push({ code: 'missing-position', message: `no photo of the part at ${p.id}` });
      else if (id?.status === 'rejected') failures.push({ code: 'capture-rejected', message: `the photo cannot identify a part: ${id.reason}` });
      else if (id?.status === 'not-registered') failures.push({ code: 'unregistered-part', message: `the part at ${p.id} is not registered (${id.reason})` });
      else if (id?.status === 'identified' && id.partNumber !== p.partNumber) {
        failures.push({ code: 'wrong-part-number', message: `part ${id.serial} has part number ${id.partNumber ?? '(none)'}; ${p.id} needs ${p.partNumber}` });
      }
      if (p.torqueNm) {
        if (o.torqueNm === undefined) failures.push({ code: 'missing-torque', message: `no torque recorded at ${p.id} (needs ${p.torqueNm.min}-${p.torqueNm.max} N·m)` });
        else if (o.torqueNm < p.torqueNm.min || o.torqueNm > p.torqueNm.max) {
          failures.push({ code: 'torque-out-of-range', message: `torque ${o.torqueNm} N·m is outside ${p.torqueNm.min}-${p.torqueNm.max} N·m` });
        }
      }
      if (p.inspection === 'pass') {
        if (o.inspection === undefined) failures.push({ code: 'missing-inspection', message: `no inspection result recorded at ${p.id}` });
        else if (o.inspection !== 'pass') failures.push({ code: 'inspection-failed', message: `inspection result at ${p.id} is ${o.inspection}` });
      }
    }
    return {
      position: p.id,
      description: p.description ?? null,
      expectedPartNumber: p.partNumber,
      ok: false,
      failures,
      identification: id,
      torqueNm: o?.torqueNm ?? null,
      torqueRange: p.torqueNm ?? null,
      inspection: o?.inspection ?? null,
      imageHash: null,
      imageName: o?.image?.name ?? null,
    };
  });
  // One part cannot sit at two positions.
  const bySerial = new Map<string, PointResult[]>();
  for (const pt of points) if (pt.identification?.status === 'identified') bySerial.set(pt.identification.serial, [...(bySerial.get(pt.identification.serial) ?? []), pt]);
  for (const [serial, pts] of bySerial) {
    if (pts.length < 2) continue;
    for (const pt of pts) pt.failures.push({ code: 'duplicate-part', message: `part ${serial} was also identified at ${pts.filter((x) => x !== pt).map((x) => x.position).join(', ')}` });
  }
  for (const pt of points) pt.ok = pt.failures.length === 0;
  return points;
}

export function summarise(points: PointResult[]): string {
  const failed = points.filter((p) => !p.ok);
  return failed.length === 0 ? 'all points OK' : `${failed.length} of ${points.length} points failed: ${failed.map((p) => `${p.position} (${p.failures.map((f) => f.code).join(', ')})`).join('; ')}`;
}

export interface CheckAssemblyOptions {
  registry: Registry;
  identify: Identifier;
  plan: InspectionPlan;
  assembly: string;
  observations: Record<string, PositionObservation>;
  /** Who did the work (inspector, fitter). */
  actor?: string | null;
  place?: string | null;
  /** When, ISO 8601 with an offset (default now). */
  occurredAt?: string;
  /** Who writes the record (API key, user). */
  recordedBy?: string | null;
  /** Create the assembly part (part number = the plan's assembly type) when it is not registered (default true). */
  createAssembly?: boolean;
  onPosition?: (done: number, total: number, position: string) => void;
}

type Db = Kysely<Database & PlanTables>;

/**
 * Checks an assembly against a plan and stores the check, its photos and its events.
 *
 * @example
 *   const report = await checkAssembly({ registry, identify: identifierFor(new IdentityService(registry)), plan, assembly: 'ASM-1', observations });
 *   console.log(report.summary); // "all points OK"
 */
export async function checkAssembly(o: CheckAssemblyOptions): Promise<CheckReport> {
  const { registry, plan, assembly } = o;
  const known = new Set(plan.positions.map((p) => p.id));
  const unknown = Object.keys(o.observations).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new PartprintError(`position(s) ${unknown.join(', ')} are not in the plan for ${plan.assemblyType} (positions: ${[...known].join(', ')})`, { code: 'BAD_INPUT' });
  const occurredAt = o.occurredAt ?? nowWithOffset();
  parseEventTime(occurredAt, 'check time');
  const existing = await registry.parts.get(assembly);
  if (existing && existing.partNumber !== null && existing.partNumber !== plan.assemblyType) {
    throw new PartprintError(`assembly "${assembly}" has part number ${existing.partNumber}; the plan is for ${plan.assemblyType}`, { code: 'BAD_INPUT' });
  }
  if (!existing && o.createAssembly === false) throw new PartprintError(`assembly "${assembly}" is not registered`, { code: 'NOT_FOUND' });

  // Identify first (reads only), then store everything in one transaction.
  const identified: Record<string, PositionIdentification | null> = {};
  let done = 0;
  for (const p of plan.positions) {
    const img = o.observations[p.id]?.image;
    o.onPosition?.(done++, plan.positions.length, p.id);
    identified[p.id] = img ? await o.identify(img.bytes, img.name) : null;
    if (identified[p.id]?.status === 'identified' && (identified[p.id] as { serial: string }).serial === assembly) {
      throw new PartprintError(`the photo at ${p.id} identifies the assembly ${assembly} itself`, { code: 'BAD_INPUT' });
    }
  }
  o.onPosition?.(done, plan.positions.length, '');
  const points = evaluatePoints(plan, o.observations, identified);
  const ok = points.every((p) => p.ok);
  const summary = summarise(points);
  const checkedAt = parseEventTime(occurredAt, 'check time').utc;
  const report: CheckReport = {
    checkId: null, assembly, assemblyType: plan.assemblyType, planName: plan.name ?? null, planRevision: plan.revision ?? null,
    checkedAt, actor: o.actor ?? null, place: o.place ?? null, ok, summary, points, eventIds: [],
  };
  const recordedBy = o.recordedBy ?? null;

  return registry.transaction(async (trx, scope) => {
    if (!(await scope.parts.get(assembly))) await scope.parts.create({ serial: assembly, partNumber: plan.assemblyType });
    const common = { occurredAt, actor: o.actor ?? null, place: o.place ?? null };
    for (const pt of points) {
      const img = o.observations[pt.position]?.image;
      if (img) pt.imageHash = await scope.blobs.put(img.bytes);
      const id = pt.identification;
      if (id?.status !== 'identified') continue;
      // The part is in the assembly: an aggregation (EPCIS AggregationEvent, parentID = the
      // assembly, bizStep assembling), its installation at the position with the torque, and its
      // inspection there.
      const packed = await appendEventIn(trx, id.serial, { ...common, type: 'packed', fields: { parent: assembly }, notes: `fitted at ${plan.assemblyType} ${assembly} position ${pt.position}` }, { recordedBy, epcis: { bizStep: 'assembling' } });
      const installed = await appendEventIn(trx, id.serial, { ...common, type: 'installed', fields: { position: pt.position, ...(pt.torqueNm !== null ? { torqueNm: pt.torqueNm } : {}) }, notes: `in ${plan.assemblyType} ${assembly}` }, { recordedBy });
      const inspected = await appendEventIn(trx, id.serial, {
        ...common,
        type: 'inspected',
        fields: { result: pt.ok ? 'pass' : 'fail', position: pt.position },
        notes: pt.ok ? `${plan.assemblyType} ${assembly} position ${pt.position}: OK` : `${plan.assemblyType} ${assembly} position ${pt.position}: ${pt.failures.map((f) => f.message).join('; ')}`,
      }, { recordedBy });
      report.eventIds.push(packed.id, installed.id, inspected.id);
    }
    const measurements: Record<string, { value: number; unit: string }> = {};
    for (const pt of points) if (pt.torqueNm !== null) measurements[`${pt.position} torque`] = { value: pt.torqueNm, unit: 'N.m' };
    const whole = await appendEventIn(trx, assembly, {
      ...common,
      type: 'inspected',
      fields: { result: ok ? 'pass' : 'fail', ...(Object.keys(measurements).length > 0 ? { measurements } : {}) },
      notes: `inspection plan ${plan.name ?? plan.assemblyType}${plan.revision !== undefined ? ` rev ${plan.revision}` : ''}: ${summary}`,
    }, { recordedBy });
    report.eventIds.push(whole.id);

    const db = trx as unknown as Db;
    const part = (await scope.parts.get(assembly))!;
    const row = await db.insertInto('inspection_checks').values({
      assembly_part_id: part.id, assembly_type: plan.assemblyType, ok: ok ? 1 : 0, plan: JSON.stringify(plan), report: '{}', checked_at: checkedAt, actor: o.actor ?? null, recorded_by: recordedBy,
    }).returning('id').executeTakeFirstOrThrow();
    report.checkId = Number(row.id);
    await db.updateTable('inspection_checks').set({ report: JSON.stringify(report) }).where('id', '=', report.checkId).execute();
    for (const pt of points) {
      await db.insertInto('inspection_check_positions').values({
        check_id: report.checkId, position: pt.position, blob_hash: pt.imageHash, filename: pt.imageName,
        identified_serial: pt.identification?.status === 'identified' ? pt.identification.serial : null, ok: pt.ok ? 1 : 0, reasons: JSON.stringify(pt.failures),
      }).execute();
    }
    return report;
  });
}
