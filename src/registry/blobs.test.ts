import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore, sha256Hex } from './blobs.js';

const dirs: string[] = [];
const fresh = () => {
  dirs.push(mkdtempSync(path.join(os.tmpdir(), 'pp-blobs-')));
  return new BlobStore(path.join(dirs.at(-1)!, 'blobs'));
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('BlobStore', () => {
  it('stores content once under ab/cd/<sha256> and verifies it on read', async () => {
    const store = fresh();
    const bytes = Buffer.from('surface pattern');
    const hash = await store.put(bytes);
    expect(hash).toBe(sha256Hex(bytes));
    expect(store.path(hash)).toBe(path.join(store.root, hash.slice(0, 2), hash.slice(2, 4), hash));
    expect(await store.put(Buffer.from('surface pattern'))).toBe(hash);
    expect(await store.list()).toEqual([hash]);
    expect(readdirSync(path.dirname(store.path(hash)))).toEqual([hash]); // no temp files left
    expect((await store.read(hash)).toString()).toBe('surface pattern');
    writeFileSync(store.path(hash), 'surface pattern!');
    await expect(store.read(hash)).rejects.toMatchObject({ code: 'CORRUPT' });
    await expect(store.read('0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => store.path('../etc/passwd')).toThrow(/not a SHA-256 hex digest/);
  });

  it('stages blobs until commit and drops them on abort', async () => {
    const store = fresh();
    const a = store.stage();
    const h1 = await a.put(Buffer.from('one'));
    expect(store.has(h1)).toBe(false);
    expect(existsSync(a.pathOf(h1))).toBe(true);
    await a.commit();
    expect(store.has(h1)).toBe(true);
    const b = store.stage();
    const h2 = await b.put(Buffer.from('two'));
    expect(await b.put(Buffer.from('one'))).toBe(h1); // already stored: nothing staged
    await b.abort();
    expect(store.has(h2)).toBe(false);
    expect(existsSync(b.dir)).toBe(false);
    expect(await store.list()).toEqual([h1]);
  });

  it('leaves staging areas of live processes alone when recovering', async () => {
    const store = fresh();
    const live = store.stage(); // this process: alive
    const h = await live.put(Buffer.from('in flight'));
    const result = await store.recoverStaging(async () => new Set([h]));
    expect(result).toEqual({ adopted: 0, discarded: 0 });
    expect(existsSync(live.pathOf(h))).toBe(true);
  });

  it("recovers an area named with this process's own PID: a previous incarnation's, never this process's", async () => {
    // Containers restart a server under the same PID; an area named by PID (partprint before owner
    // locks) with our PID cannot be ours, since this process names its areas by owner token.
    const store = fresh();
    const committed = Buffer.from('committed before the kill');
    const h = sha256Hex(committed);
    const area = path.join(store.stagingRoot, `${process.pid}-0123456789ab`);
    mkdirSync(area, { recursive: true });
    writeFileSync(path.join(area, h), committed);
    writeFileSync(path.join(area, sha256Hex(Buffer.from('rolled back'))), 'rolled back');
    expect(await store.recoverStaging(async (hashes) => new Set(hashes.filter((x) => x === h)))).toEqual({ adopted: 1, discarded: 1 });
    expect((await store.read(h)).toString()).toBe('committed before the kill');
    expect(existsSync(area)).toBe(false);
  });

  it("judges owners by their lock, not their PID: a live owner's areas stay, a killed owner's are recovered", async () => {
    const store = fresh();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'db', 'fixtures', 'stage-child.ts'), store.root, 'kept', 'dropped'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const gone = new Promise((resolve) => child.on('close', resolve));
    const area = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /staged (\S+)\n/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('error', reject);
      child.on('close', (code) => reject(new Error(`stage child exited (${code}) before staging: ${out}`)));
    });
    const kept = sha256Hex(Buffer.from('kept'));
    const referenced = async (hashes: string[]) => new Set(hashes.filter((x) => x === kept));
    expect(path.basename(area)).toMatch(/^o[0-9a-f]{16}-[0-9a-f]{12}$/);
    // Alive (its lock is held): left alone, even though a recovery runs in another process.
    expect(await store.recoverStaging(referenced)).toEqual({ adopted: 0, discarded: 0 });
    expect(readdirSync(area).sort()).toEqual([kept, sha256Hex(Buffer.from('dropped'))].sort());
    child.kill('SIGKILL');
    await gone;
    expect(await store.recoverStaging(referenced)).toEqual({ adopted: 1, discarded: 1 });
    expect((await store.read(kept)).toString()).toBe('kept');
    expect(readdirSync(store.stagingRoot)).toEqual([]); // the dead owner's lock file is gone too
  });
});
