/**
 * Load on the HTTP API over loopback: `partprint serve` runs in its own process, autocannon drives
 * it from this one. A 10k-part gallery is built first (see `buildGallery`). Each scenario is bounded
 * in time (DURATION_S) and count (MAX_REQUESTS). Reports requests/s and p50/p99 latency.
 *
 * `npm run bench -- server-load`   (env SERVER_BENCH_PARTS, SERVER_BENCH_SECONDS to change the size)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { createRng } from '../src/core/index.js';
import type { FeatureSet } from '../src/identity/index.js';
import { openRegistry, type Registry } from '../src/registry/index.js';
import { writeTinyModel } from '../test/api/tiny-onnx.js';
import type { BenchResult } from './run.js';

const PARTS = Number(process.env.SERVER_BENCH_PARTS ?? 10_000);
const DURATION_S = Number(process.env.SERVER_BENCH_SECONDS ?? 10);
const MAX_REQUESTS = 50_000;
const CONNECTIONS = 8;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  /** Called per request (seeded), so requests spread over the gallery. */
  path: (i: number) => string;
  body?: Buffer;
  contentType?: string;
  /** A body per request (index i into the gallery). */
  perRequest?: (i: number) => { body: Buffer; contentType: string };
  /** Concurrent connections (default CONNECTIONS). */
  connections?: number;
  note?: string;
}

/** A seeded noise surface, PNG. */
async function surfacePng(seed: number, side: number): Promise<Buffer> {
  const rng = createRng(seed);
  const data = Buffer.alloc(side * side);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return sharp(data, { raw: { width: side, height: side, channels: 1 } }).png().toBuffer();
}

export function multipart(fields: Record<string, string>, file: { name: string; bytes: Buffer }): { body: Buffer; contentType: string } {
  const boundary = `----pp${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The gallery: PARTS parts with attributes (machine, tray_position) in one transaction: rows only,
 * no images, which is what parts look-ups and filters touch. Returns the serials.
 */
async function buildGallery(registry: Registry): Promise<string[]> {
  const serials: string[] = [];
  await registry.transaction(async (_trx, scope) => {
    for (let i = 0; i < PARTS; i++) {
      const serial = `G-${String(i).padStart(6, '0')}`;
      await scope.parts.create({ serial, partNumber: 'bracket', attributes: { machine: `M${String(i % 8).padStart(2, '0')}`, tray_position: `${'ABCDEFGH'[i % 8]}${(i % 5) + 1}` } });
      serials.push(serial);
    }
  });
  return serials;
}

export async function startServe(dataDir: string, key: string, computeThreads?: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...(process.env.SERVER_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.SERVER_BENCH_CPU_PROF] : []), path.join(ROOT, 'bin', 'partprint.js'), 'serve', '--data', dataDir, '--port', '0', '--rate-limit', '0', ...(computeThreads === undefined ? [] : ['--compute-threads', String(computeThreads)])], {
    env: { ...process.env, PARTPRINT_ADMIN_KEY: key, PARTPRINT_QUIET_DEV: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
  return { child, url };
}

async function load(url: string, key: string, s: Scenario): Promise<autocannon.Result> {
  const rng = createRng(7);
  return autocannon({
    url,
    connections: s.connections ?? CONNECTIONS,
    duration: DURATION_S,
    maxOverallRequests: MAX_REQUESTS,
    requests: [
      {
        method: s.method,
        setupRequest: (req) => {
          const i = rng.int(PARTS);
          const per = s.perRequest?.(i);
          const body = per?.body ?? s.body;
          const contentType = per?.contentType ?? s.contentType;
          return { ...req, path: s.path(i), ...(body ? { body } : {}), headers: { ...req.headers, authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) } };
        },
      },
    ],
  });
}

/**
 * SERVER_BENCH_CACHE=DIR keeps the built gallery (registry, index, probes) in DIR and copies it for
 * later runs of the same size: building it costs minutes, and the copy starts each run from the
 * same state (the mixed load registers parts).
 */
const CACHE = process.env.SERVER_BENCH_CACHE;

interface GalleryFile {
  parts: number;
  surfaces: number;
  serials: string[];
  notes: string[];
  galleryS: number;
}

export async function prepareGallery(dir: string, notes: string[]): Promise<{ serials: string[]; probes: Buffer[]; extra: Scenario[]; galleryS: number }> {
  const marker = CACHE ? path.join(CACHE, 'bench-gallery.json') : null;
  if (CACHE && marker && existsSync(marker)) {
    const g = JSON.parse(await readFile(marker, 'utf8')) as GalleryFile;
    if (g.parts === PARTS && g.surfaces === BASE_SURFACES) {
      await cp(path.join(CACHE, 'data'), dir, { recursive: true });
      // the model's folder is recorded by absolute path: register the copy's
      const registry = await openRegistry({ dataDir: dir });
      const { registerModel } = await import('../src/source/index.js');
      await registerModel(registry, writeTinyModel(path.join(dir, 'models', 'tiny-copy'), 'tiny-copy', 'finish', ['dark', 'bright']), { activate: true });
      await registry.close();
      const probes = await Promise.all(Array.from({ length: g.surfaces }, (_, k) => readFile(path.join(CACHE, 'probes', `probe-${k}.png`))));
      notes.push(...g.notes, `gallery copied from the cache ${CACHE} (built once by this benchmark)`);
      return { serials: g.serials, probes, extra: identityScenarioList(g.serials, probes), galleryS: g.galleryS };
    }
  }
  const t0 = performance.now();
  const registry = await openRegistry({ dataDir: dir });
  const serials = await buildGallery(registry);
  const galleryS = (performance.now() - t0) / 1000;
  const built: string[] = [`gallery: ${PARTS} parts with 2 attributes each, inserted in one transaction in ${galleryS.toFixed(1)} s`];
  // Source model for predictions: a tiny ONNX brightness model (16 ROIs of 32x32 per request).
  const modelDir = writeTinyModel(path.join(dir, 'models', 'tiny'), 'tiny', 'finish', ['dark', 'bright']);
  const { registerModel } = await import('../src/source/index.js');
  await registerModel(registry, modelDir, { activate: true });
  const probes: Buffer[] = [];
  const extra = await identityScenarios(registry, serials, built, probes);
  await registry.close();
  notes.push(...built);
  if (CACHE && marker) {
    await rm(CACHE, { recursive: true, force: true });
    await mkdir(path.join(CACHE, 'probes'), { recursive: true });
    await cp(dir, path.join(CACHE, 'data'), { recursive: true });
    for (const [k, p] of probes.entries()) await writeFile(path.join(CACHE, 'probes', `probe-${k}.png`), p);
    const g: GalleryFile = { parts: PARTS, surfaces: BASE_SURFACES, serials, notes: built, galleryS };
    await writeFile(marker, JSON.stringify(g));
  }
  return { serials, probes, extra, galleryS };
}

export async function run(): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-server-bench-'));
  const key = `ppk_bench_${randomBytes(24).toString('base64url')}`;
  const notes: string[] = [];
  let child: ChildProcess | undefined;
  try {
    const { serials, probes, extra, galleryS } = await prepareGallery(dir, notes);

    const served = await startServe(dir, key);
    child = served.child;
    const probe = multipart({}, { name: 'probe.png', bytes: await surfacePng(1, 256) });
    const scenarios: Scenario[] = [
      { name: 'GET part by serial', method: 'GET', path: (i) => `/api/parts/${serials[i]}` },
      { name: 'list parts by attribute (page of 50)', method: 'GET', path: (i) => `/api/parts?attr=machine:M0${i % 8}&limit=50&offset=${(i % 20) * 50}` },
      { name: 'source predict (256x256, 16 ROIs, tiny model)', method: 'POST', path: () => '/api/source/predict', body: probe.body, contentType: probe.contentType },
      ...extra,
    ];
    const rows: Array<Array<string | number>> = [];
    const metrics: Record<string, unknown> = { parts: PARTS, durationS: DURATION_S, maxRequests: MAX_REQUESTS, connections: CONNECTIONS, galleryBuildSeconds: galleryS };
    for (const s of scenarios) {
      // Warm-up (not measured): first use loads OpenCV's WebAssembly, the ONNX session, the index.
      // Then 3 requests one at a time: latency without queueing.
      const single: number[] = [];
      for (let n = 0; n < 4; n++) {
        const per = s.perRequest?.(n * 7);
        const contentType = per?.contentType ?? s.contentType;
        const t = performance.now();
        const w = await fetch(`${served.url}${s.path(n * 7)}`, { method: s.method, headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) }, body: per?.body ?? s.body });
        const text = await w.text();
        if (n > 0) single.push(performance.now() - t);
        if (!w.ok) notes.push(`${s.name}: request answered ${w.status} ${text.slice(0, 200)}`);
      }
      const r = await load(served.url, key, s);
      const ok = r['2xx'];
      const reqPerS = ok / r.duration;
      const singleMs = single.reduce((a, b) => a + b, 0) / single.length;
      rows.push([s.name, s.connections ?? CONNECTIONS, ok, r.non2xx, reqPerS.toFixed(1), r.latency.p50, r.latency.p99, singleMs.toFixed(0), r.errors + r.timeouts]);
      metrics[s.name] = { connections: s.connections ?? CONNECTIONS, ok, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, duration: r.duration, requestsPerSecond: reqPerS, p50Ms: r.latency.p50, p99Ms: r.latency.p99, singleRequestMs: singleMs };
      if (s.note) notes.push(s.note);
    }
    notes.push(`server and load generator share the machine (${os.cpus().length} cores); each scenario runs ${DURATION_S} s or ${MAX_REQUESTS} requests (after a warm-up request and 3 timed one-at-a-time requests), rate limit off, autocannon timeout 10 s`);

    // Concurrency: identify at 8 clients, mixed load with /api/health, the decompression-sized upload; with the
    // compute pool (one worker thread per core), then the same identify load with everything on the event loop.
    const concurrency: Array<Array<string | number>> = [];
    const load1 = os.loadavg();
    const pooled = await identifyAtLoad(served.url, key, probes, served.child.pid);
    concurrency.push(['identify, compute pool', ...pooled.row]);
    metrics['identify 8 clients, compute pool'] = pooled.metrics;
    const mixed = await mixedLoad(served.url, key, probes, serials);
    metrics['mixed load, compute pool'] = mixed.metrics;
    const mixedRated = await mixedLoad(served.url, key, probes, serials, 'R3', PAGE_RATE);
    metrics[`mixed load, part pages at ${PAGE_RATE}/s, compute pool`] = mixedRated.metrics;
    const bomb = await bombUpload(served.url, key, served.child.pid!);
    metrics['19000x19000 PNG uploads, compute pool'] = bomb.metrics;
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    const inline = await startServe(dir, key, 0);
    child = inline.child;
    await fetch(`${inline.url}/api/identify`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': multipart({ evidence: 'false' }, { name: 'p.png', bytes: probes[0] }).contentType }, body: multipart({ evidence: 'false' }, { name: 'p.png', bytes: probes[0] }).body }).then((r) => r.text());
    const onLoop = await identifyAtLoad(inline.url, key, probes, inline.child.pid);
    concurrency.push(['identify, all on the event loop (--compute-threads 0)', ...onLoop.row]);
    metrics['identify 8 clients, event loop'] = onLoop.metrics;
    const mixedInline = await mixedLoad(inline.url, key, probes, serials, 'R2');
    metrics['mixed load, event loop'] = mixedInline.metrics;
    const mixedInlineRated = await mixedLoad(inline.url, key, probes, serials, 'R4', PAGE_RATE);
    metrics[`mixed load, part pages at ${PAGE_RATE}/s, event loop`] = mixedInlineRated.metrics;
    const load2 = os.loadavg();
    const ratio = (pooled.metrics.requestsPerSecond as number) / Math.max(1e-9, onLoop.metrics.requestsPerSecond as number);
    metrics.identifySpeedupVsEventLoop = ratio;
    metrics.identifySpeedupVsRecorded = (pooled.metrics.requestsPerSecond as number) / 0.8;
    metrics.loadAverage = { before: load1, after: load2 };
    notes.push(
      `concurrency runs: load average ${load1.map((l) => l.toFixed(1)).join(' ')} before, ${load2.map((l) => l.toFixed(1)).join(' ')} after (other agents share the machine: loaded)`,
      'compute pool: per identify a probe task (decode, normalise, gate, fingerprint, dense extraction) and one rank task (verification of the shortlist and the decision) on worker threads at nice 5, the search on the index thread; event loop: the same code on the main thread (--compute-threads 0, the old path); the health prober runs in its own process',
      `identify at ${IDENTIFY_CLIENTS} clients for ${IDENTIFY_S} s: ${(pooled.metrics.requestsPerSecond as number).toFixed(2)} req/s with the compute pool, ${(onLoop.metrics.requestsPerSecond as number).toFixed(2)} req/s on the event loop, same run (${ratio.toFixed(2)}x); the recorded figure before this work was 0.8 req/s (p50 2.05 s) at 2 clients`,
    );
    return {
      name: 'server-load',
      metrics,
      tables: [
        { title: `HTTP API over loopback, ${PARTS}-part gallery`, columns: ['scenario', 'connections', '2xx', 'non-2xx', 'req/s', 'p50 ms', 'p99 ms', 'one at a time ms', 'errors+timeouts'], rows },
        { title: `Identify 1:N at ${IDENTIFY_CLIENTS} clients for ${IDENTIFY_S} s (${PARTS}-part gallery, 320x320 probes)`, columns: ['server', '2xx', 'non-2xx', 'req/s', 'p50 ms', 'p99 ms', 'errors+timeouts', 'server CPU s per answer', 'health p99 ms', 'load (1 min) before / after'], rows: concurrency },
        { title: `Mixed load for ${IDENTIFY_S} s: identify (4 clients) + register (2) + part pages (2), /api/health probed every 50 ms`, columns: ['server', 'part pages', 'identify req/s', 'identify p99 ms', 'register req/s', 'register p99 ms', 'part page req/s', 'part page p99 ms', 'health probes', 'health p50 ms', 'health p99 ms', 'health max ms', 'load (1 min) before / after'], rows: [['compute pool', 'as fast as answered', ...mixed.row], ['compute pool', `${PAGE_RATE}/s`, ...mixedRated.row], ['event loop', 'as fast as answered', ...mixedInline.row], ['event loop', `${PAGE_RATE}/s`, ...mixedInlineRated.row]] },
        { title: `${BOMB_UPLOADS} parallel uploads of a ${BOMB_SIDE}x${BOMB_SIDE} PNG to /api/identify, /api/health probed every 50 ms (compute pool)`, columns: ['PNG bytes', 'answers', 'seconds until the last answer', 'health probes', 'health p50 ms', 'health p99 ms', 'health max ms', 'server peak RSS MiB'], rows: [bomb.row] },
      ],
      notes,
    };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

const IDENTIFY_S = Number(process.env.SERVER_BENCH_IDENTIFY_SECONDS ?? 60);
const IDENTIFY_CLIENTS = 8;
const BOMB_SIDE = Number(process.env.SERVER_BENCH_BOMB_SIDE ?? 19_000);
const BOMB_UPLOADS = 6;
/** Part pages per second in the fixed-rate mixed load. */
const PAGE_RATE = Number(process.env.SERVER_BENCH_PAGE_RATE ?? 200);

function q(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/**
 * The health prober, run as its own small Node process: in this process its timings would include
 * this process's own event-loop delays (autocannon here sends thousands of requests per second).
 * Probes every 50 ms (after each answer), prints the latencies (ms) as JSON when stdin closes.
 */
const PROBER = `
const url = process.argv[1];
const times = [];
let running = true;
process.stdin.on('end', () => (running = false));
process.stdin.resume();
(async () => {
  while (running) {
    const t = performance.now();
    try { await (await fetch(url + '/api/health', { signal: AbortSignal.timeout(120000) })).text(); } catch {}
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(JSON.stringify(times));
})();
`;

/** Probes /api/health every 50 ms until stopped (from a separate process); latencies in ms, sorted. */
function healthProber(url: string): { stop(): Promise<number[]> } {
  const child = spawn(process.execPath, ['-e', PROBER, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  return {
    stop: async () => {
      child.stdin!.end();
      await exited;
      return (JSON.parse(out || '[]') as number[]).sort((a, b) => a - b);
    },
  };
}

function healthCells(h: number[]): Array<string | number> {
  return [h.length, q(h, 0.5).toFixed(1), q(h, 0.99).toFixed(1), (h.at(-1) ?? NaN).toFixed(1)];
}

function identifyBody(probes: Buffer[], i: number) {
  return multipart({ evidence: 'false' }, { name: 'probe.png', bytes: probes[i % probes.length] });
}

async function cannon(url: string, key: string, connections: number, seconds: number, request: (i: number) => { method: 'GET' | 'POST'; path: string; body?: Buffer; contentType?: string }, overallRate?: number): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url,
    connections,
    ...(overallRate ? { overallRate } : {}),
    duration: seconds,
    timeout: 60,
    requests: [
      {
        setupRequest: (req) => {
          const r = request(n++);
          return { ...req, method: r.method, path: r.path, ...(r.body ? { body: r.body } : {}), headers: { ...req.headers, authorization: `Bearer ${key}`, ...(r.contentType ? { 'content-type': r.contentType } : {}) } };
        },
      },
    ],
  });
}

/** CPU seconds (user + system, every thread) a process has used so far (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime + stime in clock ticks (USER_HZ, 100 on Linux)
  return f.length > 13 ? (Number(f[11]) + Number(f[12])) / 100 : NaN;
}

/**
 * IDENTIFY_CLIENTS clients posting identify for IDENTIFY_S s, /api/health probed every 50 ms meanwhile;
 * with the server's CPU seconds per answer (all its threads: what one identify costs, whatever else
 * runs on the machine) and the load average before and after.
 */
export async function identifyAtLoad(url: string, key: string, probes: Buffer[], pid?: number): Promise<{ row: Array<string | number>; metrics: Record<string, unknown> }> {
  const load0 = os.loadavg()[0];
  const cpu0 = pid ? await cpuSeconds(pid) : NaN;
  const health = healthProber(url);
  const r = await cannon(url, key, IDENTIFY_CLIENTS, IDENTIFY_S, (i) => ({ method: 'POST', path: '/api/identify', ...(({ body, contentType }) => ({ body, contentType }))(identifyBody(probes, i)) }));
  const h = await health.stop();
  const cpuPerAnswer = pid ? (await cpuSeconds(pid)) - cpu0 : NaN;
  const load1 = os.loadavg()[0];
  const rps = r['2xx'] / r.duration;
  const perAnswer = cpuPerAnswer / Math.max(1, r['2xx']);
  return {
    row: [r['2xx'], r.non2xx, rps.toFixed(2), r.latency.p50, r.latency.p99, r.errors + r.timeouts, perAnswer.toFixed(3), q(h, 0.99).toFixed(1), `${load0.toFixed(1)} / ${load1.toFixed(1)}`],
    metrics: { ok: r['2xx'], non2xx: r.non2xx, requestsPerSecond: rps, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors, timeouts: r.timeouts, duration: r.duration, serverCpuSecondsPerAnswer: perAnswer, health: { probes: h.length, p50Ms: q(h, 0.5), p99Ms: q(h, 0.99), maxMs: h.at(-1) }, loadAverage1m: { before: load0, after: load1 } },
  };
}

/**
 * Identify (4 clients), register (2) and part pages (2 clients: as fast as they are answered, or
 * `pageRate` pages/s in all) for IDENTIFY_S s, /api/health probed every 50 ms. Part pages as fast as
 * possible keep the event loop itself busy (thousands of answers per second), so health waits
 * behind them; at a fixed rate they are what users cause.
 */
export async function mixedLoad(url: string, key: string, probes: Buffer[], serials: string[], tag = 'R1', pageRate?: number): Promise<{ row: Array<string | number>; metrics: Record<string, unknown> }> {
  const load0 = os.loadavg()[0];
  const health = healthProber(url);
  const [identify, register, pages] = await Promise.all([
    cannon(url, key, 4, IDENTIFY_S, (i) => ({ method: 'POST', path: '/api/identify', ...identifyBody(probes, i) })),
    cannon(url, key, 2, IDENTIFY_S, (i) => {
      const m = multipart({ serial: `BENCH-${tag}-${i}-${randomBytes(3).toString('hex')}` }, { name: 'new.png', bytes: probes[(i * 5) % probes.length] });
      return { method: 'POST', path: '/api/register', body: m.body, contentType: m.contentType };
    }),
    cannon(url, key, 2, IDENTIFY_S, (i) => ({ method: 'GET', path: `/api/parts/${serials[(i * 7919) % serials.length]}` }), pageRate),
  ]);
  const h = await health.stop();
  const load1 = os.loadavg()[0];
  const rps = (r: autocannon.Result) => (r['2xx'] / r.duration).toFixed(2);
  return {
    row: [rps(identify), identify.latency.p99, rps(register), register.latency.p99, rps(pages), pages.latency.p99, ...healthCells(h), `${load0.toFixed(1)} / ${load1.toFixed(1)}`],
    metrics: {
      loadAverage1m: { before: load0, after: load1 },
      pageRate: pageRate ?? null,
      identify: { ok: identify['2xx'], non2xx: identify.non2xx, p50Ms: identify.latency.p50, p99Ms: identify.latency.p99 },
      register: { ok: register['2xx'], non2xx: register.non2xx, p50Ms: register.latency.p50, p99Ms: register.latency.p99 },
      partPages: { ok: pages['2xx'], non2xx: pages.non2xx, p50Ms: pages.latency.p50, p99Ms: pages.latency.p99 },
      health: { probes: h.length, p50Ms: q(h, 0.5), p99Ms: q(h, 0.99), maxMs: h.at(-1) },
    },
  };
}

/** Peak resident memory of a process (VmHWM), MiB. */
async function peakRssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

export async function bombUpload(url: string, key: string, pid: number): Promise<{ row: Array<string | number>; metrics: Record<string, unknown> }> {
  // A flat grey plane: tiny as PNG, BOMB_SIDE^2 pixels once decoded (under the 400 Mpx default limit).
  const png = await sharp({ create: { width: BOMB_SIDE, height: BOMB_SIDE, channels: 3, background: { r: 128, g: 128, b: 128 } }, limitInputPixels: false }).greyscale().png({ compressionLevel: 9 }).toBuffer();
  const m = multipart({ evidence: 'false' }, { name: 'huge.png', bytes: png });
  const health = healthProber(url);
  const t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: BOMB_UPLOADS }, async () => {
      const r = await fetch(`${url}/api/identify`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': m.contentType }, body: m.body, signal: AbortSignal.timeout(600_000) }).catch((e: Error) => ({ status: `error ${e.message}`, text: async () => '' }));
      const body = await r.text();
      return { status: r.status, decision: /"decision":"([a-z-]+)"|"code":"([A-Z_]+)"/.exec(body)?.slice(1).find(Boolean) ?? '' };
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const h = await health.stop();
  const summary = Object.entries(answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [`${a.status} ${a.decision}`]: (acc[`${a.status} ${a.decision}`] ?? 0) + 1 }), {}))
    .map(([k, v]) => `${v}x ${k}`)
    .join(', ');
  const rss = await peakRssMiB(pid);
  return {
    row: [png.length, summary, seconds.toFixed(1), ...healthCells(h), rss],
    metrics: { pngBytes: png.length, side: BOMB_SIDE, uploads: BOMB_UPLOADS, answers, seconds, health: { probes: h.length, p50Ms: q(h, 0.5), p99Ms: q(h, 0.99), maxMs: h.at(-1) }, serverPeakRssMiB: rss },
  };
}

/** Distinct surfaces fingerprinted for real; the rest of the gallery is derived from them. */
const BASE_SURFACES = Number(process.env.SERVER_BENCH_SURFACES ?? 48);

/** A copy of `f` with ~3% of descriptor bits flipped and keypoints jittered by up to 0.5 px. */
function perturb(f: FeatureSet, seed: number): FeatureSet {
  const rng = createRng(seed);
  const descriptors = Uint8Array.from(f.descriptors);
  const flips = Math.round(descriptors.length * 8 * 0.03);
  for (let n = 0; n < flips; n++) {
    const bit = rng.int(descriptors.length * 8);
    descriptors[bit >> 3] ^= 1 << (bit & 7);
  }
  const keypoints = Float32Array.from(f.keypoints, (v) => v + rng.uniform(-0.5, 0.5));
  return { ...f, descriptors, keypoints };
}

/**
 * Verify/identify scenarios over a gallery of PARTS fingerprinted parts, built cheaply:
 * BASE_SURFACES seeded textures (identity's test textures, 320x320) are fingerprinted for real;
 * part i stores surface (i mod BASE_SURFACES)'s image (one blob, deduplicated) and a perturbed copy of its
 * fingerprint (descriptor bits flipped, keypoints jittered), so every gallery entry is a distinct
 * vector in the shortlist index with realistic size and match cost. The shortlist index is then built
 * by identity's own rebuild. Probes are new recaptures (rotated, scaled, noisy) of the base surfaces.
 */
async function identityScenarios(registry: Registry, serials: string[], notes: string[], probesOut: Buffer[] = []): Promise<Scenario[]> {
  const { IdentityService, ShortlistIndex, encodeFeatureSet, FINGERPRINT_KIND } = await import('../src/identity/index.js');
  const { makeTexture, recapture } = await import('../test/helpers/test-images.js');
  const { encodeGreyPng } = await import('../src/imaging/index.js');
  const { inspectImage } = await import('../src/registry/index.js');
  const svc = new IdentityService(registry);
  const t0 = performance.now();
  const bases: Array<{ features: FeatureSet; image: Awaited<ReturnType<typeof inspectImage>>; probe: Buffer }> = [];
  for (let k = 0; k < BASE_SURFACES; k++) {
    const tex = await makeTexture(1000 + k, 320, 320);
    const png = await encodeGreyPng(tex);
    const fp = await svc.fingerprint(png, {}, `surface-${k}.png`);
    if (!fp.features || !fp.quality.ok) throw new Error(`bench surface ${k} rejected: ${fp.quality.message}`);
    const probe = await encodeGreyPng(await recapture(tex, { angleDeg: 7, scale: 0.97, shiftX: 4, noiseStd: 5, seed: k }));
    bases.push({ features: fp.features, image: await inspectImage(png, { name: `surface-${k}.png` }), probe });
    probesOut.push(probe);
  }
  const tFp = performance.now();
  const entries: Array<{ captureId: number; features: FeatureSet }> = [];
  await registry.transaction(async (_trx, scope) => {
    for (let i = 0; i < serials.length; i++) {
      const b = bases[i % BASE_SURFACES];
      const cap = await scope.captures.addInspected(serials[i], b.image, {});
      const f = i < BASE_SURFACES ? b.features : perturb(b.features, i);
      await scope.features.put({ captureId: cap.id, kind: FINGERPRINT_KIND, version: svc.version, data: encodeFeatureSet(f), meta: { keypoints: f.sizes.length, derived: i >= BASE_SURFACES } });
      entries.push({ captureId: cap.id, features: f });
    }
  });
  const tStore = performance.now();
  // The shortlist index over every entry (one build), saved where the server loads it.
  const index = ShortlistIndex.build(entries, svc.version);
  await index.save(svc.dir);
  const tIndex = performance.now();
  notes.push(
    `identity gallery: ${BASE_SURFACES} surfaces fingerprinted in ${((tFp - t0) / 1000).toFixed(1)} s; ${serials.length} captures + fingerprints stored in ${((tStore - tFp) / 1000).toFixed(1)} s; ` +
      `shortlist index (${index.size} entries, LSH over every keypoint's descriptor) built in ${((tIndex - tStore) / 1000).toFixed(1)} s`,
    'verify probes: a recapture of part i\'s surface sent with serial i (genuine); identify probes: recaptures of the base surfaces (each surface is shared by many derived gallery entries, so the identify decision is not meaningful here, only its cost)',
  );
  return identityScenarioList(serials, probesOut);
}

/** The verify and identify scenarios; probes[k] is a recapture of base surface k. */
function identityScenarioList(serials: string[], probes: Buffer[]): Scenario[] {
  return [
    {
      name: `verify 1:1 (320x320 probe, ${serials.length}-part gallery)`,
      method: 'POST',
      path: () => '/api/verify',
      connections: 2,
      // each request: serial i with a recapture of its surface; evidence off (measured separately by the web UI)
      perRequest: (i) => {
        const k = i % probes.length;
        const m = multipart({ serial: serials[i], evidence: 'false' }, { name: 'probe.png', bytes: probes[k] });
        return { body: m.body, contentType: m.contentType };
      },
    },
    {
      name: `identify 1:N (320x320 probe, ${serials.length}-part gallery, shortlist 100, the default)`,
      method: 'POST',
      path: () => '/api/identify',
      connections: 2,
      perRequest: (i) => {
        const m = multipart({ evidence: 'false' }, { name: 'probe.png', bytes: probes[i % probes.length] });
        return { body: m.body, contentType: m.contentType };
      },
    },
  ];
}
