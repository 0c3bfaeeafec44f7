/**
 * Real synthetic distractor parts for the 1:N scaling benchmark: each distractor is a registered
 * capture (capture 0) of a real synthetic part surface, rendered directly at 256 px with twice the
 * pixel size of the 512 px registered captures (the same physical field of view; the registry
 * reduces 512 px captures to 256 px anyway), fingerprinted with the registry settings, and cached
 * as one binary file of encoded FeatureSets per chunk under a cache folder (not the repo).
 *
 * Distractor i (0-based) is part index `distractorPartIndex(i)` of the config
 * { seed: 1, machines: 4, partsPerMachine: 41000 }: 40% are from machine M01, the machine of the
 * registered parts (skipping its first 1000 indices, which are the registered parts themselves),
 * 20% each from M02, M03 and M04 (other processes).
 *
 * Run standalone: tsx bench/identity-distractors.ts COUNT [CACHE_DIR] [--workers 2] [--reverse] (one child process per chunk;
 * a second run with --reverse works from the other end)
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { decodeFeatureSet, encodeFeatureSet, fingerprintImage, REGISTRY_FINGERPRINT_OPTIONS, type FeatureSet } from '../src/identity/index.js';
import { makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../src/synth/index.js';
import { DEFAULT_CONFIG } from '../src/synth/index.js';

export const DISTRACTOR_CONFIG: SynthConfig = { ...DEFAULT_CONFIG, seed: 1, machines: 4, partsPerMachine: 41_000 };
export const CHUNK = 1000;
const REGISTERED_RESERVED = 1000;

/** Part index (in DISTRACTOR_CONFIG) of distractor i: 2 of every 5 from M01 (after the registered ones), then M02..M04 in turn. */
export function distractorPartIndex(i: number): number {
  const group = Math.floor(i / 5), r = i % 5;
  const ppm = DISTRACTOR_CONFIG.partsPerMachine;
  if (r < 2) return REGISTERED_RESERVED + group * 2 + r;
  return (r - 1) * ppm + group;
}

/** Fingerprint of distractor i rendered at `size` px with pixel size `pixelUm` (capture 0, as registered). */
export async function renderDistractor(i: number, size = 256, pixelUm = 10.6): Promise<FeatureSet | null> {
  const machines = makeMachines(DISTRACTOR_CONFIG);
  const part = makePart(DISTRACTOR_CONFIG, machines, distractorPartIndex(i));
  const cap = renderCapture(part, sampleCaptureParams(part, 0), { size, pixelUm });
  const fp = await fingerprintImage({ width: cap.width, height: cap.height, data: cap.pixels, bitDepth: 8 }, REGISTRY_FINGERPRINT_OPTIONS);
  return fp.quality.ok ? fp.features : null;
}

function chunkFile(dir: string, c: number): string {
  return path.join(dir, `chunk-${String(c).padStart(4, '0')}.bin`);
}

/** Pack encoded fingerprints: u32 count, then per item u32 length + bytes (length 0 = rejected). */
function pack(items: Array<Uint8Array | null>): Uint8Array {
  const total = 4 + items.reduce((a, b) => a + 4 + (b?.length ?? 0), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, items.length, true);
  let o = 4;
  for (const it of items) {
    dv.setUint32(o, it?.length ?? 0, true);
    o += 4;
    if (it) { out.set(it, o); o += it.length; }
  }
  return out;
}

/** The encoded fingerprints of a chunk, as stored (null = rejected by the quality gate). */
function unpackEncoded(buf: Uint8Array): Array<Uint8Array | null> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  const out: Array<Uint8Array | null> = [];
  let o = 4;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(o, true);
    o += 4;
    out.push(len ? buf.subarray(o, o + len) : null);
    o += len;
  }
  return out;
}

function unpack(buf: Uint8Array): Array<FeatureSet | null> {
  return unpackEncoded(buf).map((b) => (b ? decodeFeatureSet(b) : null));
}

/** Chunk c's encoded fingerprints (encodeFeatureSet bytes; null where the quality gate rejected one); throws when missing. */
export async function loadEncodedChunk(c: number, dir = defaultDistractorDir()): Promise<Array<Uint8Array | null>> {
  const file = chunkFile(dir, c);
  if (!existsSync(file)) throw new Error(`${file} is missing: generate distractors first (tsx bench/identity-distractors.ts ${(c + 1) * CHUNK})`);
  return unpackEncoded(new Uint8Array(await readFile(file)));
}

/** Renders and caches chunk c (distractors c*CHUNK .. c*CHUNK+CHUNK-1). */
export async function makeChunk(dir: string, c: number): Promise<void> {
  const file = chunkFile(dir, c);
  if (existsSync(file)) return;
  const items: Array<Uint8Array | null> = [];
  const t0 = Date.now();
  for (let i = c * CHUNK; i < (c + 1) * CHUNK; i++) {
    if (i % 250 === 0 && process.env.DISTRACTOR_VERBOSE) process.stderr.write(`chunk ${c}: ${i - c * CHUNK} in ${Date.now() - t0} ms\n`);
    const f = await renderDistractor(i);
    items.push(f ? encodeFeatureSet(f) : null);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, pack(items));
  await rename(`${file}.tmp`, file);
}

export function defaultDistractorDir(): string {
  return path.join(os.tmpdir(), 'partprint-distractors-256');
}

/** The first `count` cached distractors (null where the quality gate rejected one); throws when a chunk is missing. */
export async function loadDistractors(count: number, dir = defaultDistractorDir()): Promise<Array<FeatureSet | null>> {
  const out: Array<FeatureSet | null> = [];
  for (let c = 0; c * CHUNK < count; c++) {
    const file = chunkFile(dir, c);
    if (!existsSync(file)) throw new Error(`${file} is missing: generate distractors first (tsx bench/identity-distractors.ts ${count})`);
    out.push(...unpack(new Uint8Array(await readFile(file))));
  }
  return out.slice(0, count);
}

/** Generates every missing chunk for `count` distractors with `workers` threads. */
export async function generateDistractors(count: number, dir = defaultDistractorDir(), workers = 2, log: (m: string) => void = () => {}, reverse = false): Promise<void> {
  const chunks = Math.ceil(count / CHUNK);
  let next = 0;
  const self = fileURLToPath(import.meta.url);
  const runOne = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      if (n >= chunks) return;
      const c = reverse ? chunks - 1 - n : n;
      if (existsSync(chunkFile(dir, c))) continue;
      const t = Date.now();
      // A child process per chunk (worker threads ran OpenCV's WebAssembly far slower here).
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, self, '--chunk', String(c), dir], { stdio: ['ignore', 'inherit', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chunk ${c} process exited ${code}`))));
      });
      log(`chunk ${c + 1}/${chunks} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    }
  };
  await Promise.all(Array.from({ length: workers }, runOne));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv[2] === '--chunk') {
  await makeChunk(process.argv[4], Number(process.argv[3]));
} else if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const count = Number(process.argv[2] ?? 1000);
  const dir = process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : defaultDistractorDir();
  const wi = process.argv.indexOf('--workers');
  const workers = wi > 0 ? Number(process.argv[wi + 1]) : 2;
  await generateDistractors(count, dir, workers, (m) => process.stderr.write(`[distractors ${new Date().toISOString().slice(11, 19)}] ${m}\n`), process.argv.includes('--reverse'));
}
