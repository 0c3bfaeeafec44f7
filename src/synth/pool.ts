/**
 * Runs render jobs over worker threads (one per core by default), or in this thread when one
 * worker is asked for or the worker script cannot be found (e.g. inside a single-file bundle).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SynthError, type ProgressListener } from '../core/index.js';
import { runRenderJob, type RenderJob, type RenderResult } from './jobs.js';

export interface PoolOptions {
  /** Worker threads; 1 = run in this thread. */
  workers?: number;
  onProgress?: ProgressListener;
  phase?: string;
}

function workerScript(): URL | undefined {
  for (const name of ['./worker.js', './worker.ts']) {
    const url = new URL(name, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) {
      // A .ts worker only loads when this process runs under a TypeScript loader (tsx).
      if (name.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx'))) return undefined;
      return url;
    }
  }
  return undefined;
}

export async function runJobs(jobs: RenderJob[], options: PoolOptions = {}): Promise<RenderResult[]> {
  const phase = options.phase ?? 'render';
  const report = options.onProgress ?? (() => {});
  const results = new Array<RenderResult>(jobs.length);
  let done = 0;
  report({ phase, done, total: jobs.length });
  const script = workerScript();
  const nWorkers = Math.min(options.workers ?? 1, jobs.length);
  if (nWorkers <= 1 || !script) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runRenderJob(jobs[i]);
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
      const w = script.pathname.endsWith('.ts')
        ? // Under tsx: register its loader inside the worker, then load the TypeScript entry.
          new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`, { eval: true })
        : new Worker(script);
      workers.push(w);
      w.on('message', (msg: { i: number; result?: RenderResult; error?: string }) => {
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
