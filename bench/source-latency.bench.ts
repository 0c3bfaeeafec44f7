/**
 * Prediction latency per part (16 ROIs, one batch) on this machine's CPU with onnxruntime-node:
 * read a scan, downscale, sample and resize 16 ROIs, run the network, vote. Goal < 1.5 s.
 *
 * Models: every folder under models/ with model.onnx + model.json (trained by the trainer) and the
 * folders in PARTPRINT_SOURCE_MODELS; plus, when python3-torch is there, networks of the trainer's
 * architectures with RANDOM weights exported through its own export (latency does not depend on
 * the weights), to show what each architecture and input size costs here; the notes say so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../src/core/index.js';
import { readGreyImage, writeGreyPng } from '../src/imaging/index.js';
import { PYTHON, buildRoiTensor, loadSourceModel, missingPythonModules, predictSource, trainerDir, type ModelCard } from '../src/source/index.js';
import { roiStatistics } from '../src/source/confidence.js';
import type { BenchResult } from './run.js';

const CACHE = path.join(os.tmpdir(), 'partprint-bench-source-models');

/** Exports `arch` with random weights at input `size` and writes a card for it. */
function exportRandom(arch: string, size: number, classes: number): string {
  const dir = path.join(CACHE, `${arch}-${size}`);
  if (existsSync(path.join(dir, 'model.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const script = [
    'import sys, torch',
    'from partprint_trainer.model import build_model',
    'from partprint_trainer.export import export_onnx',
    'torch.manual_seed(0)',
    `m = build_model("${arch}", ${classes}).eval()`,
    `export_onnx(m, ${size}, sys.argv[1])`,
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, path.join(dir, 'model.onnx')], { env: { ...process.env, PYTHONPATH: trainerDir() }, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`export of ${arch} failed: ${r.stderr}`);
  const card: ModelCard = {
    schemaVersion: 1,
    name: `${arch}-${size}-random`,
    attribute: 'machine',
    classes: Array.from({ length: classes }, (_, i) => `M${String(i + 1).padStart(2, '0')}`),
    input: { size, channels: 1, layout: 'NCHW', dtype: 'float32' },
    roi: { downscale: 4, side: size, outputSize: size, minMeanFraction: 0.5, rejectHalvingEvery: 20, maxAttempts: 200 },
    normalization: { mode: 'dataset', mean: 0.45, std: 0.2 },
    pixelSizeUm: 5.3,
    sampleSizeMm: (size * 4 * 5.3) / 1000,
    architecture: arch,
    onnx: { file: 'model.onnx', opset: 17, inputName: 'input', outputName: 'logits' },
    training: { epochs: 0, batchSize: 16, optimizer: 'lamb', optimizerNote: 'random weights: latency only' },
  };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card, null, 2));
  return dir;
}

/** A part scan at 5.3 um/pixel: 27 x 19 mm = 5100 x 3600 pixels, textured part on dark background. */
async function makeScan(file: string): Promise<void> {
  const w = 5100;
  const h = 3600;
  const rng = createRng(11);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x > 200 && x < w - 200 && y > 200 && y < h - 200;
      data[y * w + x] = inside ? 110 + ((x * 7 + y * 13) % 40) + rng.int(30) : 10 + rng.int(8);
    }
  }
  await writeGreyPng({ width: w, height: h, data, bitDepth: 8 }, file);
}

export async function run(): Promise<BenchResult> {
  const missingPy = missingPythonModules(['torch', 'torchvision', 'onnx']);
  const modelsRoot = path.resolve('models');
  // Trained models: models/* here, plus any folders named in PARTPRINT_SOURCE_MODELS (colon-separated).
  const candidates = [
    ...(existsSync(modelsRoot) ? readdirSync(modelsRoot).map((d) => path.join(modelsRoot, d)) : []),
    ...(process.env.PARTPRINT_SOURCE_MODELS ?? '').split(':').filter(Boolean),
  ];
  const trained = candidates.filter((d) => existsSync(path.join(d, 'model.onnx')) && existsSync(path.join(d, 'model.json')));
  const notes: string[] = [];
  const dirs = [...trained];
  if (trained.length > 0) notes.push(`Trained models: ${trained.join(', ')}.`);
  if (missingPy.length > 0 && trained.length === 0) {
    return { name: 'source-latency', metrics: {}, tables: [], skipped: `no trained models under models/ and ${PYTHON} lacks ${missingPy.join(', ')} to export random-weight ones` };
  }
  // PARTPRINT_LATENCY_TRAINED_ONLY=1: the bundled models alone (no random-weight exports).
  if (missingPy.length === 0 && process.env.PARTPRINT_LATENCY_TRAINED_ONLY !== '1') {
    notes.push('Rows named *-random: networks of the trainer\'s architectures with RANDOM weights, exported here with its export_onnx (latency does not depend on the weights), to show what each architecture and input size costs on this CPU.');
    dirs.push(exportRandom('efficientnet_v2_s', 448, 21), exportRandom('efficientnet_b0', 448, 21), exportRandom('mobilenet_v3_large', 448, 21), exportRandom('efficientnet_v2_s', 224, 21), exportRandom('mobilenet_v3_small', 448, 21), exportRandom('mobilenet_v3_large', 224, 21));
  }
  const scan = path.join(CACHE, 'scan-5100x3600.png');
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(scan)) await makeScan(scan);
  const rows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = { loadAverageBefore: os.loadavg()[0] };
  const reps = 5;
  for (const dir of dirs) {
    const model = await loadSourceModel(dir);
    try {
      const { card } = model;
      // Warm-up (first run allocates and optimises).
      const img0 = await readGreyImage(scan);
      await predictSource(model, img0, { k: 16, seed: 0 });
      const total: number[] = [];
      const pre: number[] = [];
      const infer: number[] = [];
      const stats: number[] = [];
      for (let i = 1; i <= reps; i++) {
        const t0 = performance.now();
        const img = await readGreyImage(scan);
        const t1 = performance.now();
        const tensor = buildRoiTensor(img, card.roi, card.normalization, 16, i);
        const t2 = performance.now();
        await model.run(tensor.data, 16);
        const t3 = performance.now();
        total.push(t3 - t0);
        pre.push(t2 - t0);
        infer.push(t3 - t2);
        void t1;
        // The input check's statistics (brightness, contrast, texture) are part of 'read + ROIs'; timed alone here.
        const t4 = performance.now();
        roiStatistics(tensor.data, card.input.size * card.input.size);
        stats.push(performance.now() - t4);
      }
      const med = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
      const row = [card.name, card.architecture, card.input.size, med(pre).toFixed(0), med(stats).toFixed(0), med(infer).toFixed(0), med(total).toFixed(0), med(total) < 1500 ? 'yes' : 'no'];
      rows.push(row);
      metrics[card.name] = { architecture: card.architecture, inputSize: card.input.size, preprocessMs: med(pre), inputStatisticsMs: med(stats), inferenceMs: med(infer), totalMs: med(total), reps };
    } finally {
      await model.close();
    }
  }
  metrics.loadAverageAfter = os.loadavg()[0];
  notes.push(`1-minute load average ${(metrics.loadAverageBefore as number).toFixed(1)} before and ${(metrics.loadAverageAfter as number).toFixed(1)} after on ${os.cpus().length} cores: other work shared the CPU, so these are upper bounds.`);
  notes.push(`Per part: decode a 5100x3600 PNG scan (27 x 19 mm at 5.3 um), box-downscale by the card's factor (4 for the random-weight rows, 1 for the NEU model), 16 ROIs in one batch, onnxruntime-node CPU with intra-op threads = ${os.cpus().length}; median of ${reps} after one warm-up.`);
  return {
    name: 'source-latency',
    metrics,
    tables: [{ title: 'Prediction latency per part, 16 ROIs (ms, median)', columns: ['model', 'architecture', 'input', 'read + ROIs', 'of which input-check statistics', 'inference', 'total', '< 1.5 s'], rows }],
    notes,
  };
}
