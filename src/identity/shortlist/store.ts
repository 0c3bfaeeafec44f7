/**
 * The shortlist index of one registry as files under DATA/identity, kept current with the
 * database, behind ONE lock: additions and rebuilds are serialised (index files are written under
 * a per-process temp name, so two concurrent saves would collide), and readers wait for a write in
 * progress instead of reading a half-updated index.
 */
import { ShortlistIndex } from './shortlist.js';
import type { FeatureSet } from '../types.js';

export interface IndexSource {
  /** Count and largest capture id of the current fingerprints in the database. */
  stats(): Promise<{ count: number; maxCaptureId: number }>;
  /** Every current fingerprint, by capture id (after bringing stale ones up to date). */
  entries(): Promise<Array<{ captureId: number; features: FeatureSet }>>;
}

export class ShortlistStore {
  private index: ShortlistIndex | null = null;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly fingerprintVersion: string,
    private readonly source: IndexSource,
  ) {}

  /** Runs `fn` alone (after every write queued before it). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  /** The index, loaded from disk or rebuilt from the database when missing or stale; null when nothing is registered. */
  current(): Promise<ShortlistIndex | null> {
    return this.exclusive(() => this.currentUnlocked());
  }

  private async currentUnlocked(): Promise<ShortlistIndex | null> {
    const stats = await this.source.stats();
    const fresh = (s: ShortlistIndex | null) => s !== null && s.meta.fingerprintVersion === this.fingerprintVersion && s.meta.count === stats.count && s.meta.maxCaptureId === stats.maxCaptureId;
    if (fresh(this.index)) return this.index;
    this.index = await ShortlistIndex.load(this.dir);
    if (fresh(this.index)) return this.index;
    return this.rebuildUnlocked();
  }

  /** Rebuilds from every current fingerprint in the database. */
  rebuild(): Promise<ShortlistIndex | null> {
    return this.exclusive(() => this.rebuildUnlocked());
  }

  private async rebuildUnlocked(): Promise<ShortlistIndex | null> {
    const entries = await this.source.entries();
    if (entries.length === 0) {
      this.index = null;
      return null;
    }
    const index = ShortlistIndex.build(entries, this.fingerprintVersion);
    await index.save(this.dir);
    this.index = index;
    return index;
  }

  /**
   * Runs `store` (the database write of a new fingerprint) and adds its result to the index, under
   * the lock: the index is brought current BEFORE the write, so the addition is the only change.
   */
  addAfter<T extends { captureId: number }>(features: FeatureSet, store: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const index = await this.currentUnlocked();
      const stored = await store();
      if (index) {
        index.add(stored.captureId, features);
        await index.save(this.dir);
      } else await this.rebuildUnlocked();
      return stored;
    });
  }
}
