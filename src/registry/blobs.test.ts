import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
});
