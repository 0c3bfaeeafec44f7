/**
 * A full disk: `parts add`, `events add` and `register` must say "disk full ... nothing was
 * stored" with exit 7, never "cannot rollback - no transaction is active" (SQLite has already
 * rolled back by itself), and must store nothing. The data folder lives on a small tmpfs that is
 * filled up (needs root and `mount`; skipped with the reason otherwise); the SQLite part also runs
 * everywhere through `PRAGMA max_page_count`.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { runCliCaptured as cli } from '../helpers/cli.js';
import { noisePng } from '../db/fixtures.js';
import { surfacePng } from '../db/fixtures-surface.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'pp-full-'));
const mountPoint = path.join(root, 'tmpfs');
mkdirSync(mountPoint);

/** Mounts a 16 MiB tmpfs, or returns why it cannot. */
function mountTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a small tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}
const noTmpfs = mountTmpfs();
if (noTmpfs) process.stderr.write(`skipping the tmpfs disk-full test: ${noTmpfs}\n`);
afterAll(() => {
  if (!noTmpfs) execFileSync('umount', ['-l', mountPoint]);
  rmSync(root, { recursive: true, force: true });
});

/** Writes a filler file until the disk is full; returns its path. */
function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  closeSync(fd);
  return file;
}

/** The cause named: SQLite's own code, ENOSPC, or SQLite's I/O error on a folder with no room left. */
const diskFull = /disk full \((SQLITE_FULL|ENOSPC|SQLITE_IOERR_[A-Z]+, no space left)\)/;

describe('disk full', () => {
  it.skipIf(noTmpfs !== undefined)('on a full tmpfs: parts add, events add, register exit 7 naming the cause; nothing stored', async () => {
    const dataDir = path.join(mountPoint, 'data');
    const data = ['--data', dataDir];
    const png = path.join(root, 'p.png');
    writeFileSync(png, await surfacePng(77));
    expect((await cli('parts', 'add', 'FULL-1', '--image', png, ...data)).code).toBe(0);
    expect((await cli('events', 'add', 'FULL-1', '--type', 'observed', ...data)).code).toBe(0);
    const before = (await cli('export', path.join(root, 'before'), '--json', ...data)).out;
    const filler = fillDisk(mountPoint);
    const other = path.join(root, 'q.png');
    writeFileSync(other, await surfacePng(78));
    const attempts = [
      ['parts', 'add', 'FULL-2', '--image', other, '--attr', 'machine=M1'],
      ['parts', 'add', 'FULL-3', '--attr', `big=${'x'.repeat(200_000)}`],
      ['events', 'add', 'FULL-1', '--type', 'installed', '--torque', '25', '--notes', 'x'.repeat(9000)],
      ['register', 'FULL-4', other, '--create-part'],
    ];
    // Completely full (nothing opens), then with 48 KiB left (the database opens, the writes fail).
    const rolledBack: string[] = [];
    for (const freeKiB of [0, 48]) {
      truncateSync(filler, statSync(filler).size - freeKiB * 1024);
      for (const argv of attempts) {
        const r = await cli(...argv, ...data);
        expect(r.code, `${freeKiB} KiB free, ${argv.slice(0, 3).join(' ')}: ${r.err}`).toBe(7);
        expect(r.err, r.err).toMatch(diskFull);
        expect(r.err).not.toMatch(/cannot rollback|unexpected error|\n\s+at /);
        if (argv[0] !== 'register') expect(r.err).toMatch(/nothing was stored/);
        if (/the write was rolled back: disk full \(SQLITE_FULL\)/.test(r.err)) rolledBack.push(argv[2]);
      }
    }
    // The case SQLite rolls back by itself, whose "cannot rollback" used to hide the cause, happened.
    expect(rolledBack.length).toBeGreaterThan(0);
    rmSync(filler);
    // Nothing was stored: the registry reads as before, and works again once there is space.
    const after = (await cli('export', path.join(root, 'after'), '--json', ...data)).out;
    const tables = (t: string) => (JSON.parse(t) as { tables: unknown; blobs: number });
    expect(tables(after).tables).toEqual(tables(before).tables);
    expect(tables(after).blobs).toBe(tables(before).blobs);
    expect((await cli('parts', 'add', 'FULL-2', '--image', other, ...data)).code).toBe(0);
  });

  it('SQLite at its page limit (PRAGMA max_page_count): NO_SPACE naming SQLITE_FULL, rows and blobs rolled back', async () => {
    const dataDir = path.join(root, 'pages');
    const reg = await openRegistry({ dataDir });
    try {
      await reg.parts.create({ serial: 'P-1' });
      const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(reg.db);
      await sql.raw(`PRAGMA max_page_count = ${rows[0].page_count}`).execute(reg.db);
      const big = { serial: 'P-2', attributes: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`a${i}`, 'v'.repeat(900)])) };
      await expect(reg.parts.create(big)).rejects.toMatchObject({ code: 'NO_SPACE', message: expect.stringMatching(/disk full \(SQLITE_FULL\); nothing was stored/) });
      const staged = reg.transaction(async (_trx, scope) => {
        await scope.parts.create({ serial: 'P-3' });
        await scope.captures.add('P-3', await noisePng(400, 400, 5));
        await scope.parts.setAttributes('P-3', big.attributes);
      });
      await expect(staged).rejects.toMatchObject({ code: 'NO_SPACE' });
      expect(await reg.parts.get('P-2')).toBeUndefined();
      expect(await reg.parts.get('P-3')).toBeUndefined();
      expect(await reg.blobs.list()).toEqual([]);
    } finally {
      await reg.close();
    }
  });
});
