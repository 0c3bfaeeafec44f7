/** Minimal RFC 4180 CSV reading and writing (quoted fields, doubled quotes, CRLF or LF). */
import { SourceError } from '../core/index.js';

export function parseCsv(text: string, name = 'CSV'): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new SourceError(`${name}: unterminated quoted field`, { code: 'BAD_INPUT' });
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0] === ''));
  if (nonEmpty.length === 0) throw new SourceError(`${name}: empty file (a header row is required)`, { code: 'BAD_INPUT' });
  const header = nonEmpty[0].map((h) => h.trim());
  return nonEmpty.slice(1).map((r, n) => {
    if (r.length !== header.length) throw new SourceError(`${name}: row ${n + 2} has ${r.length} fields, the header has ${header.length}`, { code: 'BAD_INPUT' });
    return Object.fromEntries(header.map((h, j) => [h, r[j]]));
  });
}

function quote(value: string | number | null | undefined): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`;
}
