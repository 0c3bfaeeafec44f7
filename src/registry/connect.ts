/** Opens the database (SQLite file or PostgreSQL URL) and brings its schema up to date. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type MigrationProvider, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { RegistryError } from '../core/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { diskFullCodeAt, diskFullError } from './storage-errors.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** Newest migration's epoch-ms prefix: the schema version this code writes. */
export const SCHEMA_VERSION = versionOf(Object.keys(MIGRATIONS).sort().at(-1) ?? '0');

function versionOf(name: string): number {
  return Number(name.split('-')[0]) || 0;
}

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the SQLite file lives, or the URL without password. */
  location: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Opens a Kysely over better-sqlite3 (`dataDir/registry.sqlite`, or `sqlite:FILE`) or pg. */
export function connect(dataDir: string, databaseUrl?: string): Connection {
  if (databaseUrl && isPostgresUrl(databaseUrl)) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', location: databaseUrl.replace(/:[^:@/]*@/, ':***@') };
  }
  let file = path.join(dataDir, 'registry.sqlite');
  if (databaseUrl) {
    if (!databaseUrl.startsWith('sqlite:')) {
      throw new RegistryError(`unsupported database URL "${databaseUrl}" (use postgres://... or sqlite:FILE)`, { code: 'CONFIG' });
    }
    file = path.resolve(databaseUrl.slice('sqlite:'.length));
  }
  mkdirSync(path.dirname(file), { recursive: true });
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('synchronous = NORMAL');
  } catch (err) {
    const full = diskFullCodeAt(err, path.dirname(file));
    if (full) throw diskFullError(full, `${file}: cannot open the SQLite database`, err);
    const notDb = /not a database|malformed/i.test((err as Error).message);
    throw new RegistryError(`${file}: cannot open SQLite database (${(err as Error).message})`, { code: notDb ? 'CORRUPT' : 'CONFIG', cause: err });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', location: file };
}

/** Prepared statements kept per connection (distinct SQL texts; the list is cleared when full). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * The connection with prepared statements reused by SQL text: Kysely prepares every query anew,
 * which was 15% of a server's event-loop time under part-page load (SQLite re-prepares a cached
 * statement itself after a schema change). Nothing here iterates a statement lazily (no
 * `.stream()`), so a statement is never reused while it is still being read.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): { prepare(sql: string): BetterSqlite3.Statement; close(): void } {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        stmt = sqlite.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => {
      cache.clear();
      sqlite.close();
    },
  };
}

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Names of migrations already applied to this database ([] for a fresh one). */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return [];
  const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/**
 * Refuses a database written by a newer partprint (or one with migrations this code does not
 * know), then applies every pending migration.
 */
export async function migrate(conn: Connection): Promise<void> {
  const { db } = conn;
  let applied: string[];
  try {
    applied = await appliedMigrations(db);
  } catch (err) {
    // A SQLite file that is not a database is bad data; an unreachable server is a bad --db setting.
    const code = conn.dialect === 'sqlite' ? 'CORRUPT' : 'CONFIG';
    throw new RegistryError(`${conn.location}: cannot read the database (${(err as Error).message})`, { code, cause: err });
  }
  const unknown = applied.filter((n) => !(n in MIGRATIONS));
  if (unknown.length > 0) {
    const dbVersion = Math.max(...applied.map(versionOf));
    if (dbVersion > SCHEMA_VERSION) {
      throw new RegistryError(
        `database schema version ${dbVersion} is newer than this partprint (${SCHEMA_VERSION}); upgrade partprint`,
        { code: 'CONFLICT' },
      );
    }
    throw new RegistryError(`${conn.location}: database has migrations this partprint does not know (${unknown.join(', ')})`, {
      code: 'CONFLICT',
    });
  }
  // Branches add migrations in parallel: one merged later may carry an older timestamp than one
  // already applied; it still runs (migrations are independent of each other).
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new RegistryError(`${conn.location}: migration ${failed} failed (${(error as Error).message})`, {
      code: 'INTERNAL',
      cause: error,
    });
  }
}
