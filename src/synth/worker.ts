/** Worker-thread entry: renders the jobs it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { runRenderJob, type RenderJob } from './jobs.js';

parentPort?.on('message', (msg: { i: number; job: RenderJob }) => {
  runRenderJob(msg.job).then(
    (result) => parentPort!.postMessage({ i: msg.i, result }),
    (err: unknown) => parentPort!.postMessage({ i: msg.i, error: err instanceof Error ? err.message : String(err) }),
  );
});
