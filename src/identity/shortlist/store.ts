/**
 * The shortlist index of one registry as files under DATA/identity, kept current with the
 * database, behind ONE lock: additions and rebuilds are serialised (index files are written under
 * a per-process temp name, so two concurrent saves would collide), and readers wait for a write in
 * progress instead of reading a half-updated index.
 *
 * The index lives in this thread (the CLI), or on a `ShortlistThread` (the server: search, additions,
 * merges and rebuilds off the event loop); the answers are the same, the index code is the same.
 */
import { ShortlistIndex, type ShortlistHit, type ShortlistMeta } from './shortlist.js';
import type { ShortlistSummary, ShortlistThread } from './thread.js';
import type { FeatureSet } from '../types.js';

export interface IndexSource {
  /** Count and largest capture id of the current fingerprints in the database. */
  stats(): Promise<{ count: number; maxCaptureId: number }>;
  /** Every current fingerprint, by capture id (after bringing stale ones up to date). */
  entries(): Promise<Array<{ captureId: number; features: FeatureSet }>>;
  /** The same, still encoded as stored (decoded by the index thread), page by page; optional. */
  encodedPages?(): AsyncIterable<Array<{ captureId: number; encoded: Uint8Array }>>;
}

/** What callers see of the index: its size and meta, and the search. */
export interface Shortlist {
  readonly size: number;
  readonly meta: ShortlistMeta;
  /** Bytes of the in-memory index. */
  readonly bytes: number;
  search(features: FeatureSet, k: number): Promise<ShortlistHit[]>;
}

/** An index in this thread. */
class LocalShortlist implements Shortlist {
  constructor(readonly index: ShortlistIndex) {}
  get size() {
    return this.index.size;
  }
  get meta() {
    return this.index.meta;
  }
  get bytes() {
    return this.index.bytes;
  }
  search(features: FeatureSet, k: number): Promise<ShortlistHit[]> {
    return Promise.resolve(this.index.search(features, k));
  }
}

/** The index on the thread, as last reported by it. */
class ThreadShortlist implements Shortlist {
  constructor(
    private readonly thread: ShortlistThread,
    private readonly summary: ShortlistSummary,
  ) {}
  get size() {
    return this.summary.size;
  }
  get meta() {
    return this.summary.meta;
  }
  get bytes() {
    return this.summary.bytes;
  }
  search(features: FeatureSet, k: number): Promise<ShortlistHit[]> {
    return this.thread.search(features, k);
  }
}

export class ShortlistStore {
  private view: Shortlist | null = null;
  private ownLock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly fingerprintVersion: string,
    private readonly source: IndexSource,
    private readonly thread?: ShortlistThread,
  ) {}

  /** Runs `fn` alone (after every write queued before it; stores sharing a thread share its lock). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const holder = this.thread ?? this;
    const prev = holder === this ? this.ownLock : this.thread!.lock;
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    if (holder === this) this.ownLock = settled;
    else this.thread!.lock = settled;
    return next;
  }

  /** The index, loaded from disk or rebuilt from the database when missing or stale; null when nothing is registered. */
  current(): Promise<Shortlist | null> {
    return this.exclusive(() => this.currentUnlocked());
  }

  private wrap(summary: ShortlistSummary | null): Shortlist | null {
    return summary && this.thread ? new ThreadShortlist(this.thread, summary) : null;
  }

  private async currentUnlocked(): Promise<Shortlist | null> {
    const stats = await this.source.stats();
    const fresh = (s: Shortlist | null) => s !== null && s.meta.fingerprintVersion === this.fingerprintVersion && s.meta.count === stats.count && s.meta.maxCaptureId === stats.maxCaptureId;
    if (fresh(this.view)) return this.view;
    if (this.thread) {
      // another store on the same thread may have brought it current already; else load the files
      this.view = this.wrap(await this.thread.current());
      if (fresh(this.view)) return this.view;
      this.view = this.wrap(await this.thread.load(this.dir));
    } else {
      const loaded = await ShortlistIndex.load(this.dir);
      this.view = loaded ? new LocalShortlist(loaded) : null;
    }
    if (fresh(this.view)) return this.view;
    return this.rebuildUnlocked();
  }

  /** Rebuilds from every current fingerprint in the database. */
  rebuild(): Promise<Shortlist | null> {
    return this.exclusive(() => this.rebuildUnlocked());
  }

  private async rebuildUnlocked(): Promise<Shortlist | null> {
    if (this.thread) {
      // (reset: entries left staged by a rebuild that failed half-way are not built into this one)
      await this.thread.stage([], true);
      if (this.source.encodedPages) for await (const page of this.source.encodedPages()) await this.thread.stage(page);
      this.view = this.wrap(await this.thread.build(this.dir, this.fingerprintVersion, this.source.encodedPages ? [] : await this.source.entries()));
      return this.view;
    }
    const entries = await this.source.entries();
    if (entries.length === 0) {
      this.view = null;
      return null;
    }
    const index = ShortlistIndex.build(entries, this.fingerprintVersion);
    await index.save(this.dir);
    this.view = new LocalShortlist(index);
    return this.view;
  }

  /**
   * Runs `store` (the database write of a new fingerprint) and adds its result to the index, under
   * the lock: the index is brought current BEFORE the write, so the addition is the only change.
   */
  addAfter<T extends { captureId: number }>(features: FeatureSet, store: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const view = await this.currentUnlocked();
      const stored = await store();
      if (!view) await this.rebuildUnlocked();
      else if (view instanceof LocalShortlist) {
        view.index.add(stored.captureId, features);
        await view.index.save(this.dir);
      } else this.view = this.wrap(await this.thread!.add(this.dir, stored.captureId, features));
      return stored;
    });
  }
}
