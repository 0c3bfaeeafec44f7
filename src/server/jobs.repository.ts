/** Background jobs in the `jobs` table. */
import type { ProgressEvent } from '../core/index.js';
import type { JobRow, ServerDb } from './tables.js';

/** `interrupted`: the server stopped (or was killed) before the job finished. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface Job {
  id: number;
  kind: string;
  status: JobStatus;
  params: Record<string, unknown>;
  progress: ProgressEvent | null;
  result: unknown;
  error: string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function toJob(row: Omit<JobRow, 'id'> & { id: number }): Job {
  return {
    id: Number(row.id),
    kind: row.kind,
    status: row.status as JobStatus,
    params: (parse(row.params) ?? {}) as Record<string, unknown>,
    progress: parse(row.progress) as ProgressEvent | null,
    result: parse(row.result),
    error: row.error,
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export class JobsRepository {
  constructor(private readonly db: ServerDb) {}

  async insert(kind: string, params: Record<string, unknown>, createdBy: string | null): Promise<Job> {
    const row = await this.db
      .insertInto('jobs')
      .values({ kind, status: 'queued', params: JSON.stringify(params), created_by: createdBy, created_at: new Date().toISOString() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJob(row);
  }

  async get(id: number): Promise<Job | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  async list(limit: number, offset: number): Promise<{ items: Job[]; total: number }> {
    const rows = await this.db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(limit).offset(offset).execute();
    const total = await this.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { items: rows.map(toJob), total: Number(total.n) };
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('jobs').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async markRunning(id: number): Promise<void> {
    await this.db.updateTable('jobs').set({ status: 'running', started_at: new Date().toISOString() }).where('id', '=', id).execute();
  }

  async setProgress(id: number, progress: ProgressEvent): Promise<void> {
    await this.db.updateTable('jobs').set({ progress: JSON.stringify(progress) }).where('id', '=', id).execute();
  }

  async finish(id: number, outcome: { status: 'succeeded'; result: unknown } | { status: 'failed'; error: string; result?: unknown }, progress: ProgressEvent | null): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({
        status: outcome.status,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        error: outcome.status === 'failed' ? outcome.error : null,
        progress: progress === null ? null : JSON.stringify(progress),
        finished_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Marks a job succeeded with its result inside the caller's transaction (`db`: the handler's
   * own), so the job row commits with the work: a kill after that COMMIT leaves it succeeded.
   */
  async succeedIn(db: ServerDb, id: number, result: unknown): Promise<void> {
    await db.updateTable('jobs').set({ status: 'succeeded', result: JSON.stringify(result), error: null, finished_at: new Date().toISOString() }).where('id', '=', id).execute();
  }

  /**
   * Jobs left queued or running by a previous process cannot resume: marks them interrupted
   * (with `message(job)` as the error) and returns them as they were.
   */
  async interruptUnfinished(message: (job: Job) => string): Promise<Job[]> {
    const rows = await this.db.selectFrom('jobs').selectAll().where('status', 'in', ['queued', 'running']).execute();
    const jobs = rows.map(toJob);
    for (const job of jobs) {
      await this.db
        .updateTable('jobs')
        .set({ status: 'interrupted', error: message(job), finished_at: new Date().toISOString() })
        .where('id', '=', job.id)
        .where('status', 'in', ['queued', 'running'])
        .execute();
    }
    return jobs;
  }
}
