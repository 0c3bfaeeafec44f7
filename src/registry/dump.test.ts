import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from './dump.js';

describe('export value encoding', () => {
  it('round-trips every column value exactly through JSON', () => {
    const values: unknown[] = [null, '', 'é ✓ "q"\n', 0, -1, 2 ** 53 - 1, 0.1 + 0.2, 5e-324, true, Buffer.from([0, 1, 254, 255])];
    for (const v of values) {
      const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(v))));
      expect(back).toEqual(v);
    }
    expect(decodeValue(JSON.parse(JSON.stringify(encodeValue(Number.NaN))))).toBeNaN();
    expect(decodeValue(JSON.parse(JSON.stringify(encodeValue(Number.NEGATIVE_INFINITY))))).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(decodeValue(JSON.parse(JSON.stringify(encodeValue(-0)))), -0)).toBe(true);
    expect(decodeValue(JSON.parse(JSON.stringify(encodeValue(12345678901234567890n))))).toBe(12345678901234567890n);
    expect((decodeValue(JSON.parse(JSON.stringify(encodeValue(new Date('2026-01-02T03:04:05.678Z'))))) as Date).toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(decodeValue(encodeValue({ a: [1, 2] }))).toBe('{"a":[1,2]}');
    expect(() => decodeValue({ $what: 1 })).toThrow(/unknown value encoding/);
  });
});
