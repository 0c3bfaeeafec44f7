import { describe, expect, it } from 'vitest';
import { TraceError } from '../core/index.js';
import { validateEvent } from './validate.js';

const at = '2026-11-21T10:00:00+01:00';

describe('validateEvent', () => {
  it('accepts typed fields of the type and normalises text and time', () => {
    const e = validateEvent({ type: 'installed', occurredAt: at, place: '  ', actor: 'fitter 7', fields: { torqueNm: 25, position: 'wheel 3' } });
    expect(e).toEqual({
      type: 'installed', occurredAt: '2026-11-21T09:00:00.000Z', timeZoneOffset: '+01:00', place: null, actor: 'fitter 7', notes: null,
      fields: { torqueNm: 25, position: 'wheel 3' }, correctsEventId: null,
    });
    const i = validateEvent({ type: 'inspected', occurredAt: at, fields: { result: 'fail', measurements: { bore: { value: 12.04, unit: 'mm' } } } });
    expect(i.fields).toEqual({ result: 'fail', measurements: { bore: { value: 12.04, unit: 'mm' } } });
  });

  it('names the bad field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'fitted', occurredAt: at }, /event type "fitted" is not one of commissioned, inspected/],
      [{ type: 'installed', occurredAt: at, fields: { torqueNm: -3 } }, /"torqueNm" must be a number of newton metres > 0, got -3/],
      [{ type: 'installed', occurredAt: at, fields: { torqueNm: '25' } }, /"torqueNm"/],
      [{ type: 'installed', occurredAt: at, fields: { result: 'pass' } }, /field "result" does not belong to installed events \(allowed: torqueNm, position\)/],
      [{ type: 'shipped', occurredAt: at, fields: { torqueNm: 2 } }, /no typed fields/],
      [{ type: 'inspected', occurredAt: at, fields: {} }, /inspected events need the field "result"/],
      [{ type: 'inspected', occurredAt: at, fields: { result: 'ok' } }, /"result" must be "pass" or "fail", got "ok"/],
      [{ type: 'inspected', occurredAt: at, fields: { result: 'pass', measurements: { bore: { value: 'x', unit: 'mm' } } } }, /measurement "bore" value must be a finite number/],
      [{ type: 'inspected', occurredAt: at, fields: { result: 'pass', measurements: { bore: { value: 1 } } } }, /measurement "bore" needs a unit/],
      [{ type: 'observed' }, /event time \(occurredAt\) is missing/],
      [{ type: 'observed', occurredAt: '2026-11-21 10:00' }, /event time "2026-11-21 10:00" must be ISO 8601/],
      [{ type: 'observed', occurredAt: at, correctsEventId: 0 }, /correctsEventId must be a positive event id/],
      [{ type: 'observed', occurredAt: at, notes: 'x'.repeat(10_001) }, /notes is 10001 characters long/],
    ];
    for (const [input, message] of cases) {
      let caught: unknown;
      try {
        validateEvent(input as never);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(input).slice(0, 80)).toBeInstanceOf(TraceError);
      expect((caught as TraceError).code).toBe('BAD_INPUT');
      expect((caught as TraceError).message).toMatch(message);
    }
  });
});
