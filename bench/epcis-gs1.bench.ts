/**
 * Issue 14's done-when run: every document in ../shared/data/epcis-gs1-examples imported into a
 * fresh SQLite registry (--create-parts, unsupported events skipped and counted), exported, the
 * export validated against GS1's JSON schema and re-imported (all already present). Then three
 * broken copies of each document (no @context, a quantity in words, a bizStep outside the CBV)
 * must each be refused whole.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRegistry } from '../src/registry/index.js';
import { gs1Schema, importEpcis } from '../src/trace/index.js';
import { type ExampleResult, GS1_EXAMPLES, gs1ExampleFiles, runExample } from '../test/epcis/gs1-examples.js';
import type { BenchResult } from './run.js';

type Obj = Record<string, unknown>;

function events(doc: Obj): Obj[] {
  const body = doc.epcisBody as { eventList?: Obj[]; queryResults?: { resultsBody: { eventList: Obj[] } } };
  return body.eventList ?? body.queryResults?.resultsBody.eventList ?? [];
}

/** Broken copies of a document, each with what was broken; a copy is made only where the document has the member. */
function mutations(doc: Obj): Array<[string, Obj]> {
  const out: Array<[string, Obj]> = [];
  const noContext = structuredClone(doc);
  delete noContext['@context'];
  out.push(['no @context', noContext]);
  const words = structuredClone(doc);
  const withQuantity = events(words).flatMap((e) => ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'].flatMap((k) => (Array.isArray(e[k]) && (e[k] as Obj[]).length > 0 ? [(e[k] as Obj[])[0]] : [])));
  if (withQuantity.length > 0) {
    withQuantity[0].quantity = 'twenty';
    out.push(['"quantity": "twenty"', words]);
  }
  const step = structuredClone(doc);
  const stepped = events(step).find((e) => typeof e.bizStep === 'string');
  if (stepped) {
    stepped.bizStep = 'transforming';
    out.push(['bizStep "transforming"', step]);
  }
  return out;
}

export async function run(): Promise<BenchResult> {
  const files = gs1ExampleFiles();
  if (files.length === 0) return { name: 'epcis-gs1', metrics: {}, tables: [], skipped: `${GS1_EXAMPLES} is absent` };
  if (!gs1Schema()) return { name: 'epcis-gs1', metrics: {}, tables: [], skipped: "GS1's EPCIS-JSON-Schema.json was not found" };
  const started = Date.now();
  const results: ExampleResult[] = [];
  for (const f of files) results.push(await runExample(f));

  let broken = 0;
  let refused = 0;
  const leaks: string[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-gs1-broken-'));
  const reg = await openRegistry({ dataDir: dir });
  try {
    for (const f of files) {
      for (const [what, doc] of mutations(JSON.parse(readFileSync(f, 'utf8')) as Obj)) {
        broken++;
        try {
          const r = await importEpcis(reg, doc, { createParts: true, unsupported: 'skip' });
          if (r.committed) leaks.push(`${path.relative(GS1_EXAMPLES, f)}: ${what}`);
          else refused++;
        } catch {
          refused++;
        }
      }
    }
  } finally {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const skippedByType = new Map<string, number>();
  for (const r of results) for (const s of r.skipped) skippedByType.set(s.type, (skippedByType.get(s.type) ?? 0) + 1);
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + f(r), 0);
  const ok = results.filter((r) => !r.error && r.committed && r.rejected.length === 0);
  const metrics = {
    documents: results.length,
    inputValid: results.filter((r) => r.inputValid).length,
    committed: ok.length,
    withStoredEvents: results.filter((r) => r.imported > 0).length,
    allEventsSkipped: results.filter((r) => r.imported === 0 && r.skipped.length > 0).length,
    eventsInDocuments: sum((r) => r.eventsInDocument),
    eventsSkipped: sum((r) => r.skipped.length),
    partprintEventsStored: sum((r) => r.imported),
    partsCreated: sum((r) => r.createdParts),
    exportsWithEvents: results.filter((r) => r.exportedEvents > 0).length,
    exportsWithEventsValid: results.filter((r) => r.exportedEvents > 0 && r.exportErrors.length === 0).length,
    exportsValid: results.filter((r) => r.exportErrors.length === 0).length,
    reimportsAllPresent: results.filter((r) => r.imported === 0 || r.reimportAlreadyPresent === r.imported).length,
    errors: results.filter((r) => r.error).map((r) => `${r.file}: ${r.error}`),
    brokenCopies: broken,
    brokenRefused: refused,
    brokenAccepted: leaks,
    skippedByType: Object.fromEntries(skippedByType),
    seconds: (Date.now() - started) / 1000,
  };
  return {
    name: 'epcis-gs1',
    metrics: { ...metrics, perDocument: results },
    tables: [
      {
        title: `Summary over ${results.length} GS1 example documents`,
        columns: ['measure', 'count'],
        rows: [
          ['documents', metrics.documents],
          ["valid against GS1's schema (input)", metrics.inputValid],
          ['imported (committed, nothing rejected)', metrics.committed],
          ['... with events stored', metrics.withStoredEvents],
          ['... every event skipped (type not stored)', metrics.allEventsSkipped],
          ['events in the documents', metrics.eventsInDocuments],
          ['events skipped with a reason', metrics.eventsSkipped],
          ['partprint events stored (one per EPC)', metrics.partprintEventsStored],
          ['parts created (--create-parts)', metrics.partsCreated],
          ['exports holding events', metrics.exportsWithEvents],
          ["... valid against GS1's schema", metrics.exportsWithEventsValid],
          ["exports valid against GS1's schema (all, empty ones included)", metrics.exportsValid],
          ['re-imports of the export: every event already present', metrics.reimportsAllPresent],
          ['broken copies (no @context / quantity "twenty" / bizStep "transforming")', metrics.brokenCopies],
          ['... refused whole', metrics.brokenRefused],
        ],
      },
      { title: 'Skipped events by type (reason: partprint does not store it, or it names no instance EPC)', columns: ['type', 'events'], rows: [...skippedByType].sort().map(([t, n]) => [t, n]) },
      {
        title: 'Per document',
        columns: ['document', 'events', 'stored', 'skipped', 'parts', 'exported events', 'export valid', 'note'],
        rows: results.map((r) => [r.file, r.eventsInDocument, r.imported, r.skipped.length, r.createdParts, r.exportedEvents, r.exportErrors.length === 0 ? 'yes' : 'NO', r.error ?? (r.skipped.length ? [...new Set(r.skipped.map((s) => s.reason))].join('; ') : '')]),
      },
    ],
    notes: [
      'Each document goes into a fresh SQLite registry with --create-parts and unsupported: skip; the default EPC rule (SGTIN, SSCC, GIAI, GRAI, Digital Link, partprint URIs).',
      'Export validity is checked with Ajv against GS1\'s EPCIS-JSON-Schema.json from ../shared (not shipped: GS1\'s repository carries no licence to redistribute it) plus partprint\'s checks.',
      `Broken copies accepted: ${leaks.length === 0 ? 'none' : leaks.join('; ')}.`,
    ],
  };
}
