/**
 * EPCIS 2.0 import: all-or-nothing, idempotent by eventID (stored in `events.external_id`), with a
 * report of unknown parts and rejected events. Corrections are linked through `pp:correctsEventID`
 * or through the corrected event's errorDeclaration.correctiveEventIDs.
 */
import type { Kysely } from 'kysely';
import { noProgress, type ProgressListener, TraceError } from '../core/index.js';
import type { Database, Registry, RegistryScope } from '../registry/index.js';
import type { EpcRule } from './epc.js';
import type { EpcisUriOptions } from './epcis-export.js';
import { type EpcisIssue, type ParsedEpcisEvent, parseEpcisDocument, type UnsupportedEvent } from './epcis-parse.js';
import { assertValidEpcisDocument } from './epcis-validate.js';
import { encodeFields } from './rows.js';
import { getEpcRule } from './settings.js';
import { derivedEventId } from './uuid.js';

/** What to do with an event type partprint does not store: refuse the document (default) or skip the event and report it. */
export type UnsupportedPolicy = 'reject' | 'skip';

export interface ImportEpcisOptions extends EpcisUriOptions {
  /** Register parts that are not in the registry yet (EPCs that the rule maps to a serial; GTINs become part numbers). */
  createParts?: boolean;
  /** Which EPCs name which parts; default: the registry's rule (`setEpcRule`), with `partUriBase` applied on top when given. */
  rule?: EpcRule;
  /** Default 'reject': an event of a type partprint does not store rejects the whole document. */
  unsupported?: UnsupportedPolicy;
  onProgress?: ProgressListener;
}

export interface ImportEpcisReport {
  /** True when the events were stored; false when anything was rejected (then nothing was stored). */
  committed: boolean;
  /** Events read (an ObjectEvent naming n parts counts n times). */
  events: number;
  imported: number;
  /** Events whose eventID is stored already (imported before, or exported from this registry). */
  alreadyPresent: number;
  createdParts: string[];
  /** Part URIs that name no registered part. */
  unknownParts: string[];
  rejected: EpcisIssue[];
  /** Events of a type partprint does not store, skipped (unsupported: 'skip'); with 'reject' they are in `rejected`. */
  skipped: UnsupportedEvent[];
  /** Which checks the document passed: GS1's JSON schema and partprint's, or partprint's alone (schema file not found). */
  validation: 'gs1-schema' | 'partprint';
  warnings: string[];
}

type Db = Kysely<Database>;
const CHUNK = 500;
/** Rows per INSERT (12 parameters each: well under SQLite's and PostgreSQL's limits). */
const INSERT_BATCH = 400;

interface Known {
  id: number;
  partId: number;
}

/** Stored events with these eventIDs (stored external_id, or the derived id of rows without one). */
async function findStored(db: Db, ids: string[], partIds: number[]): Promise<Map<string, Known>> {
  const out = new Map<string, Known>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db.selectFrom('events').select(['id', 'part_id', 'external_id']).where('external_id', 'in', ids.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.external_id!, { id: Number(r.id), partId: Number(r.part_id) });
  }
  for (let i = 0; i < partIds.length; i += CHUNK) {
    const rows = await db
      .selectFrom('events as e')
      .innerJoin('parts as p', 'p.id', 'e.part_id')
      .select(['e.id', 'e.part_id', 'e.recorded_at', 'p.serial'])
      .where('e.part_id', 'in', partIds.slice(i, i + CHUNK))
      .where('e.external_id', 'is', null)
      .execute();
    for (const r of rows) out.set(derivedEventId(r.serial, Number(r.id), r.recorded_at), { id: Number(r.id), partId: Number(r.part_id) });
  }
  return out;
}

async function correctedIds(db: Db, ids: number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db.selectFrom('events').select('corrects_event_id').where('corrects_event_id', 'in', ids.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.add(Number(r.corrects_event_id));
  }
  return out;
}

async function findParts(db: Db, serials: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < serials.length; i += CHUNK) {
    const rows = await db.selectFrom('parts').select(['id', 'serial']).where('serial', 'in', serials.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.serial, Number(r.id));
  }
  return out;
}

class Rollback extends Error {}

/**
 * Imports an EPCIS 2.0 document. Returns a report; `committed` is false (and nothing is stored)
 * when any event is rejected or names an unknown part. Structural faults of the document throw.
 *
 * @example
 *   const report = await importEpcis(reg, JSON.parse(readFileSync('history.jsonld', 'utf8')), { createParts: true });
 */
export async function importEpcis(registry: Registry, doc: unknown, options: ImportEpcisOptions = {}): Promise<ImportEpcisReport> {
  const onProgress = options.onProgress ?? noProgress;
  const validation = assertValidEpcisDocument(doc);
  const base = options.rule ?? (await getEpcRule(registry));
  const rule = options.partUriBase === undefined ? base : { ...base, partUriBase: options.partUriBase };
  const parsed = parseEpcisDocument(doc, { rule, placeUriBase: options.placeUriBase });
  const skip = options.unsupported === 'skip';
  const report: ImportEpcisReport = {
    committed: false, events: parsed.events.length, imported: 0, alreadyPresent: 0, createdParts: [], unknownParts: [],
    rejected: [...parsed.rejected, ...(skip ? [] : parsed.unsupported.map(({ type: _type, ...issue }) => ({ ...issue, reason: `${issue.reason} (import with unsupported: skip to store the rest)` })))],
    skipped: skip ? parsed.unsupported : [],
    validation: validation.validator,
    warnings: parsed.warnings,
  };
  const reject = (p: ParsedEpcisEvent, reason: string) => report.rejected.push({ index: p.index, eventId: p.eventId, reason });

  // One entry per eventID; a repeated eventID is allowed only as the same event (e.g. with an errorDeclaration added).
  const byId = new Map<string, ParsedEpcisEvent>();
  for (const p of parsed.events) {
    const seen = byId.get(p.eventId);
    if (!seen) byId.set(p.eventId, p);
    else if (JSON.stringify([seen.serial, seen.event]) !== JSON.stringify([p.serial, p.event])) reject(p, `eventID ${p.eventId} appears twice with different content`);
    else seen.correctiveEventUris = [...new Set([...seen.correctiveEventUris, ...p.correctiveEventUris])];
  }
  const items = [...byId.values()];
  const unknown = new Set(items.filter((p) => p.serial === null).map((p) => p.partUri));
  // createParts cannot help these: say why, so the operator fixes the rule rather than guessing.
  for (const uri of unknown) report.warnings.push(`EPC ${uri} names no part under the EPC rule (schemes ${rule.schemes.join(', ')}${rule.gtins.length ? `, GTINs ${rule.gtins.join(', ')}` : ''}; see \`partprint events epc-rule\`)`);

  try {
    await registry.transaction(async (trx, scope: RegistryScope) => {
      // Parts.
      const serials = [...new Set(items.flatMap((p) => (p.serial === null ? [] : [p.serial])))];
      const parents = new Map(items.flatMap((p) => (p.parent?.part ? [[p.parent.part.serial, p.parent] as const] : [])));
      const partIds = await findParts(trx, [...new Set([...serials, ...parents.keys()])]);
      // The first EPC naming a part is the one kept on it (a later Digital Link of the same item names the same part).
      const byUri = new Map<string | null, ParsedEpcisEvent>();
      for (const p of items) if (!byUri.has(p.serial)) byUri.set(p.serial, p);
      const create = async (serial: string, epc: string, partNumber: string | null) => {
        partIds.set(serial, (await scope.parts.create({ serial, partNumber, attributes: epc.startsWith(rule.partUriBase) ? {} : { epc } })).id);
        report.createdParts.push(serial);
      };
      for (const serial of serials) {
        if (partIds.has(serial)) continue;
        const p = byUri.get(serial)!;
        if (options.createParts) await create(serial, p.partUri, p.part?.partNumber ?? null);
        else unknown.add(p.partUri);
      }
      // A parent (an assembly, a case) is registered with --create-parts too; without, it stays a name in the children's events.
      if (options.createParts) {
        for (const [serial, parent] of parents) if (!partIds.has(serial)) await create(serial, parent.uri, parent.part!.partNumber);
      }
      report.unknownParts = [...unknown].sort();

      // What is stored already.
      const stored = await findStored(trx, items.map((p) => p.eventId), [...partIds.values()]);
      const fresh: ParsedEpcisEvent[] = [];
      for (const p of items) {
        const s = stored.get(p.eventId);
        if (!s) fresh.push(p);
        else if (p.serial !== null && partIds.get(p.serial) !== s.partId) reject(p, `eventID ${p.eventId} is stored already for another part`);
        else report.alreadyPresent++;
      }

      // Correction links: target eventID of each new event.
      const declaredBy = new Map<string, string>();
      for (const p of items) for (const c of p.correctiveEventUris) declaredBy.set(c, p.eventId);
      const targetOf = new Map<ParsedEpcisEvent, string>();
      for (const p of fresh) {
        const uri = p.correctsEventUri ?? declaredBy.get(p.eventId) ?? declaredBy.get(p.documentEventId);
        if (uri === undefined) continue;
        const candidates = [uri, `${uri}#${encodeURIComponent(p.partUri)}`];
        const target = candidates.find((c) => byId.has(c) || stored.has(c));
        if (target === undefined) reject(p, `it corrects eventID ${uri}, which is neither in the document nor in the registry`);
        else targetOf.set(p, target);
      }
      const storedTargets = [...targetOf.values()].flatMap((t) => (byId.has(t) && !stored.has(t) ? [] : [stored.get(t)!.id]));
      const alreadyCorrected = await correctedIds(trx, storedTargets);
      const claimed = new Map<string, ParsedEpcisEvent>();
      for (const [p, t] of targetOf) {
        const other = claimed.get(t);
        if (other) reject(p, `eventID ${t} is corrected twice in the document (also by ${other.eventId})`);
        claimed.set(t, p);
        const s = stored.get(t);
        if (s && alreadyCorrected.has(s.id)) reject(p, `eventID ${t} is corrected already in the registry`);
        const targetPart = s ? s.partId : byId.get(t)!.serial;
        const myPart = s ? (p.serial === null ? undefined : partIds.get(p.serial)) : p.serial;
        if (targetPart !== myPart) reject(p, `eventID ${t} is about another part; a correction must be about the same part`);
      }
      if (report.rejected.length > 0 || report.unknownParts.length > 0) throw new Rollback();

      // Insert in rounds: first events whose corrected event is stored, then those correcting them, ...
      const localId = new Map<string, number>([...stored].map(([k, v]) => [k, v.id]));
      let pending = fresh;
      let done = 0;
      while (pending.length > 0) {
        const ready = pending.filter((p) => !targetOf.has(p) || localId.has(targetOf.get(p)!));
        if (ready.length === 0) {
          for (const p of pending) reject(p, 'its corrections form a cycle');
          throw new Rollback();
        }
        for (let i = 0; i < ready.length; i += INSERT_BATCH) {
          const batch = ready.slice(i, i + INSERT_BATCH);
          const now = new Date().toISOString();
          const rows = await trx
            .insertInto('events')
            .values(batch.map((p) => {
              const e = p.event;
              const t = targetOf.get(p);
              return {
                part_id: partIds.get(p.serial!)!, type: e.type, occurred_at: e.occurredAt, recorded_at: p.recordedAt ?? now,
                place: e.place, actor: e.actor, notes: e.notes, fields: encodeFields(e.fields, e.timeZoneOffset, p.epcis),
                corrects_event_id: t === undefined ? null : localId.get(t)!, recorded_by: p.recordedBy, external_id: p.eventId,
              };
            }))
            .returning(['id', 'external_id'])
            .execute();
          for (const r of rows) localId.set(r.external_id!, Number(r.id));
          done += batch.length;
          onProgress({ phase: 'import', done, total: fresh.length });
        }
        const readySet = new Set(ready);
        pending = pending.filter((p) => !readySet.has(p));
      }
      report.imported = done;
    });
    report.committed = true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505') {
      throw new TraceError('another writer stored some of these events (or corrections of them) at the same time; nothing was imported, run the import again', { code: 'CONFLICT', cause: err });
    }
    if (!(err instanceof Rollback)) throw err;
    report.imported = 0;
    report.createdParts = [];
  }
  return report;
}
