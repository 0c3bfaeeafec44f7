/** RFC 4180 CSV: comma-separated, double-quoted fields ("" inside quotes), CRLF or LF line ends. */
import { RegistryError } from '../core/index.js';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

/**
 * Parses CSV text into records (a UTF-8 BOM is skipped; blank lines are ignored).
 * @example parseCsv('serial,machine\nA-1,M03\n') // [{ line: 1, fields: ['serial', 'machine'] }, { line: 2, fields: ['A-1', 'M03'] }]
 */
export function parseCsv(text: string, name = 'CSV'): CsvRecord[] {
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
        if (i >= text.length) throw new RegistryError(`${name}: line ${openLine}: quoted field is not closed`, { code: 'BAD_INPUT' });
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
        throw new RegistryError(`${name}: line ${line}: unexpected text after a closing quote`, { code: 'BAD_INPUT' });
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
      if (quoted) throw new RegistryError(`${name}: line ${line}: unexpected text after a closing quote`, { code: 'BAD_INPUT' });
      field += c;
      i++;
    }
  }
  if (any) endRecord();
  return records;
}

/** Quotes a field when it needs it (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}
