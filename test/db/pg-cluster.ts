/**
 * A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's postgresql binaries
 * (/usr/lib/postgresql/<version>/bin): initdb in a temp folder (as the `postgres` OS user when
 * running as root, since initdb refuses root), listening only on a Unix socket in that folder.
 *
 * In a vitest run one cluster serves every test file: globalSetup (test/db/global-setup.ts)
 * reserves a folder and stops whatever was started there at the end; the first test file that
 * needs PostgreSQL starts the cluster (mkdir of the folder is the lock), the others wait for it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgCluster {
  /** Folder holding the data directory and the socket. */
  dir: string;
  /** URL of the maintenance database `postgres`. */
  adminUrl: string;
  /** A URL for a database name in this cluster. */
  urlFor(database: string): string;
}

/** The bin folder of the newest installed PostgreSQL, or undefined. */
export function findPgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')) && existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function pgUnavailableReason(): string | undefined {
  if (!findPgBin()) return 'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (install Debian package postgresql: sudo bash scripts/install-system-deps.sh)';
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root but there is no "postgres" OS user to run initdb as';
    }
  }
  return undefined;
}

function asPgUser(file: string, args: string[], options: { timeout?: number } = {}): string {
  const isRoot = process.getuid?.() === 0;
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout ?? 60_000 });
}

function clusterOf(dir: string): PgCluster {
  const urlFor = (database: string) => `postgres://postgres@localhost/${database}?host=${encodeURIComponent(dir)}`;
  return { dir, adminUrl: urlFor('postgres'), urlFor };
}

/**
 * initdb + pg_ctl start in `dir` (which must exist and be empty). Tests run with fsync off
 * (throwaway data); `durable: true` keeps PostgreSQL's default durability (for benchmarks).
 */
export function startPgCluster(dir: string, options: { durable?: boolean } = {}): PgCluster {
  const bin = findPgBin();
  if (!bin) throw new Error(pgUnavailableReason());
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  const data = path.join(dir, 'data');
  asPgUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  // Unix socket only, in our folder; for tests fsync off (throwaway data).
  const fast = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const opts = `-k ${dir} -c listen_addresses='' -c max_connections=50 -c shared_buffers=128MB${fast}`;
  asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return clusterOf(dir);
}

/** Stops the cluster in `dir` (if one runs there) and removes the folder. */
export function stopPgCluster(dir: string): void {
  const bin = findPgBin();
  const data = path.join(dir, 'data');
  if (bin && existsSync(path.join(data, 'postmaster.pid'))) {
    try {
      asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The shared cluster of this test run (started on first use in `runDir`), or a private one in a
 * new temp folder when `runDir` is not given (the caller stops it).
 */
export async function sharedPgCluster(runDir: string | undefined): Promise<PgCluster> {
  if (!runDir) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-pg-'));
    return startPgCluster(dir);
  }
  const ready = path.join(runDir, 'READY');
  const failed = path.join(runDir, 'FAILED');
  let mine = false;
  try {
    mkdirSync(runDir);
    mine = true;
  } catch {
    // Someone else is starting it.
  }
  if (mine) {
    try {
      const c = startPgCluster(runDir);
      writeFileSync(ready, c.adminUrl);
      return c;
    } catch (err) {
      writeFileSync(failed, String((err as Error & { stderr?: string }).stderr ?? (err as Error).message));
      throw err;
    }
  }
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (existsSync(ready)) return clusterOf(runDir);
    if (existsSync(failed)) throw new Error(`PostgreSQL cluster failed to start: ${readFileSync(failed, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for the PostgreSQL cluster in ${runDir}`);
}

/** Creates a fresh, uniquely named database and returns its URL. */
export async function createDatabase(cluster: PgCluster, prefix = 't'): Promise<string> {
  const name = `${prefix}_${process.pid}_${randomBytes(6).toString('hex')}`.toLowerCase();
  const client = new pg.Client({ connectionString: cluster.adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return cluster.urlFor(name);
}
