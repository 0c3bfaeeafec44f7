import { TraceError } from '../core/index.js';
import { textProblem } from '../registry/index.js';
import { parseEventTime } from './time.js';
import { EVENT_TYPES, type EventFields, type EventType, type Measurement, type NewEvent } from './types.js';

/** Which typed fields each event type has. */
export const FIELD_SPECS: Record<EventType, readonly (keyof EventFields)[]> = {
  commissioned: [],
  inspected: ['result', 'measurements', 'position'],
  packed: ['parent'],
  unpacked: ['parent'],
  shipped: [],
  received: [],
  installed: ['torqueNm', 'position'],
  removed: [],
  observed: ['measurements'],
  decommissioned: [],
};

/** Typed fields that must be present for a type. */
const REQUIRED_FIELDS: Partial<Record<EventType, readonly (keyof EventFields)[]>> = { inspected: ['result'], packed: ['parent'], unpacked: ['parent'] };

/** How strictly to check: an inspection imported from EPCIS may state no result (sensor readings only). */
export interface ValidateOptions {
  resultOptional?: boolean;
}

const MAX_TEXT = 500;
const MAX_NOTES = 10_000;

/** An event checked and normalised: times in UTC plus the offset they were given in. */
export interface ValidEvent {
  type: EventType;
  occurredAt: string;
  timeZoneOffset: string;
  place: string | null;
  actor: string | null;
  notes: string | null;
  fields: EventFields;
  correctsEventId: number | null;
}

function bad(message: string): TraceError {
  return new TraceError(message, { code: 'BAD_INPUT' });
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** Checks an event type name; throws with the list of known types. */
export function checkEventType(value: unknown): EventType {
  if (!isEventType(value)) throw bad(`event type ${JSON.stringify(value)} is not one of ${EVENT_TYPES.join(', ')}`);
  return value;
}

function checkText(name: string, value: unknown, max = MAX_TEXT): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw bad(`event ${name} must be text, got ${typeof value}`);
  if (value.trim() === '') return null;
  if (value.length > max) throw bad(`event ${name} is ${value.length} characters long; at most ${max} are allowed`);
  const problem = textProblem(value);
  if (problem) throw bad(`event ${name} ${problem}`);
  return value;
}

function checkMeasurements(value: unknown): Record<string, Measurement> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('event field "measurements" must be an object of name -> { value, unit }');
  }
  const out: Record<string, Measurement> = {};
  for (const [name, m] of Object.entries(value as Record<string, unknown>)) {
    if (name.trim() === '' || name.length > 100) throw bad(`measurement name ${JSON.stringify(name)} must be 1..100 characters`);
    if (typeof m !== 'object' || m === null) throw bad(`measurement "${name}" must be { value, unit }`);
    const { value: v, unit, ...rest } = m as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw bad(`measurement "${name}" has unknown member(s) ${Object.keys(rest).join(', ')} (allowed: value, unit)`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`measurement "${name}" value must be a finite number, got ${JSON.stringify(v)}`);
    if (typeof unit !== 'string' || unit.trim() === '' || unit.length > 50) throw bad(`measurement "${name}" needs a unit (1..50 characters), got ${JSON.stringify(unit)}`);
    out[name] = { value: v, unit };
  }
  return out;
}

/** Checks the typed fields of an event of the given type and returns them normalised. */
export function validateFields(type: EventType, fields: unknown, options: ValidateOptions = {}): EventFields {
  if (fields === undefined || fields === null) fields = {};
  if (typeof fields !== 'object' || Array.isArray(fields)) throw bad('event fields must be an object');
  const allowed = FIELD_SPECS[type];
  const out: EventFields = {};
  for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    if (!(allowed as readonly string[]).includes(key)) {
      const hint = allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'this type has no typed fields';
      throw bad(`event field "${key}" does not belong to ${type} events (${hint})`);
    }
    switch (key) {
      case 'torqueNm':
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
          throw bad(`event field "torqueNm" must be a number of newton metres > 0, got ${JSON.stringify(value)}`);
        }
        out.torqueNm = value;
        break;
      case 'position': {
        const text = checkText('field "position"', value);
        if (text !== null) out.position = text;
        break;
      }
      case 'result':
        if (value !== 'pass' && value !== 'fail') throw bad(`event field "result" must be "pass" or "fail", got ${JSON.stringify(value)}`);
        out.result = value;
        break;
      case 'measurements':
        out.measurements = checkMeasurements(value);
        break;
      case 'parent': {
        const text = checkText('field "parent"', value);
        if (text !== null) out.parent = text;
        break;
      }
    }
  }
  for (const key of REQUIRED_FIELDS[type] ?? []) {
    if (key === 'result' && options.resultOptional) continue;
    if (out[key] === undefined) throw bad(`${type} events need the field "${key}"`);
  }
  return out;
}

/**
 * Checks a new event and normalises it (UTC time + offset, empty text to null). Throws a
 * TraceError (BAD_INPUT) whose message names the bad field. Whether `correctsEventId` exists is
 * checked by the repository.
 *
 * @example validateEvent({ type: 'installed', occurredAt: '2026-11-21T10:00:00+01:00', fields: { torqueNm: 25 } })
 */
export function validateEvent(input: NewEvent, options: ValidateOptions = {}): ValidEvent {
  if (typeof input !== 'object' || input === null) throw bad('an event must be an object');
  const type = checkEventType(input.type);
  if (input.occurredAt === undefined || input.occurredAt === null) throw bad('event time (occurredAt) is missing');
  const time = parseEventTime(input.occurredAt, 'event time');
  let correctsEventId: number | null = null;
  if (input.correctsEventId !== undefined && input.correctsEventId !== null) {
    if (!Number.isSafeInteger(input.correctsEventId) || input.correctsEventId <= 0) {
      throw bad(`correctsEventId must be a positive event id, got ${JSON.stringify(input.correctsEventId)}`);
    }
    correctsEventId = input.correctsEventId;
  }
  return {
    type,
    occurredAt: time.utc,
    timeZoneOffset: time.offset,
    place: checkText('place', input.place),
    actor: checkText('actor', input.actor),
    notes: checkText('notes', input.notes, MAX_NOTES),
    fields: validateFields(type, input.fields, options),
    correctsEventId,
  };
}

/** Checks a free-text "recorded by" value. */
export function validateRecordedBy(value: unknown): string | null {
  return checkText('recordedBy', value);
}
