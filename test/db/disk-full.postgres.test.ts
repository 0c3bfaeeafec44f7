/**
 * A full disk on PostgreSQL: the registry's database lives in a tablespace on a small tmpfs that
 * is filled up; writes fail with SQLSTATE 53100 (disk_full), which must reach the user as
 * "disk full ... nothing was stored" (exit 7), with nothing stored. Needs root (mount, chown) and
 * the test cluster; skipped with the reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { runCliCaptured as cli } from '../helpers/cli.js';
import { tempDir } from './backends.js';
import { type PgCluster, pgUnavailableReason, sharedPgCluster, stopPgCluster } from './pg-cluster.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'pp-pgfull-'));
const mountPoint = path.join(root, 'tmpfs');
mkdirSync(mountPoint);

function setUp(): string | undefined {
  const pgReason = pgUnavailableReason();
  if (pgReason) return pgReason;
  if (process.getuid?.() !== 0) return 'not root: cannot mount a small tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
  chmodSync(root, 0o755); // the postgres user must reach the tablespace folder
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  mkdirSync(path.join(mountPoint, 'ts'));
  chownSync(path.join(mountPoint, 'ts'), uid, gid);
  return undefined;
}
const skip = setUp();
if (skip) process.stderr.write(`skipping the PostgreSQL disk-full test: ${skip}\n`);

let runDir: string | undefined;
try {
  runDir = inject('pgRunDir');
} catch {
  runDir = undefined;
}
let cluster: PgCluster | undefined;
const name = `full_${process.pid}`;

async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster!.adminUrl });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (cluster) {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await admin(`DROP TABLESPACE IF EXISTS "${name}"`).catch(() => undefined);
    if (!runDir) stopPgCluster(cluster.dir);
  }
  if (!skip) execFileSync('umount', ['-l', mountPoint]);
  rmSync(root, { recursive: true, force: true });
});

describe('disk full on PostgreSQL', () => {
  it.skipIf(skip !== undefined)('a tablespace on a full tmpfs: SQLSTATE 53100 becomes "disk full ... nothing was stored", exit 7', async () => {
    cluster = await sharedPgCluster(runDir);
    await admin(`CREATE TABLESPACE "${name}" LOCATION '${path.join(mountPoint, 'ts')}'`);
    await admin(`CREATE DATABASE "${name}" TABLESPACE "${name}"`);
    const url = cluster.urlFor(name);
    const dataDir = tempDir();
    const reg = await openRegistry({ dataDir, databaseUrl: url });
    try {
      await reg.parts.create({ serial: 'PG-1' });
      const filler = path.join(mountPoint, 'filler');
      const fd = openSync(filler, 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096, 1));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      const big = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`attr${i}`, `${i}`.repeat(400)]));
      await expect(reg.parts.create({ serial: 'PG-2', attributes: big })).rejects.toMatchObject({
        code: 'NO_SPACE',
        message: expect.stringMatching(/disk full \(SQLSTATE 53100, disk_full\); nothing was stored/),
      });
      const r = await cli('parts', 'add', 'PG-3', ...Object.entries(big).slice(0, 600).flatMap(([k, v]) => ['--attr', `${k}=${v}`]), '--data', dataDir, '--db', url);
      expect(r.code, r.err).toBe(7);
      expect(r.err).toMatch(/disk full \(SQLSTATE 53100, disk_full\); nothing was stored/);
      expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
      rmSync(filler);
      expect(await reg.parts.get('PG-2')).toBeUndefined();
      expect(await reg.parts.get('PG-3')).toBeUndefined();
      expect((await reg.parts.create({ serial: 'PG-2', attributes: big })).serial).toBe('PG-2');
    } finally {
      await reg.close();
    }
  });
});
