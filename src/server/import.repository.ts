/** Bulk import through the registry's CSV importer. */
import { importPartsCsv, parseCsv, type CsvImportResult, type Registry } from '../registry/index.js';
import type { ProgressListener } from '../core/index.js';

export class ImportRepository {
  constructor(private readonly registry: Registry) {}

  importCsv(file: string, options: { dryRun: boolean; onProgress: ProgressListener; beforeCommit?: (trx: unknown, result: CsvImportResult) => Promise<void> }): Promise<CsvImportResult> {
    return importPartsCsv(this.registry, file, options);
  }

  /** The CSV's `image` cells (each may list several paths separated by ";"). */
  imagePaths(text: string, name: string): string[] {
    const records = parseCsv(text, name);
    if (records.length === 0) return [];
    const col = records[0].fields.map((h) => h.trim()).indexOf('image');
    if (col < 0) return [];
    return records.slice(1).flatMap((r) => (r.fields[col] ?? '').split(';').map((s) => s.trim()).filter(Boolean));
  }
}
