/**
 * Line registration throughput: a registry prefilled with G parts (real synthetic part surfaces of
 * four machines, fingerprinted at registry resolution: bench/identity-distractors.ts), then
 * `partprint line watch` (a child process, as on the line) takes new synthetic parts that a feeder
 * writes into the watched folder at a fixed rate with the rename-in convention. Measured from the
 * watcher's NAME.result.json files: sustained registrations per second, delivery-to-done latency,
 * backlog, and the share of images the quality gate rejects.
 *
 * PARTPRINT_LINE_BENCH_SCALES=10000,100000 picks the registry sizes (default 10000);
 * PARTPRINT_LINE_BENCH_RATE (default 8 /s) and _PARTS (default 300) the feed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRng, deriveSeed } from '../src/core/index.js';
import { decodeFeatureSet, encodeFeatureSet, FINGERPRINT_KIND, IdentityService } from '../src/identity/index.js';
import { encodeGreyPng } from '../src/imaging/index.js';
import { inspectImage, openRegistry } from '../src/registry/index.js';
import { encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../src/synth/index.js';
import { CHUNK, defaultDistractorDir, generateDistractors, loadEncodedChunk } from './identity-distractors.js';
import type { BenchResult } from './run.js';
import { quantile } from './stats.js';

const SCALES = (process.env.PARTPRINT_LINE_BENCH_SCALES ?? '10000').split(',').map(Number);
const RATE = Number(process.env.PARTPRINT_LINE_BENCH_RATE ?? 8);
const PARTS = Number(process.env.PARTPRINT_LINE_BENCH_PARTS ?? 300);
/** Real distractor fingerprints used (bench/identity-distractors.ts); beyond them, perturbed clones (cloneDistractor). */
const REAL = Number(process.env.PARTPRINT_LINE_BENCH_REAL ?? Infinity);
/** New parts on the line: a seed of their own, all four processes. */
const FEED_CONFIG: SynthConfig = { seed: 4242, strength: 1, processes: ['FDM', 'SLA', 'MJF', 'DLS'], machines: 4, partsPerMachine: 2500 };
const BIN = path.resolve('bin/partprint.js');
const log = (m: string) => process.stderr.write(`[line ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/**
 * Distractor i beyond the REAL real ones: real fingerprint i mod REAL with every descriptor bit
 * flipped with probability 0.15 and keypoints moved by up to 2 px (seeded by i), so it is another
 * part to the shortlist (a 22-bit LSH key survives the flips in 3% of tables) with the same
 * keypoint count, size on disk and index footprint as a real one.
 */
function cloneDistractor(data: Uint8Array, i: number): Uint8Array {
  const f = decodeFeatureSet(data);
  const rng = createRng(deriveSeed(77, 'line-clone', i));
  const descriptors = Uint8Array.from(f.descriptors);
  for (let b = 0; b < descriptors.length; b++) {
    let mask = 0;
    for (let k = 0; k < 8; k++) if (rng.next() < 0.15) mask |= 1 << k;
    descriptors[b] ^= mask;
  }
  const keypoints = Float32Array.from(f.keypoints, (v) => v + rng.uniform(-2, 2));
  return encodeFeatureSet({ ...f, descriptors, keypoints });
}

async function prefill(dataDir: string, count: number): Promise<{ seconds: number; inserted: number; indexSeconds: number; real: number }> {
  const real = Math.min(count, REAL);
  await generateDistractors(real, defaultDistractorDir(), 2, (m) => log(`distractors: ${m}`));
  const placeholder = await inspectImage(await encodeGreyPng({ width: 256, height: 256, data: new Uint8Array(256 * 256).fill(128), bitDepth: 8 }), { name: 'placeholder.png' });
  const reg = await openRegistry({ dataDir });
  try {
    const svc = new IdentityService(reg);
    const t = performance.now();
    let inserted = 0;
    for (let c = 0; c * CHUNK < count; c++) {
      const chunk = await loadEncodedChunk(c % Math.ceil(real / CHUNK));
      if (c % 10 === 0) log(`prefill ${c * CHUNK}/${count}`);
      await reg.transaction(async (_trx, scope) => {
        for (const [j, stored] of chunk.entries()) {
          const i = c * CHUNK + j;
          if (i >= count || !stored) continue;
          const data = i < real ? stored : cloneDistractor(stored, i);
          const serial = `D${String(i).padStart(6, '0')}`;
          await scope.parts.create({ serial });
          const cap = await scope.captures.addInspected(serial, placeholder, { pixelSizeUm: 10.6 });
          await scope.features.put({ captureId: cap.id, kind: FINGERPRINT_KIND, version: svc.version, data, meta: { keypoints: decodeFeatureSet(data).sizes.length } });
          inserted++;
        }
      });
    }
    const seconds = (performance.now() - t) / 1000;
    const ti = performance.now();
    await svc.rebuildShortlist();
    return { seconds, inserted, indexSeconds: (performance.now() - ti) / 1000, real };
  } finally {
    await reg.close();
  }
}

async function renderFeed(n: number): Promise<Array<{ name: string; bytes: Buffer }>> {
  const machines = makeMachines(FEED_CONFIG);
  const out: Array<{ name: string; bytes: Buffer }> = [];
  for (let i = 0; i < n; i++) {
    // Spread over the four machines; capture 0 = the fixed line camera's pose and light.
    const part = makePart(FEED_CONFIG, machines, (i % 4) * FEED_CONFIG.partsPerMachine + Math.floor(i / 4));
    const cap = renderCapture(part, sampleCaptureParams(part, 0), { size: 256, pixelUm: 10.6 });
    out.push({ name: `L${part.serial}_top.png`, bytes: Buffer.from(await encodeCapture(cap.pixels, cap.width, cap.height, 'png', 0)) });
  }
  return out;
}

interface Result { file: string; status: string; reason?: string; processedAt: string }

async function readResults(dir: string): Promise<Result[]> {
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.result.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as Result));
}

export async function run(): Promise<BenchResult> {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  log(`rendering ${PARTS} feed parts`);
  const feed = await renderFeed(PARTS);
  const rows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = { offeredRatePerS: RATE, parts: PARTS, loadAtStart: load };
  for (const scale of SCALES) {
    const root = await mkdtemp(path.join(os.tmpdir(), 'partprint-bench-line-'));
    try {
      const data = path.join(root, 'data');
      const inbox = path.join(root, 'inbox');
      await mkdir(inbox);
      log(`${scale}: prefilling the registry`);
      const pre = await prefill(data, scale);
      log(`${scale}: ${pre.inserted} parts in ${pre.seconds.toFixed(0)} s, index ${pre.indexSeconds.toFixed(1)} s`);
      const child = spawn(process.execPath, [BIN, 'line', 'watch', inbox, '--data', data, '--pattern', 'L{serial}_{face}.png', '--settle-ms', '200', '--poll-ms', '50'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Let the watcher load the index before the feed starts.
      await new Promise((r) => setTimeout(r, 4000));
      const delivered = new Map<string, number>();
      const t0 = Date.now();
      for (const [i, f] of feed.entries()) {
        const due = t0 + (i * 1000) / RATE;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        await writeFile(path.join(inbox, `.${f.name}.tmp`), f.bytes);
        await rename(path.join(inbox, `.${f.name}.tmp`), path.join(inbox, f.name));
        delivered.set(f.name, Date.now());
      }
      const feedS = (Date.now() - t0) / 1000;
      const doneDir = path.join(inbox, 'done'), rejDir = path.join(inbox, 'rejected');
      const deadline = Date.now() + 15 * 60_000;
      let results: Result[] = [];
      while (Date.now() < deadline) {
        results = [...(await readResults(doneDir)), ...(await readResults(rejDir))];
        if (results.length >= feed.length || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      if (results.length < feed.length) throw new Error(`${scale}: only ${results.length}/${feed.length} processed; watcher said: ${stderr.slice(-2000)}`);
      const reg = results.filter((r) => r.status === 'registered');
      const quality = results.filter((r) => r.reason === 'quality').length;
      const times = reg.map((r) => Date.parse(r.processedAt)).sort((a, b) => a - b);
      const latency = reg.map((r) => Date.parse(r.processedAt) - delivered.get(r.file)!);
      const spanS = (times.at(-1)! - t0) / 1000;
      // Steady state: registrations between the 10th and 90th percentile completion times.
      const a = times[Math.floor(times.length * 0.1)], b = times[Math.floor(times.length * 0.9)];
      const steady = (Math.floor(times.length * 0.9) - Math.floor(times.length * 0.1)) / ((b - a) / 1000);
      const row = {
        registry: scale, offered: RATE, fed: feed.length, feedS, registered: reg.length, spanS,
        sustained: reg.length / spanS, steady, latencyP50: quantile(latency, 0.5), latencyP95: quantile(latency, 0.95), latencyMax: Math.max(...latency),
        qualityShare: quality / results.length, otherRejected: results.length - reg.length - quality,
      };
      metrics[`registry${scale}`] = { ...row, realDistractors: pre.real, prefillSeconds: pre.seconds, indexSeconds: pre.indexSeconds };
      rows.push([scale, pre.real, RATE, feed.length, reg.length, row.sustained.toFixed(2), row.steady.toFixed(2), (row.latencyP50 / 1000).toFixed(2), (row.latencyP95 / 1000).toFixed(2), (row.latencyMax / 1000).toFixed(1), `${(row.qualityShare * 100).toFixed(1)}%`, row.otherRejected]);
      log(`${scale}: ${JSON.stringify(row)}`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  metrics.loadAtEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return {
    name: 'line',
    metrics,
    tables: [{
      title: `partprint line watch: ${PARTS} new synthetic parts (256 px, 10.6 um/px, four processes) written into the watched folder at ${RATE}/s on top of a prefilled registry`,
      columns: ['registry parts', 'of them real distractors (the rest perturbed clones)', 'offered /s', 'fed', 'registered', 'sustained /s (first delivery to last registration)', 'steady /s (10th-90th pct)', 'latency p50 s', 'latency p95 s', 'latency max s', 'failed the quality gate', 'other rejections'],
      rows,
    }],
    notes: [
      `Load average at start ${load}, at end ${String(metrics.loadAtEnd)} (2-core machine shared with other agents: loaded figures, lower bounds of what an idle machine does).`,
      'Per image the watcher waits for 200 ms of unchanged size/mtime, reads it, checks the journal and duplicates, fingerprints it (decode + AKAZE at registry resolution), stores part, capture and fingerprint in one SQLite transaction (IdentityService.register), appends the fingerprint to the shortlist index on disk (every 512 additions the index merges its segments), writes the journal row and NAME.result.json and moves the file.',
      'Sustained = registered / (last registration - first delivery): when the watcher keeps up it equals the offered rate; when it falls behind, the backlog grows and this is its own rate.',
      `Registries larger than the real distractor cache (PARTPRINT_LINE_BENCH_REAL, here ${Number.isFinite(REAL) ? REAL : 'unlimited'}) are filled up with perturbed clones of the real fingerprints (cloneDistractor: each descriptor bit flipped with probability 0.15, keypoints moved by up to 2 px): same keypoint counts, storage and index footprint, another part to the shortlist; rendering 90k more real ones would take 6-15 hours on this machine. The line's cost that grows with the registry (database, index appends and segment merges, the duplicate check) is what they exercise.`,
      'The prefill fingerprints come from the distractor cache (bench/identity-distractors.ts), extracted with the registry profile of the time the cache was made (about 290 keypoints per part); they are stored under the current fingerprint version, so the index holds 10k real but possibly older-profile fingerprints. The feed parts are fingerprinted with the current profile.',
      'The prefilled parts are real fingerprints of synthetic surfaces (40% from one machine), their capture rows share one placeholder image (registration reads fingerprints only).',
    ],
  };
}
