/**
 * History events: append, per-part lookup, aggregation, EPCIS export and import, on SQLite and
 * (when Debian's postgresql is installed) PostgreSQL. 2000 parts x 5 events = 10 000 events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRegistry, type Registry } from '../src/registry/index.js';
import { aggregateEvents, appendEventIn, exportEpcis, importEpcis, listEvents, type NewEvent } from '../src/trace/index.js';
import { createDatabase, pgUnavailableReason, startPgCluster, stopPgCluster } from '../test/db/pg-cluster.js';
import type { BenchResult } from './run.js';

const PARTS = 2000;
const PER_PART = 5;

function eventsFor(i: number): NewEvent[] {
  const day = (d: number) => `2026-0${1 + (d % 9)}-1${d % 10}T0${i % 10}:00:00+01:00`;
  return [
    { type: 'commissioned', occurredAt: day(0), place: 'Plant A', actor: `press ${i % 12}` },
    { type: 'inspected', occurredAt: day(1), fields: { result: i % 7 === 0 ? 'fail' : 'pass', measurements: { bore: { value: 12 + (i % 5) / 100, unit: 'mm' } } } },
    { type: 'shipped', occurredAt: day(2), place: 'Plant A dock' },
    { type: 'received', occurredAt: day(3), place: 'Assembly B' },
    { type: 'installed', occurredAt: day(4), fields: { torqueNm: 20 + (i % 10), position: `wheel ${i % 4}` }, actor: 'fitter 7' },
  ];
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

async function measure(name: string, open: () => Promise<Registry>): Promise<Array<string | number>[]> {
  const reg = await open();
  const fresh = await open();
  try {
    await reg.transaction(async (_trx, scope) => {
      for (let i = 0; i < PARTS; i++) await scope.parts.create({ serial: `T-${String(i).padStart(5, '0')}`, attributes: { tray_position: `P${i % 36}`, supplier: `S${i % 6}` } });
    });
    // Appends: 100 transactions of 100 events (a server under steady load), plus single-event transactions.
    const all = Array.from({ length: PARTS }, (_, i) => eventsFor(i).map((e) => [`T-${String(i).padStart(5, '0')}`, e] as const)).flat();
    const batched = all.slice(0, all.length - 1000);
    const [, tBatch] = await timed(async () => {
      for (let i = 0; i < batched.length; i += 100) {
        await reg.transaction(async (trx) => {
          for (const [serial, e] of batched.slice(i, i + 100)) await appendEventIn(trx, serial, e, { recordedBy: 'bench' });
        });
      }
    });
    const [, tSingle] = await timed(async () => {
      for (const [serial, e] of all.slice(all.length - 1000)) await reg.transaction((trx) => appendEventIn(trx, serial, e, { recordedBy: 'bench' }));
    });
    const [, tList] = await timed(async () => {
      for (let i = 0; i < PARTS; i++) await listEvents(reg, `T-${String(i).padStart(5, '0')}`);
    });
    const [agg, tAgg] = await timed(() => aggregateEvents(reg, { type: 'inspected', where: { result: 'fail' }, groupBy: { attribute: 'tray_position' } }));
    if (agg.reduce((s, r) => s + r.events, 0) !== Math.ceil(PARTS / 7)) throw new Error('aggregate count is wrong');
    const [doc, tExport] = await timed(() => exportEpcis(reg));
    const mb = JSON.stringify(doc).length / 2 ** 20;
    const [rep, tImport] = await timed(() => importEpcis(fresh, doc, { createParts: true }));
    if (!rep.committed || rep.imported !== all.length) throw new Error(`import failed: ${JSON.stringify(rep).slice(0, 300)}`);
    const [rep2, tReimport] = await timed(() => importEpcis(fresh, doc));
    if (rep2.alreadyPresent !== all.length) throw new Error('re-import was not idempotent');
    const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
    return [
      [name, 'append (100 per transaction)', batched.length, tBatch.toFixed(0), rate(batched.length, tBatch)],
      [name, 'append (1 per transaction)', 1000, tSingle.toFixed(0), rate(1000, tSingle)],
      [name, 'list a part\'s events', PARTS, tList.toFixed(0), rate(PARTS, tList)],
      [name, 'aggregate failed inspections by tray_position', all.length, tAgg.toFixed(1), '-'],
      [name, `export EPCIS (${mb.toFixed(1)} MiB JSON)`, all.length, tExport.toFixed(0), rate(all.length, tExport)],
      [name, 'import EPCIS into an empty registry (+ parts)', all.length, tImport.toFixed(0), rate(all.length, tImport)],
      [name, 'import the same document again (no-op)', all.length, tReimport.toFixed(0), rate(all.length, tReimport)],
    ];
  } finally {
    await reg.close();
    await fresh.close();
  }
}

export async function run(): Promise<BenchResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-trace-'));
  const rows: Array<Array<string | number>> = [];
  const notes: string[] = [`${PARTS} parts x ${PER_PART} events; times in ms; rate = items per second.`];
  try {
    let n = 0;
    rows.push(...(await measure('sqlite', () => openRegistry({ dataDir: path.join(tmp, `s${n++}`) }))));
    const reason = pgUnavailableReason();
    if (reason) notes.push(`PostgreSQL not measured: ${reason}`);
    else {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-pg-'));
      try {
        const cluster = startPgCluster(dir);
        rows.push(...(await measure('postgres', async () => openRegistry({ dataDir: path.join(tmp, `p${n++}`), databaseUrl: await createDatabase(cluster, 'bench') }))));
        notes.push('PostgreSQL: throwaway local cluster over a Unix socket with fsync=off and synchronous_commit=off (test settings), so commits are cheaper than on a durable server.');
      } finally {
        stopPgCluster(dir);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { name: 'trace', metrics: { rows }, tables: [{ title: 'History events', columns: ['database', 'operation', 'items', 'ms', 'rate/s'], rows }], notes };
}
