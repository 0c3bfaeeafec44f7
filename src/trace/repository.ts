/**
 * Reading and appending events. There is no update or delete: a correction is a new event that
 * names the one it corrects (`correctsEventId`), and the database refuses UPDATE/DELETE on events.
 */
import type { Kysely } from 'kysely';
import { TraceError } from '../core/index.js';
import { checkLookupSerial, type Database, type Registry } from '../registry/index.js';
import { encodeFields, toTraceEvent } from './rows.js';
import { parseEventTime } from './time.js';
import type { EpcisOverrides, HistoryEntry, ListEventsFilter, NewEvent, RecordOptions, TraceEvent } from './types.js';
import { mintEventId } from './uuid.js';
import { checkEventType, validateEvent, validateRecordedBy } from './validate.js';

/** Options used by EPCIS import to keep what the document says. */
export interface AppendOptions extends RecordOptions {
  eventId?: string;
  recordedAt?: string;
  epcis?: EpcisOverrides;
}

type Db = Kysely<Database>;

export function selectEvents(db: Db) {
  return db.selectFrom('events as e').innerJoin('parts as p', 'p.id', 'e.part_id').selectAll('e').select('p.serial');
}

async function requirePartId(db: Db, serial: string): Promise<number> {
  checkLookupSerial(serial);
  const row = await db.selectFrom('parts').select('id').where('serial', '=', serial).executeTakeFirst();
  if (!row) throw new TraceError(`part "${serial}" is not registered`, { code: 'NOT_FOUND' });
  return Number(row.id);
}

/** Checks that event `targetId` exists, belongs to `partId` and has no correction yet. */
export async function checkCorrectionTarget(db: Db, targetId: number, partId: number, serial: string): Promise<void> {
  const target = await selectEvents(db).where('e.id', '=', targetId).executeTakeFirst();
  if (!target) throw new TraceError(`event ${targetId} (the event to correct) does not exist`, { code: 'NOT_FOUND' });
  if (Number(target.part_id) !== partId) {
    throw new TraceError(`event ${targetId} belongs to part "${target.serial}", not "${serial}": a correction must be about the same part`, { code: 'BAD_INPUT' });
  }
  const existing = await db.selectFrom('events').select('id').where('corrects_event_id', '=', targetId).executeTakeFirst();
  if (existing) {
    throw new TraceError(`event ${targetId} is already corrected by event ${existing.id}; correct event ${existing.id} instead`, { code: 'CONFLICT' });
  }
}

/** Turns a UNIQUE violation (a concurrent correction, a duplicate eventID) into a CONFLICT naming it. */
async function insertOrExplain<T>(insert: Promise<T>, correctsEventId: number | null, eventId: string | undefined): Promise<T> {
  try {
    return await insert;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505') {
      const what = /corrects_event_id/.test(String((err as Error).message)) && correctsEventId !== null
        ? `event ${correctsEventId} was corrected by another writer at the same time`
        : `eventID ${eventId ?? '(new)'} is already stored`;
      throw new TraceError(what, { code: 'CONFLICT', cause: err });
    }
    throw err;
  }
}

/**
 * Appends an event inside an existing transaction (`trx` from `registry.transaction`), so it can
 * be stored together with other writes (e.g. a new part and its "commissioned" event).
 */
export async function appendEventIn(trx: Db, serial: string, input: NewEvent, options: AppendOptions = {}): Promise<TraceEvent> {
  const v = validateEvent(input);
  const recordedBy = validateRecordedBy(options.recordedBy);
  const partId = await requirePartId(trx, serial);
  if (v.correctsEventId !== null) await checkCorrectionTarget(trx, v.correctsEventId, partId, serial);
  const row = await insertOrExplain(trx
    .insertInto('events')
    .values({
      part_id: partId,
      type: v.type,
      occurred_at: v.occurredAt,
      recorded_at: options.recordedAt ?? new Date().toISOString(),
      place: v.place,
      actor: v.actor,
      notes: v.notes,
      fields: encodeFields(v.fields, v.timeZoneOffset, options.epcis),
      corrects_event_id: v.correctsEventId,
      recorded_by: recordedBy,
      external_id: options.eventId ?? mintEventId(),
    })
    .returningAll()
    .executeTakeFirstOrThrow(), v.correctsEventId, options.eventId);
  return toTraceEvent({ ...row, serial });
}

/**
 * Records an event of a registered part, in its own transaction.
 *
 * @example
 *   await appendEvent(reg, 'A-0001', { type: 'installed', occurredAt: '2026-11-21T10:00:00+01:00',
 *     actor: 'fitter 7', fields: { torqueNm: 25, position: 'wheel 3' } }, { recordedBy: 'alice' });
 */
export function appendEvent(registry: Registry, serial: string, input: NewEvent, options: RecordOptions = {}): Promise<TraceEvent> {
  return registry.transaction((trx) => appendEventIn(trx, serial, input, { recordedBy: options.recordedBy }));
}

/** One event by id, or undefined. */
export async function getEvent(registry: Registry | { db: Db }, id: number): Promise<TraceEvent | undefined> {
  if (!Number.isSafeInteger(id) || id <= 0) return undefined;
  const row = await selectEvents(registry.db).where('e.id', '=', id).executeTakeFirst();
  return row ? toTraceEvent(row) : undefined;
}

/** Checks a filter and turns its times into the stored UTC form. */
export function normaliseFilter(filter: ListEventsFilter): { type?: string; since?: string; until?: string } {
  return {
    type: filter.type === undefined ? undefined : checkEventType(filter.type),
    since: filter.since === undefined ? undefined : parseEventTime(filter.since, 'since').utc,
    until: filter.until === undefined ? undefined : parseEventTime(filter.until, 'until').utc,
  };
}

/**
 * A part's events, oldest first (by time it happened, then id); `since` is inclusive, `until`
 * exclusive. An unknown serial is a NOT_FOUND error.
 */
export async function listEvents(registry: Registry | { db: Db }, serial: string, filter: ListEventsFilter = {}): Promise<TraceEvent[]> {
  const f = normaliseFilter(filter);
  const partId = await requirePartId(registry.db, serial);
  let q = selectEvents(registry.db).where('e.part_id', '=', partId);
  if (f.type) q = q.where('e.type', '=', f.type);
  if (f.since) q = q.where('e.occurred_at', '>=', f.since);
  if (f.until) q = q.where('e.occurred_at', '<', f.until);
  const rows = await q.orderBy('e.occurred_at').orderBy('e.id').execute();
  return rows.map(toTraceEvent);
}

/**
 * The effective history of a part: every event, each marked with the event that corrects it
 * (if any). `effective` is false for corrected events; `effectiveOnly` leaves those out.
 */
export async function getHistory(
  registry: Registry | { db: Db },
  serial: string,
  filter: ListEventsFilter & { effectiveOnly?: boolean } = {},
): Promise<HistoryEntry[]> {
  const events = await listEvents(registry, serial, filter);
  const partId = await requirePartId(registry.db, serial);
  const links = await registry.db
    .selectFrom('events')
    .select(['id', 'corrects_event_id'])
    .where('part_id', '=', partId)
    .where('corrects_event_id', 'is not', null)
    .execute();
  const correctedBy = new Map(links.map((l) => [Number(l.corrects_event_id), Number(l.id)]));
  const entries = events.map((e) => ({ ...e, correctedBy: correctedBy.get(e.id) ?? null, effective: !correctedBy.has(e.id) }));
  return filter.effectiveOnly ? entries.filter((e) => e.effective) : entries;
}
