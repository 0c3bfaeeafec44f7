/** Synth reads and writes manifests through core's one CSV implementation. */
import { SynthError, formatCsvRecords, parseCsvTable } from '../core/index.js';

export function parseCsv(text: string, name = 'manifest'): Array<Record<string, string>> {
  return parseCsvTable(text, name, SynthError);
}

export { formatCsvRecords as formatCsv };
