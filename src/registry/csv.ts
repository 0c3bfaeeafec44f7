/** The registry reads CSV through core's one parser, with RegistryError for bad input. */
import { RegistryError, csvField, parseCsvRecords, type CsvRecord } from '../core/index.js';

export { csvField, type CsvRecord };

/** Parses CSV text into records with their line numbers (see core/csv.ts). */
export function parseCsv(text: string, name = 'CSV'): CsvRecord[] {
  return parseCsvRecords(text, name, RegistryError);
}
