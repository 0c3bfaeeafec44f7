/** What every repository works with: the database (root or a transaction) and the blob store. */
import type { ControlledTransaction, Kysely } from 'kysely';
import { PartprintError, RegistryError } from '../core/index.js';
import type { BlobStaging, BlobStore } from './blobs.js';
import type { Dialect } from './connect.js';
import type { Database } from './schema.js';
import path from 'node:path';
import { diskFullCode, diskFullCodeAt, diskFullError, storageError } from './storage-errors.js';

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
 *
 * The rollback is ours, not Kysely's: SQLite ends the transaction by itself on some errors
 * (SQLITE_FULL), and the ROLLBACK that follows fails with "cannot rollback - no transaction is
 * active"; the error the caller sees is always the first one (a full disk as NO_SPACE).
 */
export async function inTransaction<T>(ctx: RepoContext, fn: (tx: RepoContext) => Promise<T>): Promise<T> {
  if (ctx.staging) return fn(ctx);
  const staging = ctx.blobs.stage();
  let trx: ControlledTransaction<Database>;
  try {
    trx = await ctx.db.startTransaction().execute();
  } catch (err) {
    throw storageError(err, 'cannot start a database transaction');
  }
  let result: T;
  try {
    result = await fn({ ...ctx, db: trx, staging });
    await trx.commit().execute();
  } catch (err) {
    try {
      await trx.rollback().execute();
    } catch {
      // Already rolled back by the database (see above), or the connection is gone: either way
      // nothing was committed, and the first error says why.
    }
    await staging.abort().catch(() => undefined);
    const full = err instanceof PartprintError ? undefined : diskFullCodeAt(err, path.dirname(ctx.blobs.root));
    throw full ? diskFullError(full, 'the write was rolled back', err) : err;
  }
  try {
    await staging.commit();
  } catch (err) {
    // The rows are committed; the staged files stay in this process's staging area, which the
    // next start (of any partprint process on this data folder) moves into place.
    const full = diskFullCode(err);
    throw new RegistryError(
      `stored, but moving the new image files into place failed (${full ?? (err as Error).message}); they stay in ${staging.dir} and are moved there on the next start`,
      { code: full ? 'NO_SPACE' : 'INTERNAL', cause: err },
    );
  }
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
