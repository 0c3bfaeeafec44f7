/**
 * In-process job runner: jobs are rows in `jobs`; one runs at a time, in submission order. Each
 * kind has a handler that reports progress; progress is stored (at most every 200 ms) and pushed
 * to listeners (the SSE route).
 */
import { EventEmitter } from 'node:events';
import { PartprintError, type ProgressEvent, type ProgressListener } from '../core/index.js';
import type { Job, JobsRepository } from './jobs.repository.js';
import { serverDb } from './tables.js';

export interface JobContext {
  onProgress: ProgressListener;
  actor: string | null;
  jobId: number;
  /**
   * Marks the job succeeded with `result` inside the handler's own database transaction `trx`,
   * so that the job's state commits together with its work (a kill right after the COMMIT
   * leaves the job succeeded, not interrupted).
   */
  succeedIn(trx: unknown, result: unknown): Promise<void>;
}

export type JobHandler = (params: Record<string, unknown>, ctx: JobContext) => Promise<unknown>;

export interface JobKindOptions {
  /** What an interruption meant for this kind (the job's error text); default: nothing known. */
  interruptedMessage?: (job: Job) => string;
  /** Clean-up after a job of this kind was interrupted (at start), e.g. its upload folder. */
  onInterrupted?: (job: Job) => Promise<void>;
}

const INTERRUPTED = 'interrupted: the server stopped before the job finished';

/** What listeners receive: the job row after each change. */
export type JobUpdate = Job;

const STORE_EVERY_MS = 200;

export class JobsService {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly kindOptions = new Map<string, JobKindOptions>();
  private readonly events = new EventEmitter();
  private readonly queue: number[] = [];
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly repo: JobsRepository) {
    this.events.setMaxListeners(0);
  }

  /** Registers the handler for a kind of job (e.g. "import-parts"). */
  define(kind: string, handler: JobHandler, options: JobKindOptions = {}): void {
    this.handlers.set(kind, handler);
    this.kindOptions.set(kind, options);
  }

  kinds(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /**
   * At start: jobs a stopped or killed server left queued or running are marked interrupted
   * (each kind says what that means) and cleaned up. Returns how many there were.
   */
  async start(): Promise<number> {
    const jobs = await this.repo.interruptUnfinished((job) => this.kindOptions.get(job.kind)?.interruptedMessage?.(job) ?? INTERRUPTED);
    for (const job of jobs) await this.kindOptions.get(job.kind)?.onInterrupted?.(job).catch(() => undefined);
    return jobs.length;
  }

  /** Queues a job and returns its row (status "queued"). */
  async submit(kind: string, params: Record<string, unknown>, actor: string | null): Promise<Job> {
    if (!this.handlers.has(kind)) throw new PartprintError(`unknown job kind "${kind}" (known: ${this.kinds().join(', ') || 'none'})`, { code: 'BAD_INPUT' });
    if (this.closed) throw new PartprintError('the server is shutting down; no new jobs', { code: 'CONFLICT' });
    const job = await this.repo.insert(kind, params, actor);
    this.queue.push(job.id);
    this.pump();
    return job;
  }

  async get(id: number): Promise<Job> {
    const job = await this.repo.get(id);
    if (!job) throw new PartprintError(`no job with id ${id}`, { code: 'NOT_FOUND' });
    return job;
  }

  list(limit: number, offset: number): Promise<{ items: Job[]; total: number }> {
    return this.repo.list(limit, offset);
  }

  countByStatus(): Promise<Record<string, number>> {
    return this.repo.countByStatus();
  }

  /** Calls `listener` with the job after each change; returns the unsubscribe function. */
  subscribe(id: number, listener: (job: JobUpdate) => void): () => void {
    const name = `job:${id}`;
    this.events.on(name, listener);
    return () => this.events.off(name, listener);
  }

  /** Resolves when the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await this.idle();
  }

  private pump(): void {
    if (this.running) return;
    this.running = (async () => {
      while (this.queue.length > 0) {
        const id = this.queue.shift() as number;
        await this.runOne(id);
      }
    })().finally(() => {
      this.running = null;
    });
  }

  private async emit(id: number): Promise<void> {
    const job = await this.repo.get(id);
    if (job) this.events.emit(`job:${id}`, job);
  }

  private async runOne(id: number): Promise<void> {
    const job = await this.repo.get(id);
    if (!job) return;
    const handler = this.handlers.get(job.kind) as JobHandler;
    await this.repo.markRunning(id);
    await this.emit(id);
    let last: ProgressEvent | null = null;
    let storedAt = 0;
    let storing: Promise<void> = Promise.resolve();
    const onProgress: ProgressListener = (event) => {
      last = { ...event };
      const now = Date.now();
      if (now - storedAt < STORE_EVERY_MS && event.done < event.total) return;
      storedAt = now;
      const snapshot = last;
      storing = storing.then(async () => {
        await this.repo.setProgress(id, snapshot);
        await this.emit(id);
      }).catch(() => undefined);
    };
    try {
      const succeedIn = (trx: unknown, result: unknown) => this.repo.succeedIn(serverDb(trx), id, result);
      const result = await handler(job.params, { onProgress, actor: job.createdBy, jobId: id, succeedIn });
      await storing;
      await this.repo.finish(id, { status: 'succeeded', result }, last);
    } catch (err) {
      await storing;
      const message = err instanceof Error ? err.message : String(err);
      // A handler may attach a structured result to its error (e.g. the rejected rows of an import).
      const result = (err as { result?: unknown } | null)?.result;
      await this.repo.finish(id, { status: 'failed', error: message, result }, last);
    }
    await this.emit(id);
  }
}
