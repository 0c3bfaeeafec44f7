/**
 * Worker-thread side of `ShortlistThread` (thread.ts): holds the one in-memory ShortlistIndex and
 * runs every operation on it (load, build, add + save, search) in message order, so the LSH work
 * never runs on the server's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../core/index.js';
import { decodeFeatureSet } from '../fingerprint/serialise.js';
import type { FeatureSet } from '../types.js';
import { ShortlistIndex } from './shortlist.js';
import type { ShortlistReply, ShortlistRequest, ShortlistSummary } from './thread.js';

// Below the event loop of the process that started it (a server's), like its compute threads.
lowerThreadPriority(Number(process.env.PARTPRINT_COMPUTE_NICE ?? 5));

let index: ShortlistIndex | null = null;
/** Entries sent page by page for the next build. */
let staged: Array<{ captureId: number; features: FeatureSet }> = [];

function decoded(entries: Array<{ captureId: number; encoded?: Uint8Array; features?: FeatureSet }>) {
  return entries.map((e) => ({ captureId: e.captureId, features: e.features ?? decodeFeatureSet(e.encoded!, `fingerprint of capture ${e.captureId}`) }));
}

function summary(): ShortlistSummary | null {
  return index ? { size: index.size, bytes: index.bytes, meta: { ...index.meta, mainSlots: [] } } : null;
}

async function handle(req: ShortlistRequest): Promise<unknown> {
  switch (req.op) {
    case 'current':
      return summary();
    case 'load':
      index = await ShortlistIndex.load(req.dir);
      return summary();
    case 'stage':
      if (req.reset) staged = [];
      staged.push(...decoded(req.entries));
      return staged.length;
    case 'build': {
      const entries = [...staged, ...decoded(req.entries)];
      staged = [];
      index = entries.length === 0 ? null : ShortlistIndex.build(entries, req.fingerprintVersion);
      if (index) await index.save(req.dir);
      return summary();
    }
    case 'add':
      if (!index) throw new Error('shortlist thread: add before load or build');
      index.add(req.captureId, req.features as FeatureSet);
      await index.save(req.dir);
      return summary();
    case 'search':
      return index ? index.search(req.features, req.k) : [];
    case 'drop':
      index = null;
      return null;
  }
}

parentPort!.on('message', (req: ShortlistRequest & { id: number }) => {
  handle(req).then(
    (value) => parentPort!.postMessage({ id: req.id, value } satisfies ShortlistReply),
    (err: unknown) => parentPort!.postMessage({ id: req.id, error: (err as Error).message ?? String(err) } satisfies ShortlistReply),
  );
});
