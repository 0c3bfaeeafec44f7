/**
 * Runs render jobs on a piscina pool of worker threads (one per core by default), or in this
 * thread when one worker is asked for, the batch is small, or the worker script cannot be found
 * (e.g. inside a single-file bundle, which has no worker.js beside it).
 */
import { Piscina } from 'piscina';
import { SynthError, workerFile, type ProgressListener } from '../core/index.js';
import { runRenderJob, type RenderJob, type RenderResult } from './jobs.js';
import { runMouldJob, type MouldRenderJob, type MouldRenderResult } from './mould/jobs.js';

type AnyJob = RenderJob | MouldRenderJob;
type AnyResult = RenderResult | MouldRenderResult;

/** Runs a job of either generator (the mould generator's jobs carry `generator: 'mould'`). */
export function runAnyJob(job: AnyJob): Promise<AnyResult> {
  return 'generator' in job && job.generator === 'mould' ? runMouldJob(job) : runRenderJob(job as RenderJob);
}

export interface PoolOptions {
  /** Worker threads; 1 = run in this thread. */
  workers?: number;
  onProgress?: ProgressListener;
  phase?: string;
}

export function runJobs(jobs: RenderJob[], options?: PoolOptions): Promise<RenderResult[]>;
export function runJobs(jobs: MouldRenderJob[], options?: PoolOptions): Promise<MouldRenderResult[]>;
export async function runJobs(jobs: AnyJob[], options: PoolOptions = {}): Promise<AnyResult[]> {
  const phase = options.phase ?? 'render';
  const report = options.onProgress ?? (() => {});
  const results = new Array<AnyResult>(jobs.length);
  let done = 0;
  report({ phase, done, total: jobs.length });
  // Starting a worker costs a second or two (more under tsx): small batches run here.
  const nWorkers = jobs.length < 32 ? 1 : Math.min(options.workers ?? 1, jobs.length);
  const filename = nWorkers > 1 ? workerFile('worker', import.meta.url) : undefined;
  if (!filename) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runAnyJob(jobs[i]);
      report({ phase, done: ++done, total: jobs.length, detail: results[i].serial });
    }
    return results;
  }
  const pool = new Piscina<AnyJob, AnyResult>({ filename, minThreads: nWorkers, maxThreads: nWorkers });
  try {
    // Two jobs in flight per thread, so progress follows the work and a failure stops the rest.
    let failed: SynthError | null = null;
    let next = 0;
    const lane = async () => {
      while (failed === null && next < jobs.length) {
        const i = next++;
        try {
          results[i] = await pool.run(jobs[i]);
        } catch (err) {
          failed ??= new SynthError(`rendering ${jobs[i].file} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          return;
        }
        report({ phase, done: ++done, total: jobs.length, detail: results[i].serial });
      }
    };
    await Promise.all(Array.from({ length: nWorkers * 2 }, lane));
    if (failed) throw failed;
    return results;
  } finally {
    await pool.destroy();
  }
}
