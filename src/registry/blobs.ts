/**
 * Content-addressed blob store under `DATA/blobs/ab/cd/<sha256>`: a blob is written once (temp
 * file + rename), never twice, and its checksum is verified on every read.
 *
 * Writes that belong to a database transaction go through a `BlobStaging` area
 * (`blobs/.staging/<pid>-<id>/`) and are moved into place only after the transaction commits;
 * on rollback the area is removed. `recoverStaging` (run on open) finishes or discards areas left
 * by a killed process, so the store never holds a blob the database did not commit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '../core/index.js';

const HASH_RE = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function tempName(): string {
  return `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class BlobStore {
  readonly root: string;
  readonly stagingRoot: string;

  constructor(root: string) {
    this.root = root;
    this.stagingRoot = path.join(root, '.staging');
  }

  /** Where the blob with this SHA-256 hex lives (whether or not it exists). */
  path(hash: string): string {
    if (!HASH_RE.test(hash)) throw new RegistryError(`not a SHA-256 hex digest: "${hash}"`, { code: 'BAD_INPUT' });
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  has(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  /** Stores bytes outside any transaction; returns the SHA-256 hex. Already stored: nothing written. */
  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256Hex(bytes);
    const final = this.path(hash);
    if (existsSync(final)) return hash;
    await mkdir(path.dirname(final), { recursive: true });
    const tmp = path.join(path.dirname(final), tempName());
    try {
      await writeDurably(tmp, bytes);
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new RegistryError(`cannot write blob ${hash} (${(err as Error).message})`, { cause: err });
    }
    return hash;
  }

  /** Reads a blob and checks its SHA-256; a missing or altered blob is an error naming the hash. */
  async read(hash: string, file = this.path(hash)): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new RegistryError(`blob ${hash} is missing from the store (${file})`, { code: 'NOT_FOUND', cause: err });
    }
    const actual = sha256Hex(bytes);
    if (actual !== hash) {
      throw new RegistryError(`blob ${hash} is corrupt: its content hashes to ${actual} (${file})`, { code: 'CORRUPT' });
    }
    return bytes;
  }

  /** Every stored blob's hash, sorted (staging areas and temp files excluded). */
  async list(): Promise<string[]> {
    const out: string[] = [];
    const level = async (dir: string, depth: number): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const name of names) {
        if (name.startsWith('.')) continue;
        if (depth < 2) await level(path.join(dir, name), depth + 1);
        else if (HASH_RE.test(name)) out.push(name);
      }
    };
    await level(this.root, 0);
    return out.sort();
  }

  /** A staging area for the blobs of one transaction. */
  stage(): BlobStaging {
    return new BlobStaging(this, path.join(this.stagingRoot, `${process.pid}-${randomBytes(6).toString('hex')}`));
  }

  /** Moves a verified file into its final place (or drops it if the blob is already there). */
  async adopt(file: string, hash: string): Promise<void> {
    const final = this.path(hash);
    if (existsSync(final)) {
      await unlink(file);
      return;
    }
    await mkdir(path.dirname(final), { recursive: true });
    await rename(file, final);
  }

  /**
   * Finishes staging areas left by processes that are gone: blobs the database references are
   * moved into place (after a checksum check), the rest are deleted. Returns what was done.
   */
  async recoverStaging(referenced: (hashes: string[]) => Promise<Set<string>>): Promise<{ adopted: number; discarded: number }> {
    let dirs: string[];
    try {
      dirs = await readdir(this.stagingRoot);
    } catch {
      return { adopted: 0, discarded: 0 };
    }
    let adopted = 0;
    let discarded = 0;
    for (const name of dirs) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
      const dir = path.join(this.stagingRoot, name);
      const files = await readdir(dir).catch(() => [] as string[]);
      const hashes = files.filter((f) => HASH_RE.test(f));
      const keep = hashes.length > 0 ? await referenced(hashes) : new Set<string>();
      for (const file of files) {
        const full = path.join(dir, file);
        if (keep.has(file) && sha256Hex(await readFile(full)) === file) {
          await this.adopt(full, file);
          adopted++;
        } else {
          await rm(full, { force: true });
          discarded++;
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
    return { adopted, discarded };
  }
}

export class BlobStaging {
  private readonly staged = new Map<string, string>();
  private created = false;

  constructor(
    private readonly store: BlobStore,
    readonly dir: string,
  ) {}

  /** Stages bytes for this transaction; returns the SHA-256 hex. */
  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256Hex(bytes);
    if (this.staged.has(hash) || this.store.has(hash)) return hash;
    if (!this.created) {
      await mkdir(this.dir, { recursive: true });
      this.created = true;
    }
    const tmp = path.join(this.dir, tempName());
    const file = path.join(this.dir, hash);
    try {
      await writeDurably(tmp, bytes);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new RegistryError(`cannot stage blob ${hash} (${(err as Error).message})`, { cause: err });
    }
    this.staged.set(hash, file);
    return hash;
  }

  /** Staged bytes are visible to reads within the transaction. */
  pathOf(hash: string): string {
    return this.staged.get(hash) ?? this.store.path(hash);
  }

  /** Reads a blob staged here or already stored, verifying its SHA-256. */
  read(hash: string): Promise<Buffer> {
    return this.store.read(hash, this.pathOf(hash));
  }

  /** After the database committed: move every staged blob into place. */
  async commit(): Promise<void> {
    for (const [hash, file] of this.staged) await this.store.adopt(file, hash);
    this.staged.clear();
    if (this.created) await rm(this.dir, { recursive: true, force: true });
  }

  /** After a rollback: forget everything staged. */
  async abort(): Promise<void> {
    this.staged.clear();
    if (this.created) await rm(this.dir, { recursive: true, force: true });
  }
}
