/** `openRegistry`: one object over the database, the blob store and the repositories. */
import path from 'node:path';
import type { Kysely } from 'kysely';
import { BlobStore } from './blobs.js';
import { CapturesRepo } from './captures.js';
import { connect, type Dialect, migrate } from './connect.js';
import { inTransaction, readBlob, type RepoContext } from './context.js';
import { FeaturesRepo } from './features.js';
import { referencedBlobs } from './introspect.js';
import { PartsRepo } from './parts.js';
import type { Database } from './schema.js';
import type { OpenRegistryOptions } from './types.js';

export interface RegistryBlobs {
  /** Stores bytes (inside a transaction: staged until commit); returns the SHA-256 hex. */
  put(bytes: Uint8Array): Promise<string>;
  /** Reads a blob, verifying its SHA-256. */
  read(hash: string): Promise<Buffer>;
  /** Where a stored blob lives. */
  path(hash: string): string;
  has(hash: string): boolean;
  /** Every stored blob's hash, sorted. */
  list(): Promise<string[]>;
}

/** The registry as seen inside one transaction (or outside any). */
export interface RegistryScope {
  db: Kysely<Database>;
  parts: PartsRepo;
  captures: CapturesRepo;
  features: FeaturesRepo;
  blobs: RegistryBlobs;
}

export interface Registry extends RegistryScope {
  dialect: Dialect;
  dataDir: string;
  /** Largest image (width x height) captures accept; undefined: imaging's default limit. */
  maxPixels?: number;
  /**
   * Runs `fn` in one database transaction. `trx` is for your own queries; `scope` gives the
   * repositories bound to the same transaction. Blobs written through `scope` land only if the
   * transaction commits. Inside `fn`, use only `trx`/`scope`, never the registry's own `db`.
   */
  transaction<T>(fn: (trx: Kysely<Database>, scope: RegistryScope) => Promise<T>): Promise<T>;
  /** Closes the database connection(s); calling it again is harmless. */
  close(): Promise<void>;
}

export interface RegistryOpenOptions extends OpenRegistryOptions {
  /** Largest accepted image, width x height (default: imaging's limit). */
  maxPixels?: number;
}

function scopeOf(ctx: RepoContext): RegistryScope {
  const { blobs, staging } = ctx;
  return {
    db: ctx.db,
    parts: new PartsRepo(ctx),
    captures: new CapturesRepo(ctx),
    features: new FeaturesRepo(ctx),
    blobs: {
      put: (bytes) => (staging ? staging.put(bytes) : blobs.put(bytes)),
      read: (hash) => readBlob(ctx, hash),
      path: (hash) => (staging ? staging.pathOf(hash) : blobs.path(hash)),
      has: (hash) => blobs.has(hash),
      list: () => blobs.list(),
    },
  };
}

/**
 * Opens (creating and migrating as needed) the registry in `dataDir` (default PARTPRINT_DATA or
 * ./partprint-data), on SQLite unless `databaseUrl` is a postgres:// URL. A database written by
 * a newer partprint is refused (CONFLICT). Blob staging areas left by a killed process are
 * finished or discarded.
 * @example
 *   const reg = await openRegistry({ dataDir: './partprint-data' });
 *   await reg.parts.create({ serial: 'A-0001' });
 *   await reg.close();
 */
export async function openRegistry(options: RegistryOpenOptions = {}): Promise<Registry> {
  const dataDir = path.resolve(options.dataDir ?? process.env.PARTPRINT_DATA ?? 'partprint-data');
  const conn = connect(dataDir, options.databaseUrl);
  const blobs = new BlobStore(path.join(dataDir, 'blobs'));
  try {
    await migrate(conn);
    const ctx: RepoContext = { db: conn.db, dialect: conn.dialect, blobs, maxPixels: options.maxPixels };
    let closing: Promise<void> | undefined;
    // Claim our own staging owner first (so recovery never takes this process's areas), then
    // finish the areas of processes that are gone.
    try {
      blobs.ownerToken();
    } catch {
      // A read-only data folder: reads work; a write fails later, naming the staging folder.
    }
    await blobs.recoverStaging((hashes) => referencedBlobs(conn.db, conn.dialect, hashes));
    return {
      ...scopeOf(ctx),
      dialect: conn.dialect,
      dataDir,
      maxPixels: options.maxPixels,
      transaction: (fn) => inTransaction(ctx, (tx) => fn(tx.db, scopeOf(tx))),
      close: () => (closing ??= conn.db.destroy().finally(() => blobs.close())),
    };
  } catch (err) {
    await conn.db.destroy();
    blobs.close();
    throw err;
  }
}
