/**
 * Runs render jobs over worker threads (one per core by default), or in this thread when one
 * worker is asked for or the worker script cannot be found (e.g. inside a single-file bundle).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { SynthError, type ProgressListener } from '../core/index.js';
import { runRenderJob, type RenderJob, type RenderResult } from './jobs.js';
import { runMouldJob, type MouldRenderJob, type MouldRenderResult } from './mould/jobs.js';

type AnyJob = RenderJob | MouldRenderJob;
type AnyResult = RenderResult | MouldRenderResult;

/** Runs a job of either generator (the mould generator's jobs carry `generator: 'mould'`). */
function runAnyJob(job: AnyJob): Promise<AnyResult> {
  return 'generator' in job && job.generator === 'mould' ? runMouldJob(job) : runRenderJob(job as RenderJob);
}

/** Renders the jobs this worker thread is sent, one at a time, and posts each result back. */
export function serveRenderJobs(): void {
  parentPort?.on('message', (msg: { i: number; job: AnyJob }) => {
    runAnyJob(msg.job).then(
      (result) => parentPort!.postMessage({ i: msg.i, result }),
      (err: unknown) => parentPort!.postMessage({ i: msg.i, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

const BUNDLE_WORKER_FLAG = 'partprintSynthWorker';
// Inside a single-file bundle the bundle itself is started as the worker, with this flag.
if (!isMainThread && (workerData as Record<string, unknown> | null)?.[BUNDLE_WORKER_FLAG] === true) serveRenderJobs();

export interface PoolOptions {
  /** Worker threads; 1 = run in this thread. */
  workers?: number;
  onProgress?: ProgressListener;
  phase?: string;
}

function workerScript(): { url: URL; bundle: boolean } | undefined {
  const self = new URL(import.meta.url);
  if (self.protocol !== 'file:') return undefined;
  for (const name of ['./worker.js', './worker.ts']) {
    const url = new URL(name, self);
    if (existsSync(fileURLToPath(url))) {
      // A .ts worker is started through tsx, and only when this module itself runs as TypeScript.
      if (name.endsWith('.ts') && !self.pathname.endsWith('.ts')) return undefined;
      return { url, bundle: false };
    }
  }
  // This module is not pool.js/pool.ts: it was bundled into one file, which can serve as its own worker.
  if (!/[\\/]pool\.[jt]s$/.test(fileURLToPath(self)) && /\.m?js$/.test(self.pathname)) return { url: self, bundle: true };
  return undefined;
}

export function runJobs(jobs: RenderJob[], options?: PoolOptions): Promise<RenderResult[]>;
export function runJobs(jobs: MouldRenderJob[], options?: PoolOptions): Promise<MouldRenderResult[]>;
export async function runJobs(jobs: AnyJob[], options: PoolOptions = {}): Promise<AnyResult[]> {
  const phase = options.phase ?? 'render';
  const report = options.onProgress ?? (() => {});
  const results = new Array<AnyResult>(jobs.length);
  let done = 0;
  report({ phase, done, total: jobs.length });
  const script = workerScript();
  // Starting a worker costs a second or two (more under tsx): small batches run here.
  const nWorkers = jobs.length < 32 ? 1 : Math.min(options.workers ?? 1, jobs.length);
  if (nWorkers <= 1 || !script) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runAnyJob(jobs[i]);
      report({ phase, done: ++done, total: jobs.length, detail: results[i].serial });
    }
    return results;
  }
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let failed = false;
    let alive = nWorkers;
    const stopAll = () => {
      for (const w of workers) void w.terminate();
    };
    const feed = (w: Worker) => {
      if (failed) return;
      if (next >= jobs.length) {
        void w.terminate();
        return;
      }
      const i = next++;
      w.postMessage({ i, job: jobs[i] });
    };
    for (let k = 0; k < nWorkers; k++) {
      const w = script.bundle
        ? new Worker(script.url, { workerData: { [BUNDLE_WORKER_FLAG]: true } })
        : script.url.pathname.endsWith('.ts')
          ? // Under tsx: register its loader inside the worker, then load the TypeScript entry.
            new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(script.url.href)}); })`, { eval: true })
          : new Worker(script.url);
      workers.push(w);
      w.on('message', (msg: { i: number; result?: AnyResult; error?: string }) => {
        if (msg.error !== undefined) {
          failed = true;
          stopAll();
          reject(new SynthError(`rendering ${jobs[msg.i].file} failed: ${msg.error}`));
          return;
        }
        results[msg.i] = msg.result!;
        report({ phase, done: ++done, total: jobs.length, detail: msg.result!.serial });
        feed(w);
      });
      w.on('error', (err: Error) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(new SynthError(`synth worker failed: ${err.message}`, { cause: err }));
      });
      w.on('exit', () => {
        alive--;
        if (alive === 0 && !failed) resolve();
      });
      feed(w);
    }
  });
  return results;
}
