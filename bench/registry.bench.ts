/**
 * Registry throughput: 100k parts (3 attributes each) with 3 events each, inserted and looked up
 * on SQLite (file, WAL) and on PostgreSQL (a throwaway local cluster on a Unix socket, default
 * durability), through the registry's own query layer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createRng } from '../src/core/index.js';
import { exportRegistry, importRegistry, openRegistry, type Registry } from '../src/registry/index.js';
import { createDatabase, pgUnavailableReason, startPgCluster, stopPgCluster } from '../test/db/pg-cluster.js';
import type { BenchResult } from './run.js';

const PARTS = 100_000;
const EVENTS_PER_PART = 3;
const API_CREATES = 5_000;
const LOOKUPS = 20_000;
const BATCH = 1000;
const EVENT_TYPES = ['commissioned', 'inspected', 'shipped', 'received', 'installed'];

type Row = Array<string | number>;

function serialOf(i: number): string {
  return `SN-${String(i).padStart(7, '0')}`;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

async function measure(reg: Registry, label: string, rows: Row[], metrics: Record<string, number>, openEmpty: () => Promise<Registry>): Promise<void> {
  const add = (op: string, n: number, seconds: number) => {
    rows.push([label, op, n, seconds.toFixed(2), Math.round(n / seconds)]);
    metrics[`${label}.${op}.perSecond`] = Math.round(n / seconds);
  };
  const t = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();

  // 1. Parts + attributes in batches, one transaction (the bulk-import path).
  const parts = await timed(() =>
    reg.transaction(async (trx) => {
      for (let start = 1; start <= PARTS; start += BATCH) {
        const n = Math.min(BATCH, PARTS - start + 1);
        const values = Array.from({ length: n }, (_, k) => ({ serial: serialOf(start + k), part_number: `PN-${(start + k) % 7}`, created_at: t(start + k), updated_at: t(start + k) }));
        const ids = await trx.insertInto('parts').values(values).returning(['id']).execute();
        const attrs = ids.flatMap(({ id }, k) => [
          { part_id: id, name: 'machine', value: `M${String((start + k) % 21).padStart(2, '0')}` },
          { part_id: id, name: 'process', value: ['DLS', 'MJF', 'SLA', 'FDM'][(start + k) % 4] },
          { part_id: id, name: 'build', value: `B${Math.floor((start + k) / 100)}` },
        ]);
        await trx.insertInto('part_attributes').values(attrs).execute();
      }
    }),
  );
  add('insert parts (+3 attributes), batches of 1000', PARTS, parts.seconds);

  // 2. Events rows directly into the events table.
  const ids = (await reg.db.selectFrom('parts').select('id').orderBy('id').execute()).map((r) => r.id);
  const events = await timed(() =>
    reg.transaction(async (trx) => {
      const all = ids.flatMap((id, i) => Array.from({ length: EVENTS_PER_PART }, (_, e) => ({ part_id: id, type: EVENT_TYPES[(i + e) % EVENT_TYPES.length], occurred_at: t(i * 3 + e), recorded_at: t(i * 3 + e), place: 'plant-1', fields: '{}' })));
      for (let s = 0; s < all.length; s += BATCH) await trx.insertInto('events').values(all.slice(s, s + BATCH)).execute();
    }),
  );
  add('insert events, batches of 1000', ids.length * EVENTS_PER_PART, events.seconds);
  // What autovacuum (PostgreSQL) or the importers do after a bulk load.
  await sql.raw(reg.dialect === 'postgres' ? 'ANALYZE' : 'PRAGMA optimize').execute(reg.db);

  // 3. The API path: parts.create one by one (check + insert + attributes), one transaction.
  const api = await timed(() =>
    reg.transaction(async (_trx, scope) => {
      for (let i = 0; i < API_CREATES; i++) await scope.parts.create({ serial: `API-${i}`, attributes: { machine: 'M01', process: 'MJF', build: 'B1' } });
    }),
  );
  add('parts.create one by one (API)', API_CREATES, api.seconds);

  // 4. Lookups by serial (part + attributes), random order, seeded.
  const rng = createRng(42);
  const picks = Array.from({ length: LOOKUPS }, () => serialOf(1 + rng.int(PARTS)));
  const gets = await timed(async () => {
    let found = 0;
    for (const s of picks) if (await reg.parts.get(s)) found++;
    return found;
  });
  if (gets.value !== LOOKUPS) throw new Error(`lookups found ${gets.value} of ${LOOKUPS}`);
  add('parts.get(serial) with attributes', LOOKUPS, gets.seconds);

  // 5. A part's history: events by part id ordered by time.
  const hist = await timed(async () => {
    let n = 0;
    for (const s of picks.slice(0, LOOKUPS / 2)) {
      const rows = await reg.db.selectFrom('events').innerJoin('parts', 'parts.id', 'events.part_id').select(['events.id', 'events.type', 'events.occurred_at']).where('parts.serial', '=', s).orderBy('events.occurred_at').execute();
      n += rows.length;
    }
    return n;
  });
  if (hist.value !== (LOOKUPS / 2) * EVENTS_PER_PART) throw new Error(`history lookups returned ${hist.value} events`);
  add('events of a part by serial', LOOKUPS / 2, hist.seconds);

  // 6. Attribute filter with total count (one page of 50).
  const filters = await timed(async () => {
    for (let i = 0; i < 50; i++) await reg.parts.list({ attributes: { machine: `M${String(i % 21).padStart(2, '0')}`, process: 'MJF' }, limit: 50 });
  });
  add('parts.list(2 attributes, limit 50) + total', 50, filters.seconds);

  // 7. Whole-registry export (JSON Lines) and import into an empty registry.
  const dumpDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'pp-bench-dump-')), 'export');
  try {
    const exp = await timed(() => exportRegistry(reg, dumpDir));
    const nRows = exp.value.tables.reduce((n, t) => n + t.rows, 0);
    add('export (rows of all tables)', nRows, exp.seconds);
    const target = await openEmpty();
    try {
      const imp = await timed(() => importRegistry(target, dumpDir));
      add('import into an empty registry (rows)', nRows, imp.seconds);
    } finally {
      await target.close();
    }
  } finally {
    rmSync(path.dirname(dumpDir), { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  const rows: Row[] = [];
  const metrics: Record<string, number> = { parts: PARTS, eventsPerPart: EVENTS_PER_PART };
  const notes: string[] = [];
  const load = () => os.loadavg()[0].toFixed(1);
  const loadBefore = load();

  const sqliteDir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-sqlite-'));
  try {
    const reg = await openRegistry({ dataDir: sqliteDir });
    try {
      await measure(reg, 'sqlite', rows, metrics, () => openRegistry({ dataDir: path.join(sqliteDir, 'imported') }));
    } finally {
      await reg.close();
    }
  } finally {
    rmSync(sqliteDir, { recursive: true, force: true });
  }

  const reason = pgUnavailableReason();
  if (reason) notes.push(`PostgreSQL skipped: ${reason}`);
  else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-pg-'));
    try {
      const cluster = startPgCluster(dir, { durable: true });
      const reg = await openRegistry({ dataDir: path.join(dir, 'pp-data'), databaseUrl: await createDatabase(cluster, 'bench') });
      try {
        await measure(reg, 'postgres', rows, metrics, async () => openRegistry({ dataDir: path.join(dir, 'pp-imported'), databaseUrl: await createDatabase(cluster, 'imported') }));
      } finally {
        await reg.close();
      }
    } finally {
      stopPgCluster(dir);
    }
    notes.push('PostgreSQL: throwaway local cluster (Debian binaries), Unix socket, default fsync/synchronous_commit, shared_buffers=128MB.');
  }
  notes.push(`1-minute load average ${loadBefore} at the start, ${load()} at the end (shared machine: other jobs ran alongside, so absolute numbers are noisy).`);
  notes.push('SQLite: WAL, synchronous=NORMAL, foreign keys on. All writes of one phase in one transaction. Lookups are sequential (one client).');
  return {
    name: 'registry',
    metrics,
    tables: [{ title: `Registry throughput: ${PARTS.toLocaleString('en')} parts, ${EVENTS_PER_PART} events each`, columns: ['database', 'operation', 'count', 'seconds', 'per second'], rows }],
    notes,
  };
}
