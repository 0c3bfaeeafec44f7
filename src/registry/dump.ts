/**
 * `partprint export DIR` / `partprint import DIR`: the whole registry as JSON Lines (one file per
 * table, every table the database holds, rows in primary-key order) plus the blob files, with a
 * manifest. Values that JSON cannot hold exactly are tagged ({"$bytes": base64}, ...), so a round
 * trip is lossless. Import needs an empty registry and is one transaction (blobs staged).
 */
import { createReadStream, existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type Kysely, sql } from 'kysely';
import { noProgress, RegistryError } from '../core/index.js';
import { appliedMigrations, SCHEMA_VERSION } from './connect.js';
import { allReferencedBlobs, describeTables, referencingColumns, refreshStatistics, resetSequences, type TableInfo } from './introspect.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Registry } from './registry.js';
import type { BulkOptions } from './types.js';

export const EXPORT_FORMAT = 'partprint-export';
const PAGE = 2000;

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  formatVersion: 1;
  schemaVersion: number;
  migrations: string[];
  dialect: string;
  exportedAt: string;
  tables: Array<{ name: string; columns: string[]; rows: number }>;
  blobs: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** JSON-safe encoding of one column value; `decodeValue` inverts it exactly. */
export function encodeValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Date) return { $date: v.toISOString() };
  return { $json: v };
}

export function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
  if (typeof o.$number === 'string') return o.$number === '-0' ? -0 : Number(o.$number);
  if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
  if (typeof o.$date === 'string') return new Date(o.$date);
  if ('$json' in o) return JSON.stringify(o.$json);
  throw new RegistryError(`unknown value encoding ${JSON.stringify(v).slice(0, 80)}`, { code: 'CORRUPT' });
}

/**
 * One page of rows in primary-key order: keyset pagination after the last key seen when the table
 * has a primary key (constant cost per page), LIMIT/OFFSET otherwise.
 */
async function readRows(db: AnyDb, t: TableInfo, offset: number, after: Record<string, unknown> | undefined): Promise<Array<Record<string, unknown>>> {
  const order = sql.join(t.primaryKey.map((c) => sql.id(c)));
  const cols = sql.join(t.columns.map((c) => sql.id(c)));
  if (t.hasPrimaryKey) {
    const where = after ? sql`WHERE (${order}) > (${sql.join(t.primaryKey.map((c) => after[c]))})` : sql``;
    return (await sql<Record<string, unknown>>`SELECT ${cols} FROM ${sql.id(t.name)} ${where} ORDER BY ${order} LIMIT ${PAGE}`.execute(db)).rows;
  }
  return (await sql<Record<string, unknown>>`SELECT ${cols} FROM ${sql.id(t.name)} ORDER BY ${order} LIMIT ${PAGE} OFFSET ${offset}`.execute(db)).rows;
}

/**
 * Writes the whole registry to `dir` (which must not exist or be empty): manifest.json,
 * tables/<table>.jsonl and blobs/<sha256>. Written beside `dir` first and renamed at the end.
 * @example await exportRegistry(reg, 'backup-2026-11-21')
 */
export async function exportRegistry(reg: Registry, dir: string, options: BulkOptions = {}): Promise<ExportManifest> {
  const onProgress = options.onProgress ?? noProgress;
  const target = path.resolve(dir);
  if (existsSync(target) && (await readdir(target)).length > 0) {
    throw new RegistryError(`${dir}: export folder exists and is not empty`, { code: 'CONFLICT' });
  }
  const work = `${target}.partial-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(path.join(work, 'tables'), { recursive: true });
  await mkdir(path.join(work, 'blobs'), { recursive: true });
  try {
    // One transaction: a consistent snapshot of every table.
    const manifest = await reg.db.transaction().execute(async (trxTyped) => {
      const trx = trxTyped as AnyDb;
      if (reg.dialect === 'postgres') await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`.execute(trx);
      const tables = await describeTables(trx, reg.dialect);
      const migrations = await appliedMigrations(trxTyped);
      const counts = await Promise.all(tables.map(async (t) => Number((await sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql.id(t.name)}`.execute(trx)).rows[0].n)));
      const blobs = await reg.blobs.list();
      // Every blob a row refers to must be in the store: a backup without them fails only when
      // restored, so the export refuses instead (after checking all of them, to list them all).
      const referenced = await referencingColumns(trx, reg.dialect);
      const stored = new Set(blobs);
      const missing = [...referenced.keys()].filter((h) => !stored.has(h)).sort();
      const corrupt: string[] = [];
      const total = counts.reduce((a, b) => a + b, 0) + blobs.length;
      let done = 0;
      const out: ExportManifest = { format: EXPORT_FORMAT, formatVersion: 1, schemaVersion: SCHEMA_VERSION, migrations, dialect: reg.dialect, exportedAt: new Date().toISOString(), tables: [], blobs: blobs.length };
      for (const [i, t] of tables.entries()) {
        const file = path.join(work, 'tables', `${t.name}.jsonl`);
        await writeFile(file, '');
        let n = 0;
        let last: Record<string, unknown> | undefined;
        for (;;) {
          const rows = await readRows(trx, t, n, last);
          if (rows.length === 0) break;
          last = rows[rows.length - 1];
          const lines = rows.map((r) => JSON.stringify(Object.fromEntries(t.columns.map((c) => [c, encodeValue(r[c])]))));
          await appendFile(file, `${lines.join('\n')}\n`);
          n += rows.length;
          done += rows.length;
          onProgress({ phase: 'export', done, total, detail: t.name });
          if (rows.length < PAGE) break;
        }
        if (n !== counts[i]) throw new RegistryError(`table ${t.name} changed during the export`, { code: 'CONFLICT' });
        out.tables.push({ name: t.name, columns: t.columns, rows: n });
      }
      for (const hash of blobs) {
        let bytes: Buffer;
        try {
          bytes = await reg.blobs.read(hash); // checksum verified
        } catch (err) {
          if ((err as { code?: string }).code !== 'CORRUPT' && (err as { code?: string }).code !== 'NOT_FOUND') throw err;
          corrupt.push(hash);
          continue;
        }
        await writeFile(path.join(work, 'blobs', hash), bytes);
        onProgress({ phase: 'export', done: ++done, total, detail: hash.slice(0, 12) });
      }
      if (missing.length > 0 || corrupt.length > 0) throw await damagedStoreError(trx, missing, corrupt, referenced);
      return out;
    });
    await writeFile(path.join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(target)) await rmdir(target);
    await rename(work, target);
    return manifest;
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** The DAMAGED error of an export: every missing or corrupt blob, with the rows that refer to it. */
async function damagedStoreError(db: AnyDb, missing: string[], corrupt: string[], referenced: Map<string, string[]>): Promise<RegistryError> {
  const bad = [...missing, ...corrupt];
  const captures = new Map<string, string[]>();
  for (let i = 0; i < bad.length; i += 500) {
    const rows = await db.selectFrom('captures').innerJoin('parts', 'parts.id', 'captures.part_id').select(['captures.id as id', 'captures.blob_hash as hash', 'parts.serial as serial']).where('captures.blob_hash', 'in', bad.slice(i, i + 500)).orderBy('captures.id').execute();
    for (const r of rows as Array<{ id: number; hash: string; serial: string }>) captures.set(r.hash, [...(captures.get(r.hash) ?? []), `capture #${r.id} of ${r.serial}`]);
  }
  const line = (h: string, what: string) => `  ${what} ${h} (${(captures.get(h) ?? referenced.get(h) ?? ['not referenced']).join(', ')})`;
  const lines = [...missing.map((h) => line(h, 'missing')), ...corrupt.map((h) => line(h, 'corrupt'))];
  const shown = lines.slice(0, 50);
  if (lines.length > shown.length) shown.push(`  ... and ${lines.length - shown.length} more`);
  return new RegistryError(
    `export refused, nothing written: the blob store is damaged: ${missing.length} blob(s) the database refers to are missing, ${corrupt.length} corrupt:\n${shown.join('\n')}`,
    { code: 'DAMAGED' },
  );
}

async function readManifest(dir: string): Promise<ExportManifest> {
  let m: ExportManifest;
  try {
    m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as ExportManifest;
  } catch (err) {
    throw new RegistryError(`${dir}: no readable manifest.json (${(err as Error).message})`, { code: 'BAD_INPUT', cause: err });
  }
  if (m.format !== EXPORT_FORMAT || m.formatVersion !== 1) throw new RegistryError(`${dir}: not a partprint export (format ${String(m.format)} v${String(m.formatVersion)})`, { code: 'BAD_INPUT' });
  return m;
}

/**
 * Loads an export into an empty registry, in one transaction: any fault leaves the database and
 * the blob store as they were. An export from a newer schema is refused (CONFLICT).
 * @example await importRegistry(reg, 'backup-2026-11-21')
 */
export async function importRegistry(reg: Registry, dir: string, options: BulkOptions = {}): Promise<ExportManifest> {
  const onProgress = options.onProgress ?? noProgress;
  const manifest = await readManifest(dir);
  const unknown = manifest.migrations.filter((n) => !(n in MIGRATIONS));
  if (unknown.length > 0) {
    const v = Math.max(...manifest.migrations.map((n) => Number(n.split('-')[0]) || 0));
    throw new RegistryError(
      v > SCHEMA_VERSION ? `export schema version ${v} is newer than this partprint (${SCHEMA_VERSION}); upgrade partprint` : `export has migrations this partprint does not know (${unknown.join(', ')})`,
      { code: 'CONFLICT' },
    );
  }
  const tables = await describeTables(reg.db as AnyDb, reg.dialect);
  const byName = new Map(tables.map((t) => [t.name, t]));
  for (const t of manifest.tables) {
    const have = byName.get(t.name);
    if (!have) throw new RegistryError(`${dir}: table "${t.name}" does not exist in this registry`, { code: 'BAD_INPUT' });
    const extra = t.columns.filter((c) => !have.columns.includes(c));
    if (extra.length > 0) throw new RegistryError(`${dir}: table "${t.name}" has unknown column(s) ${extra.join(', ')}`, { code: 'BAD_INPUT' });
  }
  for (const t of tables) {
    const n = Number((await sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql.id(t.name)}`.execute(reg.db)).rows[0].n);
    if (n > 0) throw new RegistryError(`import needs an empty registry: table ${t.name} has ${n} row(s)`, { code: 'CONFLICT' });
  }
  const blobFiles = (await readdir(path.join(dir, 'blobs')).catch(() => [] as string[])).filter((f) => !f.startsWith('.')).sort();
  if (blobFiles.length !== manifest.blobs) throw new RegistryError(`${dir}: manifest lists ${manifest.blobs} blob(s), folder has ${blobFiles.length}`, { code: 'CORRUPT' });
  const total = manifest.tables.reduce((n, t) => n + t.rows, 0) + blobFiles.length;
  const order = tables.map((t) => t.name).filter((n) => manifest.tables.some((t) => t.name === n));
  let done = 0;
  await reg.transaction(async (trxTyped, scope) => {
    const trx = trxTyped as AnyDb;
    for (const name of blobFiles) {
      const hash = await scope.blobs.put(await readFile(path.join(dir, 'blobs', name)));
      if (hash !== name) throw new RegistryError(`${dir}: blob ${name} is corrupt (its content hashes to ${hash})`, { code: 'CORRUPT' });
      onProgress({ phase: 'import', done: ++done, total, detail: name.slice(0, 12) });
    }
    for (const name of order) {
      const spec = manifest.tables.find((t) => t.name === name)!;
      const file = path.join(dir, 'tables', `${name}.jsonl`);
      if (!existsSync(file)) throw new RegistryError(`${dir}: tables/${name}.jsonl is missing`, { code: 'CORRUPT' });
      const batchSize = Math.max(1, Math.floor(16000 / Math.max(1, spec.columns.length)));
      let batch: Array<Record<string, unknown>> = [];
      let n = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await trx.insertInto(name).values(batch).execute();
        done += batch.length;
        onProgress({ phase: 'import', done, total, detail: name });
        batch = [];
      };
      for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
        if (line === '') continue;
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(line) as Record<string, unknown>;
        } catch (err) {
          throw new RegistryError(`${dir}: tables/${name}.jsonl line ${n + 1} is not JSON`, { code: 'CORRUPT', cause: err });
        }
        batch.push(Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decodeValue(v)])));
        n++;
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      if (n !== spec.rows) throw new RegistryError(`${dir}: tables/${name}.jsonl has ${n} row(s), the manifest says ${spec.rows}`, { code: 'CORRUPT' });
    }
    await resetSequences(trx, reg.dialect);
    const exported = new Set(blobFiles);
    const missing = [...(await allReferencedBlobs(trx, reg.dialect))].filter((h) => !exported.has(h) && !reg.blobs.has(h));
    if (missing.length > 0) throw new RegistryError(`${dir}: rows refer to blobs that are not in the export (${missing.slice(0, 3).join(', ')})`, { code: 'CORRUPT' });
  });
  await refreshStatistics(reg.db as AnyDb, reg.dialect);
  return manifest;
}
