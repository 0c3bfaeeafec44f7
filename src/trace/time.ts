import { TraceError } from '../core/index.js';

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})$/;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

export interface ParsedTime {
  /** The instant as ISO 8601 UTC with milliseconds, the form stored in the database. */
  utc: string;
  /** The offset it was written in, "+hh:mm" or "-hh:mm" ("Z" becomes "+00:00"). */
  offset: string;
}

/** Minutes east of UTC for "+hh:mm" / "-hh:mm"; throws for anything else or beyond ±14:00. */
export function parseOffset(offset: string, what = 'time zone offset'): number {
  const m = OFFSET.exec(offset);
  if (!m) throw new TraceError(`${what} "${offset}" must look like +hh:mm or -hh:mm`, { code: 'BAD_INPUT' });
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > 14 * 60) throw new TraceError(`${what} "${offset}" is out of range (-14:00..+14:00)`, { code: 'BAD_INPUT' });
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * Parses an ISO 8601 date-time that carries an offset ("Z" or ±hh:mm); times without one are
 * rejected because they are ambiguous. Sub-millisecond digits are dropped.
 *
 * @example parseEventTime('2026-11-21T10:38:00+01:00') // { utc: '2026-11-21T09:38:00.000Z', offset: '+01:00' }
 */
export function parseEventTime(text: string, what = 'time'): ParsedTime {
  const m = typeof text === 'string' ? ISO_WITH_OFFSET.exec(text.trim()) : null;
  if (!m) {
    throw new TraceError(`${what} ${JSON.stringify(text)} must be ISO 8601 with an offset, e.g. 2026-11-21T10:38:00+01:00 or 2026-11-21T09:38:00Z`, { code: 'BAD_INPUT' });
  }
  const [, y, mo, d, h, mi, s = '0', frac = '0', off] = m;
  const offset = off === 'Z' ? '+00:00' : off;
  const offsetMin = parseOffset(offset, `${what} offset`);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) || check.getUTCMinutes() !== Number(mi) || check.getUTCSeconds() !== Number(s)
  ) {
    throw new TraceError(`${what} ${JSON.stringify(text)} is not a real calendar date and time`, { code: 'BAD_INPUT' });
  }
  const instant = new Date(local - offsetMin * 60_000);
  const utc = instant.toISOString();
  if (!/^\d{4}-/.test(utc)) throw new TraceError(`${what} ${JSON.stringify(text)} is outside the years 0000-9999`, { code: 'BAD_INPUT' });
  return { utc, offset };
}

/**
 * Writes a UTC instant in the given offset, e.g. ("2026-11-21T09:38:00.000Z", "+01:00") ->
 * "2026-11-21T10:38:00.000+01:00".
 */
export function formatInOffset(utc: string, offset: string): string {
  const minutes = parseOffset(offset);
  const shifted = new Date(Date.parse(utc) + minutes * 60_000).toISOString();
  return `${shifted.slice(0, -1)}${offset}`;
}

/** The offset of the machine's local time zone at a given instant, as ±hh:mm. */
export function localOffset(at: Date = new Date()): string {
  const minutes = -at.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Now, in the machine's local offset, e.g. "2026-11-21T11:38:00.000+01:00". */
export function nowWithOffset(at: Date = new Date()): string {
  return formatInOffset(at.toISOString(), localOffset(at));
}
