/**
 * Content-addressed blob store under `DATA/blobs/ab/cd/<sha256>`: a blob is written once (temp
 * file + rename), never twice, and its checksum is verified on every read.
 *
 * Writes that belong to a database transaction go through a `BlobStaging` area and are moved into
 * place only after the transaction commits; on rollback the area is removed. `recoverStaging`
 * (run on open) finishes or discards areas left by a killed process, so the store never holds a
 * blob the database did not commit, and keeps every blob it did.
 *
 * Who owns an area is never judged by PID (containers restart servers under the same PID, and
 * a PID is reused): each process that opens the store draws a random owner token and holds an
 * exclusive lock on `blobs/.staging/<token>.lock` (an fcntl lock through SQLite, released by the
 * kernel when the process dies, however it dies). Its areas are `blobs/.staging/<token>-<id>/`.
 * An area whose owner's lock can be taken belongs to a dead process and is recovered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { RegistryError } from '../core/index.js';
import { storageError } from './storage-errors.js';

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

/** Staging areas of this version: `<owner token>-<transaction id>`; the owner's lock: `<token>.lock`. */
const OWNER_RE = /^o[0-9a-f]{16}$/;
const AREA_RE = /^(o[0-9a-f]{16})-[0-9a-f]{12}$/;
const LOCK_RE = /^(o[0-9a-f]{16})\.lock$/;
/** Areas written by partprint before owner locks existed: `<pid>-<hex>`. */
const LEGACY_AREA_RE = /^(\d+)-[0-9a-f]+$/;
/** A lock file being set up (locked, not yet renamed) by a process that may have died there. */
const TMP_LOCK_RE = /^\.tmp-(o[0-9a-f]{16})\.lock$/;

/**
 * A lock on a file, held while this object lives, through SQLite's POSIX fcntl locks (which the
 * kernel drops when the process dies, however it dies, across PID namespaces on one host).
 * `hold` is an owner's claim (a shared lock kept by `locking_mode = EXCLUSIVE`; nothing is
 * written, the file stays empty); `probe` asks for an exclusive lock, which fails while any
 * holder lives, and when it succeeds keeps others out while the caller recovers.
 */
class FileLock {
  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly file: string,
  ) {}

  static hold(file: string): FileLock {
    const db = new BetterSqlite3(file, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return new FileLock(db, file);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** The exclusive lock, or null when another live process (or connection) holds the file. */
  static probe(file: string): FileLock | null {
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new BetterSqlite3(file, { timeout: 0 });
      db.exec('BEGIN EXCLUSIVE');
      return new FileLock(db, file);
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return null;
      throw err;
    }
  }

  /**
   * Like `probe`, but any other failure (a file system without locks, no permission) also counts
   * as "held": when in doubt an owner is alive, since recovering a live owner's area loses data
   * and leaving a dead one's only delays its recovery.
   */
  static probeOrNull(file: string): FileLock | null {
    try {
      return FileLock.probe(file);
    } catch {
      return null;
    }
  }

  release(): void {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // already gone
    }
    this.db.close();
    rmSync(`${this.file}-journal`, { force: true });
  }
}

interface Owner {
  token: string;
  lock: FileLock;
  lockFile: string;
  refs: number;
}

/** This process's owner of each staging root it uses (one token per root, shared by every registry on it). */
const owners = new Map<string, Owner>();

/** Claims a staging root for this process: a fresh token whose lock file appears already locked. */
function claimOwner(stagingRoot: string): Owner {
  const have = owners.get(stagingRoot);
  if (have) {
    have.refs++;
    return have;
  }
  mkdirSync(stagingRoot, { recursive: true });
  const token = `o${randomBytes(8).toString('hex')}`;
  const lockFile = path.join(stagingRoot, `${token}.lock`);
  // Lock under a temp name, then rename: a recoverer never sees the lock file unlocked.
  const tmp = path.join(stagingRoot, `.tmp-${token}.lock`);
  const lock = FileLock.hold(tmp);
  try {
    renameSync(tmp, lockFile);
  } catch (err) {
    lock.release();
    rmSync(tmp, { force: true });
    throw err;
  }
  const owner: Owner = { token, lock, lockFile, refs: 1 };
  owners.set(stagingRoot, owner);
  return owner;
}

function releaseOwner(stagingRoot: string): void {
  const owner = owners.get(stagingRoot);
  if (!owner || --owner.refs > 0) return;
  owners.delete(stagingRoot);
  rmSync(owner.lockFile, { force: true });
  owner.lock.release();
}

function pidIsAlive(pid: number): boolean {
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
  private owner: Owner | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.stagingRoot = path.join(this.root, '.staging');
  }

  /**
   * This process's owner token for the staging root, claimed (lock taken) on first use. Staging
   * areas carry it; `close()` gives it up.
   */
  ownerToken(): string {
    try {
      this.owner ??= claimOwner(this.stagingRoot);
    } catch (err) {
      throw storageError(err, `cannot claim the blob staging folder ${this.stagingRoot}`);
    }
    return this.owner.token;
  }

  /** Gives up this store's claim on the staging root (the lock file goes when no registry of this process uses it). */
  close(): void {
    if (!this.owner) return;
    this.owner = undefined;
    releaseOwner(this.stagingRoot);
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
      throw storageError(err, `cannot write blob ${hash}`);
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
    return new BlobStaging(this, path.join(this.stagingRoot, `${this.ownerToken()}-${randomBytes(6).toString('hex')}`));
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
   * Finishes staging areas left by processes that are gone (their owner's lock can be taken):
   * blobs the database references are moved into place (after a checksum check), the rest are
   * deleted. Areas of live processes, this one included, are left alone. Returns what was done.
   */
  async recoverStaging(referenced: (hashes: string[]) => Promise<Set<string>>): Promise<{ adopted: number; discarded: number }> {
    let names: string[];
    try {
      names = await readdir(this.stagingRoot);
    } catch {
      return { adopted: 0, discarded: 0 };
    }
    const mine = this.owner?.token;
    const areasOf = new Map<string, string[]>();
    const lockFiles = new Set<string>();
    const legacy: string[] = [];
    for (const name of names) {
      const area = AREA_RE.exec(name);
      const lock = LOCK_RE.exec(name);
      if (area) areasOf.set(area[1], [...(areasOf.get(area[1]) ?? []), name]);
      else if (lock) lockFiles.add(lock[1]);
      else if (LEGACY_AREA_RE.test(name)) legacy.push(name);
      else if (TMP_LOCK_RE.test(name)) {
        const file = path.join(this.stagingRoot, name);
        const stale = FileLock.probeOrNull(file);
        if (stale) {
          await rm(file, { force: true });
          stale.release();
        }
      }
    }
    const total = { adopted: 0, discarded: 0 };
    const add = (r: { adopted: number; discarded: number }) => {
      total.adopted += r.adopted;
      total.discarded += r.discarded;
    };
    for (const token of new Set([...areasOf.keys(), ...lockFiles])) {
      if (token === mine || !OWNER_RE.test(token)) continue;
      const lockFile = path.join(this.stagingRoot, `${token}.lock`);
      // No lock file: its owner is gone (a live owner's lock file exists before its first area).
      const lock = lockFiles.has(token) ? FileLock.probeOrNull(lockFile) : null;
      if (lockFiles.has(token) && !lock) continue; // held: the owner is alive
      try {
        for (const name of areasOf.get(token) ?? []) add(await this.recoverArea(path.join(this.stagingRoot, name), referenced));
        await rm(lockFile, { force: true });
      } finally {
        lock?.release();
      }
    }
    // Areas of a partprint older than owner locks are named by PID: this process never writes
    // such areas, so one named with our own PID is a previous incarnation's.
    for (const name of legacy) {
      const pid = Number(name.split('-')[0]);
      if (pid !== process.pid && pid > 0 && pidIsAlive(pid)) continue;
      add(await this.recoverArea(path.join(this.stagingRoot, name), referenced));
    }
    return total;
  }

  private async recoverArea(dir: string, referenced: (hashes: string[]) => Promise<Set<string>>): Promise<{ adopted: number; discarded: number }> {
    let adopted = 0;
    let discarded = 0;
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
      throw storageError(err, `cannot stage blob ${hash}`);
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
