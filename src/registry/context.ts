/** What every repository works with: the database (root or a transaction) and the blob store. */
import type { Kysely } from 'kysely';
import { RegistryError } from '../core/index.js';
import type { BlobStaging, BlobStore } from './blobs.js';
import type { Dialect } from './connect.js';
import type { Database } from './schema.js';

export interface RepoContext {
  db: Kysely<Database>;
  dialect: Dialect;
  blobs: BlobStore;
  /** Present inside a transaction: blob writes go here and land only on commit. */
  staging?: BlobStaging;
  /** Largest accepted image (width x height). */
  maxPixels?: number;
}

/**
 * Runs `fn` in a database transaction whose blob writes are staged and moved into place only after
 * the commit. Inside a transaction already, `fn` simply joins it.
 */
export async function inTransaction<T>(ctx: RepoContext, fn: (tx: RepoContext) => Promise<T>): Promise<T> {
  if (ctx.staging) return fn(ctx);
  const staging = ctx.blobs.stage();
  let result: T;
  try {
    result = await ctx.db.transaction().execute((trx) => fn({ ...ctx, db: trx, staging }));
  } catch (err) {
    await staging.abort();
    throw err;
  }
  await staging.commit();
  return result;
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** True for a UNIQUE violation from better-sqlite3 or pg. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505';
}

/** Normalises a time to ISO-8601 UTC (so both databases sort it the same), or throws naming the field. */
export function toIsoTime(value: string, field: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new RegistryError(`${field}: "${value}" is not an ISO-8601 date/time`, { code: 'BAD_INPUT' });
  }
  return new Date(t).toISOString();
}

/** Reads a blob (inside a transaction, also one staged by it), verifying its SHA-256. */
export function readBlob(ctx: RepoContext, hash: string): Promise<Buffer> {
  return ctx.staging ? ctx.staging.read(hash) : ctx.blobs.read(hash);
}
