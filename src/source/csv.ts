/** Source reads and writes CSV through core's one implementation, with SourceError for bad input. */
import { SourceError, formatCsvRows, parseCsvTable } from '../core/index.js';

export function parseCsv(text: string, name = 'CSV'): Array<Record<string, string>> {
  return parseCsvTable(text, name, SourceError);
}

export { formatCsvRows as formatCsv };
