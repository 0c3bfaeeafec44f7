/**
 * The server's compute pool: worker threads (piscina, one per core, at nice 5) for decoding,
 * fingerprint extraction, the verification of a request's shortlist with its decision (one task per
 * request) and source prediction, plugged into IdentityService as its `compute`; and the decode
 * budget that bounds how many image pixels are being decoded at once.
 *
 * From dist/ the threads load the compiled worker.js beside this file; under the TypeScript sources
 * (tsx, vitest) worker.ts through tsx (core's workerFile).
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { PartprintError, workerFile, type ErrorCode } from '../../core/index.js';
import type { FeatureSet, FingerprintResult, GalleryRanking, IdentityCompute as Compute } from '../../identity/index.js';
import type { GreyImage } from '../../imaging/index.js';
import type { SourcePrediction } from '../../source/index.js';
import { HttpError } from '../http-errors.js';
import type { ComputeAnswer, ComputeTask } from './worker.js';

export type IdentityCompute = Compute;

export interface ComputePoolOptions {
  /** Worker threads (default: the core count). */
  threads?: number;
  /** Largest image a worker decodes (the server's pixel limit). */
  maxPixels: number;
}

export class ComputePool implements IdentityCompute {
  private readonly pool: Piscina<ComputeTask, ComputeAnswer>;
  private readonly maxPixels: number;
  readonly threads: number;

  constructor(options: ComputePoolOptions) {
    const threads = Math.max(1, options.threads ?? os.availableParallelism());
    this.threads = threads;
    this.maxPixels = options.maxPixels;
    const filename = workerFile('worker', import.meta.url);
    if (!filename) throw new PartprintError('server compute worker (compute/worker.js) not found: run "npm run build"', { code: 'CONFIG' });
    this.pool = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  }

  private async run<T>(task: ComputeTask, transferList?: ArrayBuffer[]): Promise<T> {
    type RunOptions = NonNullable<Parameters<Piscina<ComputeTask, ComputeAnswer>['run']>[1]>;
    const out = await this.pool.run(task, transferList && transferList.length > 0 ? { transferList: transferList as unknown as RunOptions['transferList'] } : undefined);
    if (out && typeof out === 'object' && 'error' in out) throw new PartprintError(out.error.message, { code: out.error.code as ErrorCode });
    return out as T;
  }

  probe(image: Parameters<IdentityCompute['probe']>[0], fingerprint: Parameters<IdentityCompute['probe']>[1], meta: Parameters<IdentityCompute['probe']>[2], name: string | undefined): Promise<{ fp: FingerprintResult; dense: FeatureSet | null }> {
    return this.run({ kind: 'probe', image, fingerprint, meta, name, maxPixels: this.maxPixels });
  }

  /** Verification of a request's gallery captures and the decision over them: one task, on one thread. */
  rank(...[probe, entries, settings, profile, options]: Parameters<IdentityCompute['rank']>): Promise<GalleryRanking> {
    // The stored fingerprints (~4 MB at shortlist 100) are moved to the thread, not copied, where
    // each has a buffer of its own (the database driver's); copying them cost the event loop time and garbage.
    const transferList: ArrayBuffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    for (const e of entries) {
      const b = e.encoded?.buffer;
      if (b instanceof ArrayBuffer && !seen.has(b) && e.encoded!.byteOffset === 0 && e.encoded!.byteLength === b.byteLength) {
        seen.add(b);
        transferList.push(b);
      }
    }
    return this.run({ kind: 'rank', probe, entries, settings, profile, options }, transferList);
  }

  /** The probe relit by `turnDeg` (identity/fingerprint/relight.ts), when its own fingerprint matches too little. */
  async relit(...[normalised, turnDeg, fingerprint]: Parameters<NonNullable<IdentityCompute['relit']>>): Promise<FeatureSet | null> {
    return (await this.run<{ view: FeatureSet | null }>({ kind: 'relit', normalised, turnDeg, fingerprint })).view;
  }

  /** A synthetic recapture of a registered image (calibration). */
  recapture(image: GreyImage, seed: number): Promise<GreyImage> {
    return this.run({ kind: 'recapture', image, seed });
  }

  /** A source prediction of an image file with the model in `modelDir` (loaded once per thread, cached by `modelKey`). */
  predictSource(modelDir: string, modelKey: string, imageFile: string, name: string, options: { k: number; seed: number }): Promise<SourcePrediction> {
    return this.run({ kind: 'source', modelDir, modelKey, imageFile, name, k: options.k, seed: options.seed, maxPixels: this.maxPixels });
  }

  /** Tasks the worker threads have finished (for health and tests). */
  get completed(): number {
    return this.pool.completed;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/**
 * Admission for decoding: a request takes `pixels` from a shared budget before its image is
 * decoded and gives them back after; requests that do not fit wait in order, and a request that
 * waits longer than `maxWaitMs` is refused (503), so a burst of huge images queues instead of
 * taking the server's memory. One image larger than the whole budget runs alone.
 */
export class DecodeBudget {
  private inUse = 0;
  private running = 0;
  private readonly queue: Array<{ pixels: number; start: () => void }> = [];

  constructor(
    readonly budgetPixels: number,
    readonly maxConcurrent: number,
    readonly maxWaitMs = 120_000,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  private fits(pixels: number): boolean {
    if (this.running >= this.maxConcurrent) return false;
    return this.running === 0 || this.inUse + pixels <= this.budgetPixels;
  }

  async run<T>(pixels: number, fn: () => Promise<T>): Promise<T> {
    if (this.queue.length === 0 && this.fits(pixels)) this.take(pixels);
    else {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new HttpError(503, 'BUSY', `the server is busy decoding other images (${this.inUse} pixels being decoded, ${this.queue.length} waiting); retry later`, { 'retry-after': '5' }));
        }, this.maxWaitMs);
        // the budget is taken when the entry starts, so nobody can overtake a waiter on its way in
        const entry = {
          pixels,
          start: () => {
            clearTimeout(timer);
            this.take(pixels);
            resolve();
          },
        };
        this.queue.push(entry);
      });
    }
    try {
      return await fn();
    } finally {
      this.inUse -= pixels;
      this.running--;
      while (this.queue.length > 0 && this.fits(this.queue[0].pixels)) this.queue.shift()!.start();
    }
  }

  private take(pixels: number): void {
    this.inUse += pixels;
    this.running++;
  }
}
