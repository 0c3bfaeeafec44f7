/**
 * Writes a source-identification dataset export (docs/source-spec.md section 1) straight from the
 * synthetic generator (src/synth, branch `synth`), for GPU hosts that have no registry: bundled
 * with esbuild and run by a carried node binary (see trainer/README.md).
 *
 *   node synth-dataset.mjs --out DIR --machines 21 --train 100 --val 10 --test 50 --strength 1
 *       --size 1024 --downscale 2 [--seed 1] [--shards 16]
 *
 * Parts of each machine are shuffled with a seeded RNG and split train/val/test, so every split
 * spans all builds and tray positions. Each part has one capture; images are rendered at `size`
 * (native 5.3 um pixels), passed through the capture's own PNG/JPEG encoding, decoded, downscaled
 * by block means rounded half up and written as 8-bit grey PNG. With --shards N the work is split
 * over N child processes. `--splits test,val` renders (and lists) only those splits and `--only M21,...`
 * only those machines, e.g. to rebuild a trained model's test parts on another machine.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { NATIVE_PIXEL_UM, datasetSplit, encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type SynthConfig } from '../../src/synth/index.js';

/** The git commit of src/synth that made the data, set by the esbuild bundle (--define:SYNTH_COMMIT). */
declare const SYNTH_COMMIT: string | undefined;
const synthCommit = typeof SYNTH_COMMIT === 'string' ? SYNTH_COMMIT : null;

interface Opts { out: string; machines: number; train: number; val: number; test: number; strength: number; size: number; downscale: number; seed: number; shards: number; shard: number; splits: Set<string>; only: Set<string> | null }

function parse(argv: string[]): Opts {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  const n = (k: string, d: number): number => (o[k] === undefined ? d : Number(o[k]));
  if (!o.out) throw new Error('--out is required');
  return { out: path.resolve(o.out), machines: n('machines', 21), train: n('train', 100), val: n('val', 10), test: n('test', 50), strength: n('strength', 1), size: n('size', 1024), downscale: n('downscale', 2), seed: n('seed', 1), shards: n('shards', 1), shard: n('shard', -1), splits: new Set((o.splits ?? 'train,val,test').split(',')), only: o.only ? new Set(o.only.split(',')) : null };
}

function splitOf(o: Opts, machine: number, k: number): 'train' | 'val' | 'test' {
  return datasetSplit(o.seed, machine, k, o);
}

function downscale(px: Uint8Array, w: number, h: number, d: number): { data: Uint8Array; w: number; h: number } {
  const W = Math.floor(w / d);
  const H = Math.floor(h / d);
  const out = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) s += px[(y * d + j) * w + x * d + i];
      out[y * W + x] = Math.floor(s / (d * d) + 0.5);
    }
  return { data: out, w: W, h: H };
}

function wanted(o: Opts, machine: string, split: string): boolean {
  return o.splits.has(split) && (o.only === null || o.only.has(machine));
}

async function renderShard(o: Opts, config: SynthConfig): Promise<void> {
  const machines = makeMachines(config);
  const total = config.machines * config.partsPerMachine;
  for (let index = o.shard; index < total; index += o.shards) {
    const part = makePart(config, machines, index);
    if (!wanted(o, part.machine.name, splitOf(o, part.machine.index, index % config.partsPerMachine))) continue;
    const params = sampleCaptureParams(part, 0);
    const cap = renderCapture(part, params, { size: o.size, pixelUm: NATIVE_PIXEL_UM });
    const bytes = await encodeCapture(cap.pixels, cap.width, cap.height, params.format, params.jpegQuality, 1);
    const raw = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
    const small = downscale(new Uint8Array(raw.data), raw.info.width, raw.info.height, o.downscale);
    await sharp(small.data, { raw: { width: small.w, height: small.h, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 1 }).toFile(path.join(o.out, 'images', `${part.serial}.png`));
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const config: SynthConfig = { seed: o.seed, strength: o.strength, processes: ['DLS', 'MJF', 'SLA', 'FDM'], machines: o.machines, partsPerMachine: o.train + o.val + o.test };
  if (o.shard >= 0) return renderShard(o, config);
  mkdirSync(path.join(o.out, 'images'), { recursive: true });
  const started = Date.now();
  const self = fileURLToPath(import.meta.url);
  await Promise.all(Array.from({ length: o.shards }, (_, s) => new Promise<void>((resolve, reject) => {
    const child = fork(self, [...process.argv.slice(2), '--shard', String(s)], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`shard ${s} exited with ${code}`))));
  })));
  const machines = makeMachines(config);
  const items = [];
  for (let index = 0; index < config.machines * config.partsPerMachine; index++) {
    const part = makePart(config, machines, index);
    const k = index % config.partsPerMachine;
    if (!wanted(o, part.machine.name, splitOf(o, part.machine.index, k))) continue;
    items.push({ id: `${part.serial}-c1`, serial: part.serial, captureId: null, file: `images/${part.serial}.png`, label: part.machine.index, split: splitOf(o, part.machine.index, k), build: part.build, process: part.machine.process });
  }
  const doc = { schemaVersion: 1, attribute: 'machine', classes: machines.map((m) => m.name), pixelSizeUm: NATIVE_PIXEL_UM, downscale: o.downscale, seed: o.seed, synth: { ...config, size: o.size, commit: synthCommit }, items };
  writeFileSync(path.join(o.out, 'dataset.json'), JSON.stringify(doc));
  process.stdout.write(`wrote ${items.length} parts of ${machines.length} machines to ${o.out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

await main();
