/**
 * Crash tests: the real CLI (`partprint parts import`, `partprint register`) is killed with
 * SIGKILL at random moments and at the most dangerous one (after the COMMIT, while the staged
 * image files are being moved into place), then restarted under the SAME PID, as a container
 * restarts a server: every run is PID 1 of a new PID namespace (`unshare --pid --fork`). The
 * restarted process must recover the killed one's staged blobs: afterwards no capture lacks its
 * image, every batch is all or nothing, and `partprint export` (which verifies every blob) exits 0.
 *
 * Where `unshare` cannot make PID namespaces (not root, no user namespaces), the runs get
 * ordinary PIDs and the test says so; nothing in the recovery looks at PIDs anyway.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry, sha256Hex } from '../../src/registry/index.js';
import { type Backend, type Location, tempDir } from './backends.js';
import { listFiles, writePartsCsv } from './fixtures.js';
import { surfacePng } from './fixtures-surface.js';

const CLI = path.join('src', 'cli', 'main.ts');

/** True when `unshare --pid --fork --mount-proc` works here and gives the child PID 1. */
function pidNamespacesWork(): boolean {
  try {
    return execFileSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }) === '1';
  } catch {
    return false;
  }
}

export const SAME_PID = pidNamespacesWork();

interface Run {
  /** Resolves with the exit code (null when killed) once the process and its namespace are gone. */
  done: Promise<{ code: number | null; killed: boolean; out: string; err: string }>;
  kill(): void;
}

/** Starts the CLI (as PID 1 of a new PID namespace where possible). */
function startCli(args: string[], loc: Location): Run {
  const argv = ['--import', 'tsx', CLI, ...args, '--data', loc.dataDir, ...(loc.databaseUrl ? ['--db', loc.databaseUrl] : [])];
  const child = SAME_PID
    ? spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let killed = false;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; killed: boolean; out: string; err: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: killed ? null : code, killed, out, err }));
  });
  return {
    done,
    kill: () => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      // Kill partprint itself (the namespace's PID 1), not just unshare, so it gets no moment to tidy up.
      let target = child.pid!;
      if (SAME_PID) {
        try {
          const inner = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
          if (inner) target = Number(inner);
        } catch {
          // unshare has not forked yet: killing it (--kill-child) takes the child with it
        }
      }
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
      if (target !== child.pid) child.kill('SIGKILL');
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (about every millisecond) until `ready()` or the run ends; then kills it if still running. */
async function killWhen(run: Run, ready: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  let ended = false;
  void run.done.then(() => (ended = true));
  const until = Date.now() + timeoutMs;
  while (!ended && Date.now() < until) {
    if (ready()) {
      run.kill();
      return true;
    }
    await sleep(1);
  }
  return false;
}

/** Names in the staging root that are owner locks of this version ("o<16 hex>.lock"). */
function ownerLocks(loc: Location): string[] {
  try {
    return readdirSync(path.join(loc.dataDir, 'blobs', '.staging')).filter((n) => /^o[0-9a-f]{16}\.lock$/.test(n));
  } catch {
    return [];
  }
}

/** A seeded random number in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export function defineCrashSuite(backend: Backend): void {
  describe.skipIf(backend.skip !== undefined)(`kill -9 during import and register on ${backend.name}${SAME_PID ? ', restarted under the same PID (1)' : ' (no PID namespaces here: ordinary PIDs)'}`, () => {
    it('loses no image: after every kill and restart each capture has its blob and export verifies', async () => {
      const loc = await backend.fresh();
      const random = rng(backend.name === 'sqlite' ? 17 : 29);
      const batches: Array<{ prefix: string; n: number; hashes: string[] }> = [];
      let windowKills = 0;
      let stagedAtKill = 0;
      const kinds = ['import-commit', 'register', 'import-random', 'register'] as const;
      for (const [i, kind] of kinds.entries()) {
        const seenLocks = new Set(ownerLocks(loc));
        const started = () => ownerLocks(loc).some((n) => !seenLocks.has(n)); // this run opened the registry
        if (kind === 'register') {
          const img = path.join(tempDir(), `reg-${i}.png`);
          writeFileSync(img, await surfacePng(300 + i));
          const run = startCli(['register', `REG-${i}`, img, '--create-part'], loc);
          const delay = random() * 1500;
          let openedAt = 0;
          await killWhen(run, () => {
            if (!openedAt && started()) openedAt = Date.now();
            return openedAt > 0 && Date.now() - openedAt >= delay;
          });
          const r = await run.done;
          if (!r.killed) expect(r.code, r.err).toBe(0);
          batches.push({ prefix: `REG-${i}`, n: 1, hashes: [sha256Hex(readFileSync(img))] });
          continue;
        }
        const n = 120;
        const dir = tempDir();
        const csv = await writePartsCsv(dir, n, { prefix: `K${i}`, seed: 50 + i, size: 24 });
        const hashes = Array.from({ length: n }, (_, j) => sha256Hex(readFileSync(path.join(dir, 'images', `K${i}-${String(j + 1).padStart(4, '0')}.png`))));
        const firstFinal = path.join(loc.dataDir, 'blobs', hashes[0].slice(0, 2), hashes[0].slice(2, 4), hashes[0]);
        const run = startCli(['parts', 'import', csv], loc);
        if (kind === 'import-commit') {
          // The dangerous moment: the database has committed and the staged files are being moved.
          const hit = await killWhen(run, () => existsSync(firstFinal));
          if (hit) {
            windowKills++;
            stagedAtKill += listFiles(path.join(loc.dataDir, 'blobs', '.staging')).length;
          }
        } else {
          const delay = random() * 2500;
          let openedAt = 0;
          await killWhen(run, () => {
            if (!openedAt && started()) openedAt = Date.now();
            return openedAt > 0 && Date.now() - openedAt >= delay;
          });
        }
        const r = await run.done;
        if (!r.killed) expect(r.code, r.err).toBe(0);
        batches.push({ prefix: `K${i}`, n, hashes });
      }
      // The kills at the commit happened, with blobs still staged (else the test proves nothing).
      expect(windowKills).toBeGreaterThan(0);
      expect(stagedAtKill).toBeGreaterThan(0);

      // Restart under the same PID: export recovers what the killed runs staged, then verifies every blob.
      const exp = await startCli(['export', path.join(tempDir(), 'backup'), '--json'], loc).done;
      expect(exp.code, exp.err).toBe(0);
      const manifest = JSON.parse(exp.out) as { blobs: number; tables: Array<{ name: string; rows: number }> };

      const reg = await openRegistry({ dataDir: loc.dataDir, databaseUrl: loc.databaseUrl });
      try {
        const caps = await reg.db.selectFrom('captures').innerJoin('parts', 'parts.id', 'captures.part_id').select(['parts.serial', 'captures.blob_hash']).execute();
        const withoutImage = caps.filter((c) => !reg.blobs.has(c.blob_hash));
        expect(withoutImage).toEqual([]);
        for (const c of caps) expect(sha256Hex(await reg.blobs.read(c.blob_hash))).toBe(c.blob_hash);
        expect(manifest.tables.find((t) => t.name === 'captures')?.rows).toBe(caps.length);
        // Each batch is all or nothing: an import is one transaction, a register too.
        for (const b of batches) {
          const got = caps.filter((c) => c.serial.startsWith(`${b.prefix}-`) || c.serial === b.prefix);
          expect([0, b.n]).toContain(got.length);
          if (got.length > 0) expect(got.map((c) => c.blob_hash).sort()).toEqual([...b.hashes].sort());
        }
        expect(caps.length).toBeGreaterThan(0);
        // Nothing left in staging but the owner locks of live processes (this one).
        expect(listFiles(path.join(loc.dataDir, 'blobs', '.staging'))).toEqual([]);
      } finally {
        await reg.close();
      }
    });
  });
}
