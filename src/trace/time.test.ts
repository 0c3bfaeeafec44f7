import { describe, expect, it } from 'vitest';
import { formatInOffset, localOffset, parseEventTime } from './time.js';

describe('parseEventTime', () => {
  it('normalises to UTC and keeps the offset', () => {
    expect(parseEventTime('2026-11-21T10:38:00+01:00')).toEqual({ utc: '2026-11-21T09:38:00.000Z', offset: '+01:00' });
    expect(parseEventTime('2026-11-21T23:30:00.5-05:30')).toEqual({ utc: '2026-11-22T05:00:00.500Z', offset: '-05:30' });
    expect(parseEventTime('2026-11-21T09:38Z')).toEqual({ utc: '2026-11-21T09:38:00.000Z', offset: '+00:00' });
    expect(parseEventTime('2026-11-21T09:38:00.123456Z').utc).toBe('2026-11-21T09:38:00.123Z');
  });

  it('rejects times without an offset, impossible dates and offsets', () => {
    expect(() => parseEventTime('2026-11-21T10:38:00')).toThrow(/must be ISO 8601 with an offset/);
    expect(() => parseEventTime('2026-02-30T10:00:00Z')).toThrow(/not a real calendar date/);
    expect(() => parseEventTime('2026-11-21T24:00:00Z')).toThrow(/not a real calendar date/);
    expect(() => parseEventTime('2026-11-21T10:00:00+15:00')).toThrow(/out of range/);
    expect(() => parseEventTime('yesterday')).toThrow(/"yesterday"/);
  });

  it('formats an instant back in its offset', () => {
    const { utc, offset } = parseEventTime('2026-01-01T00:30:00+02:00');
    expect(formatInOffset(utc, offset)).toBe('2026-01-01T00:30:00.000+02:00');
    expect(Date.parse(formatInOffset(utc, offset))).toBe(Date.parse(utc));
    expect(localOffset(new Date())).toMatch(/^[+-]\d{2}:\d{2}$/);
  });
});
