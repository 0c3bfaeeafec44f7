/**
 * GS1's EPCIS 2.0 example documents (../shared/data/epcis-gs1-examples): each is imported into a
 * fresh registry (--create-parts, unsupported events skipped and counted), exported, and the
 * export checked against GS1's JSON schema. Shared by the test and the bench.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRegistry } from '../../src/registry/index.js';
import { exportEpcis, gs1Schema, importEpcis, validateEpcisDocument } from '../../src/trace/index.js';

export const GS1_EXAMPLES = path.resolve(import.meta.dirname, '../../../shared/data/epcis-gs1-examples');

export function gs1ExampleFiles(root = GS1_EXAMPLES): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.jsonld') || (f.endsWith('.json') && f !== 'EPCIS-JSON-Schema.json')) out.push(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

export interface ExampleResult {
  file: string;
  /** Valid against GS1's schema before import. */
  inputValid: boolean;
  eventsInDocument: number;
  committed: boolean;
  /** partprint events stored (one per EPC). */
  imported: number;
  createdParts: number;
  skipped: Array<{ type: string; reason: string }>;
  rejected: string[];
  /** Events in the export of what was stored. */
  exportedEvents: number;
  exportErrors: string[];
  /** Re-import of the export into the same registry: every event already present. */
  reimportAlreadyPresent: number;
  error?: string;
}

export async function runExample(file: string): Promise<ExampleResult> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const body = doc.epcisBody as { eventList?: unknown[]; queryResults?: { resultsBody: { eventList: unknown[] } } };
  const list = body.eventList ?? body.queryResults?.resultsBody.eventList ?? [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-gs1-'));
  const reg = await openRegistry({ dataDir: dir });
  const result: ExampleResult = {
    file: path.relative(GS1_EXAMPLES, file), inputValid: validateEpcisDocument(doc).errors.length === 0, eventsInDocument: list.length,
    committed: false, imported: 0, createdParts: 0, skipped: [], rejected: [], exportedEvents: 0, exportErrors: [], reimportAlreadyPresent: 0,
  };
  try {
    const report = await importEpcis(reg, doc, { createParts: true, unsupported: 'skip' });
    Object.assign(result, {
      committed: report.committed, imported: report.imported, createdParts: report.createdParts.length,
      skipped: report.skipped.map((s) => ({ type: s.type, reason: s.reason })), rejected: report.rejected.map((r) => `event ${r.index}: ${r.reason}`),
    });
    const out = await exportEpcis(reg);
    result.exportedEvents = (out.epcisBody as { eventList: unknown[] }).eventList.length;
    result.exportErrors = gs1Schema() ? validateEpcisDocument(out).errors : ['GS1 schema not found'];
    if (result.exportedEvents > 0) {
      const again = await importEpcis(reg, JSON.parse(JSON.stringify(out)), { unsupported: 'skip' });
      result.reimportAlreadyPresent = again.committed ? again.alreadyPresent : -1;
    }
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
