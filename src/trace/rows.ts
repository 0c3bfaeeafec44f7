/** Mapping between `events` rows and TraceEvent records. */
import type { Selectable } from 'kysely';
import type { EventsTable } from '../registry/index.js';
import type { EpcisOverrides, EventFields, EventType, TraceEvent } from './types.js';
import { derivedEventId } from './uuid.js';

export type EventRow = Selectable<EventsTable> & { serial: string };

/**
 * The `fields` column holds the typed fields, plus two reserved keys: `_tz` (the offset the time
 * was given in) and `_epcis` (EPCIS members kept from an imported document).
 */
export function encodeFields(fields: EventFields, timeZoneOffset: string, epcis?: EpcisOverrides): string {
  return JSON.stringify({ ...fields, _tz: timeZoneOffset, ...(epcis && Object.keys(epcis).length > 0 ? { _epcis: epcis } : {}) });
}

export function toTraceEvent(row: EventRow): TraceEvent {
  const { _tz, _epcis, ...fields } = JSON.parse(row.fields || '{}') as EventFields & { _tz?: string; _epcis?: EpcisOverrides };
  const e: TraceEvent = {
    id: Number(row.id),
    partId: Number(row.part_id),
    serial: row.serial,
    type: row.type as EventType,
    occurredAt: row.occurred_at,
    timeZoneOffset: _tz ?? '+00:00',
    recordedAt: row.recorded_at,
    place: row.place,
    actor: row.actor,
    notes: row.notes,
    fields,
    correctsEventId: row.corrects_event_id === null ? null : Number(row.corrects_event_id),
    recordedBy: row.recorded_by,
    eventId: row.external_id ?? derivedEventId(row.serial, Number(row.id), row.recorded_at),
  };
  if (_epcis) e.epcis = _epcis;
  return e;
}
