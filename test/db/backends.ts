/**
 * The two databases the registry suite runs against. Each `fresh()` gives a new empty registry
 * location (temp data dir; on PostgreSQL also a new database in the run's shared cluster).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import { createDatabase, type PgCluster, pgUnavailableReason, sharedPgCluster, stopPgCluster } from './pg-cluster.js';

export interface Location {
  dataDir: string;
  databaseUrl?: string;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Set when this backend cannot run here (the tests skip with this reason). */
  skip?: string;
  fresh(): Promise<Location>;
}

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new temp folder, removed when the test file ends. */
export function tempDir(prefix = 'pp-db-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  fresh: async () => ({ dataDir: tempDir() }),
};

/**
 * PostgreSQL backend: skips with a reason when the server binaries are absent, unless
 * PARTPRINT_REQUIRE_ALL=1 (CI), where their absence fails the run.
 */
export function postgresBackend(): Backend {
  const reason = pgUnavailableReason();
  if (reason) {
    if (process.env.PARTPRINT_REQUIRE_ALL === '1') throw new Error(`PARTPRINT_REQUIRE_ALL=1 but PostgreSQL tests cannot run: ${reason}`);
    process.stderr.write(`skipping PostgreSQL registry tests: ${reason}\n`);
    return { name: 'postgres', skip: reason, fresh: () => Promise.reject(new Error(reason)) };
  }
  let runDir: string | undefined;
  try {
    runDir = inject('pgRunDir');
  } catch {
    runDir = undefined;
  }
  let cluster: Promise<PgCluster> | undefined;
  afterAll(async () => {
    // A private cluster (no globalSetup) is ours to stop; the shared one is stopped by globalSetup.
    if (!runDir && cluster) stopPgCluster((await cluster).dir);
  });
  return {
    name: 'postgres',
    fresh: async () => {
      cluster ??= sharedPgCluster(runDir);
      return { dataDir: tempDir(), databaseUrl: await createDatabase(await cluster) };
    },
  };
}
