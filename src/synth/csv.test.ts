import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from './csv.js';

describe('csv', () => {
  it('round-trips quotes, commas, line breaks and empty cells (RFC 4180)', () => {
    const rows = [
      { serial: 'P1', note: 'plain', empty: '' },
      { serial: 'P2', note: 'with "quotes", a comma\nand a line break', empty: null },
    ];
    const text = formatCsv(['serial', 'note', 'empty'], rows);
    expect(text.startsWith('serial,note,empty\r\n')).toBe(true);
    expect(text).toContain('"with ""quotes"", a comma\nand a line break"');
    expect(parseCsv(text)).toEqual([
      { serial: 'P1', note: 'plain', empty: '' },
      { serial: 'P2', note: 'with "quotes", a comma\nand a line break', empty: '' },
    ]);
  });

  it('reads LF files and a last line without a line break', () => {
    expect(parseCsv('a,b\n1,2\n3,4')).toEqual([{ a: '1', b: '2' }, { a: '3', b: '4' }]);
  });
});
