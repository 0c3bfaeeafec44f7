/**
 * What tables the database holds, their columns, primary keys and foreign-key dependencies, so
 * export and import work on every table (including those other capabilities add) without a list.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from './connect.js';

export interface TableInfo {
  name: string;
  columns: string[];
  /** Primary-key columns in key order (all columns when the table has none). */
  primaryKey: string[];
  /** False when the table has no primary key (primaryKey then lists every column). */
  hasPrimaryKey: boolean;
  /** Tables this one references (itself excluded). */
  dependsOn: string[];
}

const INTERNAL = /^(kysely_migration|kysely_migration_lock|sqlite_.*)$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

async function sqliteTable(db: AnyDb, name: string): Promise<TableInfo> {
  const cols = await sql<{ name: string; pk: number }>`SELECT name, pk FROM pragma_table_info(${name}) ORDER BY cid`.execute(db);
  const fks = await sql<{ table: string }>`SELECT DISTINCT "table" FROM pragma_foreign_key_list(${name})`.execute(db);
  const pk = cols.rows.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  const columns = cols.rows.map((c) => c.name);
  return { name, columns, primaryKey: pk.length > 0 ? pk : columns, hasPrimaryKey: pk.length > 0, dependsOn: fks.rows.map((f) => f.table).filter((t) => t !== name) };
}

async function postgresTables(db: AnyDb): Promise<TableInfo[]> {
  const cols = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`.execute(db);
  const pks = await sql<{ table_name: string; column_name: string }>`
    SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
    WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY' ORDER BY tc.table_name, kcu.ordinal_position`.execute(db);
  const fks = await sql<{ table_name: string; ref: string }>`
    SELECT DISTINCT c.conrelid::regclass::text AS table_name, c.confrelid::regclass::text AS ref
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE c.contype = 'f' AND n.nspname = current_schema()`.execute(db);
  const byName = new Map<string, TableInfo>();
  const strip = (t: string) => t.replace(/^"|"$/g, '');
  for (const c of cols.rows) {
    if (!byName.has(c.table_name)) byName.set(c.table_name, { name: c.table_name, columns: [], primaryKey: [], hasPrimaryKey: true, dependsOn: [] });
    byName.get(c.table_name)!.columns.push(c.column_name);
  }
  for (const p of pks.rows) byName.get(p.table_name)?.primaryKey.push(p.column_name);
  for (const f of fks.rows) {
    const t = byName.get(strip(f.table_name));
    if (t && strip(f.ref) !== t.name) t.dependsOn.push(strip(f.ref));
  }
  for (const t of byName.values()) {
    if (t.primaryKey.length === 0) {
      t.primaryKey = [...t.columns];
      t.hasPrimaryKey = false;
    }
  }
  return [...byName.values()];
}

/** Every user table, ordered so that a table comes after the tables it references. */
export async function describeTables(db: AnyDb, dialect: Dialect): Promise<TableInfo[]> {
  let tables: TableInfo[];
  if (dialect === 'postgres') {
    tables = await postgresTables(db);
  } else {
    const names = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`.execute(db);
    tables = await Promise.all(names.rows.map((r) => sqliteTable(db, r.name)));
  }
  tables = tables.filter((t) => !INTERNAL.test(t.name)).sort((a, b) => a.name.localeCompare(b.name));
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !placed.has(t.name) && t.dependsOn.every((d) => placed.has(d) || !tables.some((x) => x.name === d)));
    if (!next) throw new Error(`foreign keys form a cycle among ${tables.filter((t) => !placed.has(t.name)).map((t) => t.name).join(', ')}`);
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

/** After rows were inserted with explicit ids, moves PostgreSQL's identity sequences past them. */
export async function resetSequences(db: AnyDb, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  const cols = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`.execute(db);
  for (const c of cols.rows) {
    const t = sql.id(c.table_name);
    const col = sql.id(c.column_name);
    await sql`SELECT setval(pg_get_serial_sequence(${`"${c.table_name}"`}, ${c.column_name}), COALESCE((SELECT MAX(${col}) FROM ${t}), 0) + 1, false)`.execute(db);
  }
}

/** After a bulk load: refresh the planner's statistics (PostgreSQL ANALYZE, SQLite PRAGMA optimize). */
export async function refreshStatistics(db: AnyDb, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await sql`ANALYZE`.execute(db);
  else await sql`PRAGMA optimize`.execute(db);
}

/** Columns that hold blob hashes: by convention named `blob_hash` or `<something>_blob_hash`. */
export function blobColumns(tables: TableInfo[]): Array<{ table: string; column: string }> {
  return tables.flatMap((t) => t.columns.filter((c) => c === 'blob_hash' || c.endsWith('_blob_hash')).map((column) => ({ table: t.name, column })));
}

/** Which of `hashes` some row of any table refers to (see `blobColumns`). */
export async function referencedBlobs(db: AnyDb, dialect: Dialect, hashes: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const { table, column } of blobColumns(await describeTables(db, dialect))) {
    for (let i = 0; i < hashes.length; i += 500) {
      const chunk = hashes.slice(i, i + 500);
      const rows = await sql<{ h: string }>`SELECT DISTINCT ${sql.id(column)} AS h FROM ${sql.id(table)} WHERE ${sql.id(column)} IN (${sql.join(chunk)})`.execute(db);
      for (const r of rows.rows) found.add(r.h);
    }
  }
  return found;
}

/** Every blob hash any row refers to. */
export async function allReferencedBlobs(db: AnyDb, dialect: Dialect): Promise<Set<string>> {
  return new Set((await referencingColumns(db, dialect)).keys());
}

/** Every blob hash any row refers to, with the columns ("captures.blob_hash") that refer to it. */
export async function referencingColumns(db: AnyDb, dialect: Dialect): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const { table, column } of blobColumns(await describeTables(db, dialect))) {
    const rows = await sql<{ h: string | null }>`SELECT DISTINCT ${sql.id(column)} AS h FROM ${sql.id(table)}`.execute(db);
    for (const r of rows.rows) if (r.h) found.set(r.h, [...(found.get(r.h) ?? []), `${table}.${column}`]);
  }
  return found;
}
