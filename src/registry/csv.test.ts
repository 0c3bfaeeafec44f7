import { describe, expect, it } from 'vitest';
import { csvField, parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and newlines, CRLF and a BOM', () => {
    const text = '\ufeffserial,notes,image\r\nA-1,"has, comma","a.png;b.png"\r\n"B-2","say ""hi""\nsecond line",\r\n\r\nC-3,,\n';
    const recs = parseCsv(text);
    expect(recs).toEqual([
      { line: 1, fields: ['serial', 'notes', 'image'] },
      { line: 2, fields: ['A-1', 'has, comma', 'a.png;b.png'] },
      { line: 3, fields: ['B-2', 'say "hi"\nsecond line', ''] },
      { line: 6, fields: ['C-3', '', ''] },
    ]);
  });

  it('reads a last line without a newline, and rejects broken quoting naming the line', () => {
    expect(parseCsv('a,b\n1,2')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
    expect(() => parseCsv('a,b\n1,"2\n', 'x.csv')).toThrow(/x\.csv: line 2: quoted field is not closed/);
    expect(() => parseCsv('a,b\n1,"2"x\n', 'x.csv')).toThrow(/x\.csv: line 2: unexpected text after a closing quote/);
  });

  it('round-trips fields written by csvField', () => {
    const values = ['plain', 'with,comma', 'with "quote"', 'multi\nline', ' padded ', ''];
    const [rec] = parseCsv(`${values.map(csvField).join(',')}\n`);
    expect(rec.fields).toEqual(values);
  });
});
