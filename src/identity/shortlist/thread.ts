/**
 * The shortlist index on its own worker thread: a server keeps its event loop free of the LSH
 * search (tens of ms per probe at 10k captures), of the additions and merges (seconds at 100k) and
 * of rebuilds. One thread holds the one in-memory index (not a copy per compute thread); requests
 * are plain messages answered in order. `ShortlistStore` uses it when given one (see store.ts).
 */
import { Worker } from 'node:worker_threads';
import { IdentityError, workerFile } from '../../core/index.js';
import type { FeatureSet } from '../types.js';
import type { ShortlistHit, ShortlistMeta } from './shortlist.js';

/** What the main thread keeps of the index: enough for the freshness check and `size`. */
export interface ShortlistSummary {
  size: number;
  bytes: number;
  /** The index's meta without the slot list. */
  meta: ShortlistMeta;
}

export type ShortlistRequest =
  | { op: 'current' }
  | { op: 'load'; dir: string }
  | { op: 'build'; dir: string; fingerprintVersion: string; entries: Array<{ captureId: number; encoded?: Uint8Array; features?: FeatureSet }> }
  | { op: 'stage'; reset: boolean; entries: Array<{ captureId: number; encoded?: Uint8Array; features?: FeatureSet }> }
  | { op: 'add'; dir: string; captureId: number; features: FeatureSet }
  | { op: 'search'; features: FeatureSet; k: number }
  | { op: 'drop' };

export type ShortlistReply = { id: number; value: unknown } | { id: number; error: string };

export class ShortlistThread {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Writes of every ShortlistStore using this thread queue here (one index, one lock). */
  lock: Promise<unknown> = Promise.resolve();

  constructor() {
    const file = workerFile('thread-worker', import.meta.url);
    if (!file) throw new IdentityError('shortlist thread (identity/shortlist/thread-worker.js) not found: run "npm run build"', { code: 'CONFIG' });
    this.worker = new Worker(file);
    this.worker.on('message', (m: ShortlistReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if ('error' in m) w.reject(new IdentityError(`shortlist index: ${m.error}`, { code: 'INTERNAL' }));
      else w.resolve(m.value);
    });
    this.worker.on('error', (err: unknown) => this.failAll(err instanceof Error ? err : new Error(String(err))));
    this.worker.on('exit', (code) => this.failAll(new IdentityError(`shortlist thread exited (${code})`, { code: 'INTERNAL' })));
    // an idle index thread does not keep a CLI process alive
    this.worker.unref();
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private call<T>(req: ShortlistRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ ...req, id }, transfer);
    }).finally(() => {
      if (this.waiting.size === 0) this.worker.unref();
    });
  }

  /** The index the thread holds now (another store may have changed it). */
  current(): Promise<ShortlistSummary | null> {
    return this.call({ op: 'current' });
  }

  load(dir: string): Promise<ShortlistSummary | null> {
    return this.call({ op: 'load', dir });
  }

  /**
   * Sends entries for the next `build` (a rebuild reads the database page by page, so neither the
   * read nor the copy blocks the caller's thread for the whole gallery). Their buffers are moved.
   */
  stage(entries: Array<{ captureId: number; encoded: Uint8Array }>, reset = false): Promise<number> {
    const transfer = entries.map((e) => e.encoded.buffer).filter((b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && entries[i].encoded.byteOffset === 0 && entries[i].encoded.byteLength === b.byteLength && all.indexOf(b) === i);
    return this.call({ op: 'stage', reset, entries }, transfer);
  }

  build(dir: string, fingerprintVersion: string, entries: Array<{ captureId: number; encoded?: Uint8Array; features?: FeatureSet }>): Promise<ShortlistSummary | null> {
    return this.call({ op: 'build', dir, fingerprintVersion, entries });
  }

  add(dir: string, captureId: number, features: FeatureSet): Promise<ShortlistSummary | null> {
    return this.call({ op: 'add', dir, captureId, features });
  }

  search(features: FeatureSet, k: number): Promise<ShortlistHit[]> {
    return this.call({ op: 'search', features, k });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
