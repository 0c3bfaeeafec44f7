/** EPCIS 2.0 export of stored events (the document itself is built by epcis-export.ts). */
import type { Kysely } from 'kysely';
import { TraceError } from '../core/index.js';
import type { Database, Registry } from '../registry/index.js';
import { buildEpcisDocument, type EpcisUriOptions, type ExportableEvent, type JsonObject } from './epcis-export.js';
import { normaliseFilter, selectEvents } from './repository.js';
import { type EventRow, toTraceEvent } from './rows.js';
import type { ListEventsFilter } from './types.js';
import { getEpcRule } from './settings.js';
import { derivedEventId } from './uuid.js';

export interface ExportEpcisOptions extends EpcisUriOptions, ListEventsFilter {
  /** Only this part's events (default: every part). */
  serial?: string;
}

function idOf(ext: string | null, serial: string, id: number, recordedAt: string): string {
  return ext ?? derivedEventId(serial, id, recordedAt);
}

/** Correction links of the exported parts: who corrects whom, with both eventIDs. */
async function correctionLinks(db: Kysely<Database>, partId: number | undefined) {
  let q = db
    .selectFrom('events as c')
    .innerJoin('events as t', 't.id', 'c.corrects_event_id')
    .innerJoin('parts as p', 'p.id', 'c.part_id')
    .select(['c.id as cid', 'c.external_id as cext', 'c.recorded_at as crec', 't.id as tid', 't.external_id as text', 't.recorded_at as trec', 'p.serial']);
  if (partId !== undefined) q = q.where('c.part_id', '=', partId);
  const rows = await q.execute();
  const correctsUri = new Map<number, string>();
  const correction = new Map<number, { eventId: string; recordedAt: string }>();
  for (const r of rows) {
    const cid = Number(r.cid);
    const tid = Number(r.tid);
    correctsUri.set(cid, idOf(r.text, r.serial, tid, r.trec));
    correction.set(tid, { eventId: idOf(r.cext, r.serial, cid, r.crec), recordedAt: r.crec });
  }
  return { correctsUri, correction };
}

/** Stored rows as exportable events, each with the eventIDs of what it corrects and what corrects it. */
function withCorrections(rows: EventRow[], links: Awaited<ReturnType<typeof correctionLinks>>): ExportableEvent[] {
  return rows.map((row) => {
    const e: ExportableEvent = toTraceEvent(row);
    const uri = links.correctsUri.get(e.id);
    if (uri) e.correctsEventUri = uri;
    const c = links.correction.get(e.id);
    if (c) e.correction = c;
    return e;
  });
}

/**
 * Stored events as an EPCIS 2.0 EPCISDocument: corrected events carry an errorDeclaration naming
 * their corrective event, and corrective events name what they correct in `pp:correctsEventID`.
 *
 * @example writeFileSync('history.jsonld', JSON.stringify(await exportEpcis(reg, { serial: 'A-0001' }), null, 2))
 */
export async function exportEpcis(registry: Pick<Registry, 'db'>, options: ExportEpcisOptions = {}): Promise<JsonObject> {
  const f = normaliseFilter(options);
  let partId: number | undefined;
  if (options.serial !== undefined) {
    const part = await registry.db.selectFrom('parts').select('id').where('serial', '=', options.serial).executeTakeFirst();
    if (!part) throw new TraceError(`part "${options.serial}" is not registered`, { code: 'NOT_FOUND' });
    partId = Number(part.id);
  }
  let q = selectEvents(registry.db);
  if (partId !== undefined) q = q.where('e.part_id', '=', partId);
  if (f.type) q = q.where('e.type', '=', f.type);
  if (f.since) q = q.where('e.occurred_at', '>=', f.since);
  if (f.until) q = q.where('e.occurred_at', '<', f.until);
  const rows = await q.orderBy('e.occurred_at').orderBy('e.id').execute();
  const events = withCorrections(rows, await correctionLinks(registry.db, partId));
  const partUriBase = options.partUriBase ?? (await getEpcRule(registry)).partUriBase;
  return buildEpcisDocument(events, { ...options, partUriBase });
}

/** Where a page of the EPCIS query interface ends: the last event's time and id (keyset pagination). */
export interface EpcisPageCursor {
  occurredAt: string;
  id: number;
}

export interface QueryEpcisOptions extends EpcisUriOptions {
  /** EPCIS event type: ObjectEvent, AggregationEvent or AssociationEvent (the others are never stored, so give nothing). */
  eventType?: string;
  /** Only the events of this part. */
  serial?: string;
  /** GE_eventTime / LT_eventTime (ISO 8601 with offset). */
  since?: string;
  until?: string;
  perPage: number;
  after?: EpcisPageCursor;
}

/**
 * One page of stored events as EPCIS events, oldest first, for the REST binding's GET /events:
 * `next` is the cursor of the following page, null on the last.
 */
export async function queryEpcisEvents(registry: Pick<Registry, 'db'>, options: QueryEpcisOptions): Promise<{ context: unknown; eventList: JsonObject[]; next: EpcisPageCursor | null }> {
  const f = normaliseFilter({ since: options.since, until: options.until });
  const aggregation = ['packed', 'unpacked'];
  const empty = { context: buildEpcisDocument([])['@context'], eventList: [], next: null };
  if (options.eventType !== undefined && !['ObjectEvent', 'AggregationEvent', 'AssociationEvent'].includes(options.eventType)) return empty;
  let partId: number | undefined;
  if (options.serial !== undefined) {
    const part = await registry.db.selectFrom('parts').select('id').where('serial', '=', options.serial).executeTakeFirst();
    if (!part) return empty;
    partId = Number(part.id);
  }
  let q = selectEvents(registry.db);
  if (partId !== undefined) q = q.where('e.part_id', '=', partId);
  if (options.eventType === 'ObjectEvent') q = q.where('e.type', 'not in', aggregation);
  // An association is a packed/unpacked event whose kept EPCIS members say so (fields is JSON text written by JSON.stringify: no spaces).
  const association = '%"eventType":"AssociationEvent"%';
  if (options.eventType === 'AggregationEvent') q = q.where('e.type', 'in', aggregation).where('e.fields', 'not like', association);
  if (options.eventType === 'AssociationEvent') q = q.where('e.type', 'in', aggregation).where('e.fields', 'like', association);
  if (f.since) q = q.where('e.occurred_at', '>=', f.since);
  if (f.until) q = q.where('e.occurred_at', '<', f.until);
  const after = options.after;
  if (after) q = q.where((eb) => eb.or([eb('e.occurred_at', '>', after.occurredAt), eb.and([eb('e.occurred_at', '=', after.occurredAt), eb('e.id', '>', after.id)])]));
  const rows = await q.orderBy('e.occurred_at').orderBy('e.id').limit(options.perPage + 1).execute();
  const page = rows.slice(0, options.perPage);
  const events = withCorrections(page, await correctionLinks(registry.db, partId));
  const partUriBase = options.partUriBase ?? (await getEpcRule(registry)).partUriBase;
  const doc = buildEpcisDocument(events, { ...options, partUriBase });
  const last = page.at(-1);
  return {
    context: doc['@context'],
    eventList: (doc.epcisBody as { eventList: JsonObject[] }).eventList,
    next: rows.length > options.perPage && last ? { occurredAt: last.occurred_at, id: Number(last.id) } : null,
  };
}
