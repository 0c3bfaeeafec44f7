/**
 * Event counts for analytics: how many events (and parts) per value of a part attribute or an
 * event field, e.g. failed inspections by tray_position, by supplier, or installations by position.
 */
import { type Kysely, sql, type RawBuilder } from 'kysely';
import { TraceError } from '../core/index.js';
import type { Database, Registry } from '../registry/index.js';
import { normaliseFilter } from './repository.js';
import type { ListEventsFilter } from './types.js';

/** Event fields that can be grouped or filtered on (scalar typed fields). */
export const AGGREGATE_FIELDS = ['torqueNm', 'position', 'result'] as const;
export type AggregateField = (typeof AGGREGATE_FIELDS)[number];

export type AggregateGroup = { attribute: string } | { field: AggregateField } | { partNumber: true } | { type: true };

export interface AggregateQuery extends ListEventsFilter {
  groupBy: AggregateGroup;
  /** Only events whose typed fields have these values, e.g. { result: 'fail' }. */
  where?: Partial<Record<AggregateField, string | number>>;
  /** Leave out events that a later event corrects (default true). */
  effectiveOnly?: boolean;
}

export interface AggregateRow {
  /** The group's value; null for parts without the attribute / events without the field. */
  key: string | null;
  events: number;
  /** Distinct parts in the group. */
  parts: number;
}

function checkField(name: string): AggregateField {
  if (!(AGGREGATE_FIELDS as readonly string[]).includes(name)) {
    throw new TraceError(`cannot aggregate on event field "${name}" (use one of ${AGGREGATE_FIELDS.join(', ')})`, { code: 'BAD_INPUT' });
  }
  return name as AggregateField;
}

/** The field's value as text (name from the whitelist above, inlined so GROUP BY matches the SELECT), the same on both databases ('25', '25.5', 'fail'). */
function fieldText(dialect: 'sqlite' | 'postgres', name: AggregateField): RawBuilder<string | null> {
  return dialect === 'postgres'
    ? sql<string | null>`(e.fields::jsonb ->> ${sql.lit(name)})`
    : sql<string | null>`CAST(json_extract(e.fields, ${sql.lit(`$.${name}`)}) AS TEXT)`;
}

/**
 * Counts events per group, largest first.
 *
 * @example
 *   // failed inspections per build-tray position
 *   await aggregateEvents(reg, { type: 'inspected', where: { result: 'fail' }, groupBy: { attribute: 'tray_position' } })
 *   // -> [{ key: 'B4', events: 7, parts: 6 }, { key: 'A1', events: 2, parts: 2 }, ...]
 */
export async function aggregateEvents(registry: Pick<Registry, 'db' | 'dialect'>, query: AggregateQuery): Promise<AggregateRow[]> {
  const f = normaliseFilter(query);
  const db = registry.db as Kysely<Database>;
  const dialect = registry.dialect;
  const g = query.groupBy;
  let key: RawBuilder<string | null>;
  let q = db.selectFrom('events as e').innerJoin('parts as p', 'p.id', 'e.part_id');
  if ('attribute' in g) {
    if (typeof g.attribute !== 'string' || g.attribute.trim() === '') throw new TraceError('group-by attribute name is empty', { code: 'BAD_INPUT' });
    q = q.leftJoin('part_attributes as pa', (join) => join.onRef('pa.part_id', '=', 'e.part_id').on('pa.name', '=', g.attribute));
    key = sql<string | null>`pa.value`;
  } else if ('field' in g) {
    key = fieldText(dialect, checkField(g.field));
  } else if ('partNumber' in g) {
    key = sql<string | null>`p.part_number`;
  } else if ('type' in g) {
    key = sql<string | null>`e.type`;
  } else {
    throw new TraceError('groupBy must name an attribute, a field, partNumber or type', { code: 'BAD_INPUT' });
  }
  let w = q.select([key.as('key'), sql<number>`COUNT(*)`.as('events'), sql<number>`COUNT(DISTINCT e.part_id)`.as('parts')]);
  if (f.type) w = w.where('e.type', '=', f.type);
  if (f.since) w = w.where('e.occurred_at', '>=', f.since);
  if (f.until) w = w.where('e.occurred_at', '<', f.until);
  for (const [name, value] of Object.entries(query.where ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') throw new TraceError(`where.${name} must be text or a number`, { code: 'BAD_INPUT' });
    w = w.where(sql<boolean>`${fieldText(dialect, checkField(name))} = ${String(value)}`);
  }
  if (query.effectiveOnly !== false) {
    w = w.where(({ not, exists, selectFrom }) => not(exists(selectFrom('events as c').select('c.id').whereRef('c.corrects_event_id', '=', 'e.id'))));
  }
  const rows = await w.groupBy(sql`1`).execute();
  return rows
    .map((r) => ({ key: r.key === null ? null : String(r.key), events: Number(r.events), parts: Number(r.parts) }))
    .sort((a, b) => b.events - a.events || (a.key ?? '').localeCompare(b.key ?? ''));
}
