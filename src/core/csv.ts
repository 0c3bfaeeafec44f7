/**
 * RFC 4180 CSV, the one implementation every capability uses: comma-separated, double-quoted
 * fields ("" inside quotes), CRLF or LF line ends, a UTF-8 BOM skipped, blank lines ignored.
 * Errors name the file and the line; each capability passes its own error class.
 */
import { PartprintError, type ErrorCode } from './errors.js';

export type CsvErrorClass = new (message: string, options?: { code?: ErrorCode; cause?: unknown }) => PartprintError;

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

/**
 * Parses CSV text into records (a UTF-8 BOM is skipped; blank lines are ignored).
 * @example parseCsvRecords('serial,machine\nA-1,M03\n') // [{ line: 1, fields: ['serial', 'machine'] }, { line: 2, fields: ['A-1', 'M03'] }]
 */
export function parseCsvRecords(text: string, name = 'CSV', ErrorClass: CsvErrorClass = PartprintError): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let startLine = 1;
  let quoted = false;
  let any = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !quoted)) records.push({ line: startLine, fields });
    fields = [];
    field = '';
    quoted = false;
    any = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (!any) {
      startLine = line;
      any = true;
    }
    if (c === '"' && field === '' && !quoted) {
      // Quoted field: read to the closing quote.
      quoted = true;
      i++;
      const openLine = line;
      for (;;) {
        if (i >= text.length) throw new ErrorClass(`${name}: line ${openLine}: quoted field is not closed`, { code: 'BAD_INPUT' });
        const d = text[i];
        if (d === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === '\n') line++;
        field += d;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new ErrorClass(`${name}: line ${line}: unexpected text after a closing quote`, { code: 'BAD_INPUT' });
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      quoted = false;
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      if (quoted) throw new ErrorClass(`${name}: line ${line}: unexpected text after a closing quote`, { code: 'BAD_INPUT' });
      field += c;
      i++;
    }
  }
  if (any) endRecord();
  return records;
}

/** Quotes a field when it needs it (RFC 4180; also keeps leading/trailing spaces). */
export function csvField(value: string | number | boolean | null | undefined): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Parses CSV with a header row into objects keyed by the (trimmed) header names.
 * A row with a different number of fields than the header is an error naming its line.
 * @example parseCsvTable('serial,machine\nA-1,M03\n') // [{ serial: 'A-1', machine: 'M03' }]
 */
export function parseCsvTable(text: string, name = 'CSV', ErrorClass: CsvErrorClass = PartprintError): Array<Record<string, string>> {
  const [header, ...rows] = parseCsvRecords(text, name, ErrorClass);
  if (!header) throw new ErrorClass(`${name}: empty file (a header row is required)`, { code: 'BAD_INPUT' });
  const names = header.fields.map((h) => h.trim());
  return rows.map((r) => {
    if (r.fields.length !== names.length) throw new ErrorClass(`${name}: line ${r.line} has ${r.fields.length} fields, the header has ${names.length}`, { code: 'BAD_INPUT' });
    return Object.fromEntries(names.map((h, j) => [h, r.fields[j]]));
  });
}

/** Writes rows of values under a header (LF line ends). */
export function formatCsvRows(header: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  return `${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

/** Writes objects as rows, one column per header name (CRLF line ends, as RFC 4180 says). */
export function formatCsvRecords(header: string[], records: Array<Record<string, string | number | boolean | null | undefined>>): string {
  const lines = [header.map(csvField).join(',')];
  for (const r of records) lines.push(header.map((h) => csvField(r[h])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
