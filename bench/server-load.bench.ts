/**
 * Load on the HTTP API over loopback: `partprint serve` runs in its own process, autocannon drives
 * it from this one. A 10k-part gallery is built first (see `buildGallery`). Each scenario is bounded
 * in time (DURATION_S) and count (MAX_REQUESTS). Reports requests/s and p50/p99 latency.
 *
 * `npm run bench -- server-load`   (env SERVER_BENCH_PARTS, SERVER_BENCH_SECONDS to change the size)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { createRng } from '../src/core/index.js';
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

async function startServe(dataDir: string, key: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'partprint.js'), 'serve', '--data', dataDir, '--port', '0', '--rate-limit', '0'], {
    env: { ...process.env, PARTPRINT_ADMIN_KEY: key },
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
    connections: CONNECTIONS,
    duration: DURATION_S,
    maxOverallRequests: MAX_REQUESTS,
    requests: [
      {
        method: s.method,
        setupRequest: (req) => ({ ...req, path: s.path(rng.int(PARTS)), ...(s.body ? { body: s.body } : {}) }),
        headers: { authorization: `Bearer ${key}`, ...(s.contentType ? { 'content-type': s.contentType } : {}) },
      },
    ],
  });
}

export async function run(): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-server-bench-'));
  const key = `ppk_bench_${randomBytes(24).toString('base64url')}`;
  const notes: string[] = [];
  let child: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    const registry = await openRegistry({ dataDir: dir });
    const serials = await buildGallery(registry);
    const galleryS = (performance.now() - t0) / 1000;
    notes.push(`gallery: ${PARTS} parts with 2 attributes each, inserted in one transaction in ${galleryS.toFixed(1)} s`);
    // Source model for predictions: a tiny ONNX brightness model (16 ROIs of 32x32 per request).
    const modelDir = writeTinyModel(path.join(dir, 'models', 'tiny'), 'tiny', 'finish', ['dark', 'bright']);
    const { registerModel } = await import('../src/source/index.js');
    await registerModel(registry, modelDir, { activate: true });
    const extra = await identityScenarios(registry, serials, notes);
    await registry.close();

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
      const r = await load(served.url, key, s);
      const ok = r['2xx'];
      const reqPerS = ok / r.duration;
      rows.push([s.name, ok, r.non2xx, reqPerS.toFixed(1), r.latency.p50, r.latency.p99, r.errors]);
      metrics[s.name] = { ok, non2xx: r.non2xx, errors: r.errors, duration: r.duration, requestsPerSecond: reqPerS, p50Ms: r.latency.p50, p99Ms: r.latency.p99 };
      if (s.note) notes.push(s.note);
    }
    notes.push(`server and load generator share the machine (${os.cpus().length} cores); each scenario runs ${DURATION_S} s or ${MAX_REQUESTS} requests, ${CONNECTIONS} connections, rate limit off`);
    return {
      name: 'server-load',
      metrics,
      tables: [{ title: `HTTP API over loopback, ${PARTS}-part gallery`, columns: ['scenario', '2xx', 'non-2xx', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows }],
      notes,
    };
  } finally {
    child?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

/** Verify/identify scenarios (filled in when the identity capability is present). */
async function identityScenarios(_registry: Registry, _serials: string[], notes: string[]): Promise<Scenario[]> {
  notes.push('identity endpoints: not measured (identity capability not merged yet)');
  return [];
}
