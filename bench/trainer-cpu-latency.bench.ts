/**
 * CPU inference latency of source models on this machine: one onnxruntime-node run of 16 ROIs
 * (the voting batch), 2 intra-op threads. Measures the committed small models (models/*) and,
 * when /usr/bin/python3 has torch, each trainer architecture at input 448 with random weights
 * (latency does not depend on the weights). The 1.5 s goal is per part (16 ROIs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { BenchResult } from './run.js';

const ROIS = 16;
const ARCHS = ['mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0', 'efficientnet_v2_s'];

async function time(file: string, size: number): Promise<{ best: number; median: number }> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const data = new Float32Array(ROIS * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
  const input = new ort.Tensor('float32', data, [ROIS, 1, size, size]);
  await session.run({ input });
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await session.run({ input });
    runs.push(performance.now() - t);
  }
  await session.release();
  runs.sort((a, b) => a - b);
  return { best: runs[0], median: runs[1] };
}

export async function run(): Promise<BenchResult> {
  const loadBefore = os.loadavg()[0];
  const rows: Array<Array<string | number>> = [];
  const metrics: Record<string, unknown> = {};
  const modelsDir = path.resolve('models');
  for (const name of existsSync(modelsDir) ? readdirSync(modelsDir).sort() : []) {
    const cardFile = path.join(modelsDir, name, 'model.json');
    if (!existsSync(cardFile)) continue;
    const card = JSON.parse(readFileSync(cardFile, 'utf8')) as { architecture: string; input: { size: number }; metrics?: { test?: { accuracy?: number } } };
    const t = await time(path.join(modelsDir, name, 'model.onnx'), card.input.size);
    metrics[name] = { ...t, size: card.input.size, architecture: card.architecture };
    rows.push([name, card.architecture, card.input.size, Math.round(t.best), Math.round(t.median), card.metrics?.test?.accuracy ?? '']);
  }
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  const notes = ['onnxruntime-node, 2 intra-op threads, fp32; time of one run of 16 ROIs (model only, no sampling); best and median of 3 after a warm-up.'];
  if (probe.status === 0) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-lat-'));
    const script = [
      'import sys; sys.path.insert(0, "trainer")',
      'from partprint_trainer.model import build_model',
      'from partprint_trainer.export import export_onnx',
      `for a in ${JSON.stringify(ARCHS)}: export_onnx(build_model(a, 21).eval(), 448, "${dir}/" + a + ".onnx")`,
    ].join('\n');
    const exp = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    if (exp.status !== 0) throw new Error(`export failed: ${exp.stderr}`);
    for (const a of ARCHS) {
      const t = await time(path.join(dir, `${a}.onnx`), 448);
      metrics[`${a}@448`] = { ...t, size: 448, architecture: a };
      rows.push([`${a} (random weights)`, a, 448, Math.round(t.best), Math.round(t.median), '']);
    }
  } else notes.push('448 architectures skipped: /usr/bin/python3 has no torch.');
  const loadAfter = os.loadavg()[0];
  metrics.loadAverage = { before: loadBefore, after: loadAfter, cpus: os.cpus().length };
  const meets = rows.filter((r) => Number(r[3]) < 1500).map((r) => `${r[0]} @${r[2]}`);
  notes.push(`Goal: < 1500 ms per part (16 ROIs). Under 1500 ms here: ${meets.join(', ') || 'none'}.`);
  notes.push(`1-minute load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after on ${os.cpus().length} CPUs: other jobs shared the cores, so these are upper bounds.`);
  return {
    name: 'trainer-cpu-latency',
    metrics,
    tables: [{ title: '16-ROI forward pass on the CPU', columns: ['model', 'architecture', 'input', 'best ms', 'median ms', 'test accuracy'], rows }],
    notes,
  };
}
