/**
 * Synthetic data at the reference study's scale: 21 machines x 150 parts = 3150 registered
 * captures at 1024 x 1024 (5.3 um/px), written as PNG with the manifest, on this machine's cores.
 * Goal: under 10 minutes on 2 cores. Reports wall time, CPU time (all threads of the process),
 * peak resident memory and the machine's load, since a shared machine stretches wall time.
 *
 * SYNTH_BENCH_PARTS_PER_MACHINE overrides 150 (for a quick look); SYNTH_BENCH_WORKERS the worker count.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateParts } from '../src/synth/index.js';
import type { BenchResult } from './run.js';

export async function run(): Promise<BenchResult> {
  const perMachine = Number(process.env.SYNTH_BENCH_PARTS_PER_MACHINE ?? 150);
  const workers = Number(process.env.SYNTH_BENCH_WORKERS ?? os.availableParallelism());
  const machines = 21;
  const out = await mkdtemp(path.join(os.tmpdir(), 'partprint-synth-bench-'));
  const loadBefore = os.loadavg();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastReport = 0;
  try {
    const s = await generateParts({
      out,
      machines,
      partsPerMachine: perMachine,
      size: 1024,
      workers,
      onProgress: (e) => {
        if (e.done - lastReport >= 200 || e.done === e.total) {
          lastReport = e.done;
          process.stderr.write(`synth bench: ${e.done}/${e.total} after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
        }
      },
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const loadAfter = os.loadavg();
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const cores = os.availableParallelism();
    const metrics = {
      parts: s.images,
      size: 1024,
      pixelSizeUm: 5.3,
      workers,
      cores,
      wallSeconds: Number(wall.toFixed(1)),
      cpuSeconds: Number(cpuSeconds.toFixed(1)),
      cpuMsPerImage: Number(((cpuSeconds * 1000) / s.images).toFixed(1)),
      imagesPerSecond: Number((s.images / wall).toFixed(2)),
      /** CPU time spread over the cores: the wall time this run would take on an otherwise idle machine. */
      idleMachineEstimateSeconds: Number((cpuSeconds / Math.min(cores, workers)).toFixed(1)),
      peakRssMiB: Math.round(peakRssMiB),
      writtenMiB: Math.round(s.bytes / 2 ** 20),
      loadAverageBefore: loadBefore.map((v) => Number(v.toFixed(2))),
      loadAverageAfter: loadAfter.map((v) => Number(v.toFixed(2))),
      goalSeconds: 600,
    };
    return {
      name: 'synth',
      metrics,
      tables: [
        {
          title: `synth parts: ${machines} machines x ${perMachine} parts at 1024 x 1024`,
          columns: ['parts', 'workers', 'wall s', 'CPU s', 'CPU ms / image', 'idle-machine estimate s', 'peak RSS MiB', 'written MiB', 'load avg before / after (1 min)', 'goal s'],
          rows: [[s.images, workers, metrics.wallSeconds, metrics.cpuSeconds, metrics.cpuMsPerImage, metrics.idleMachineEstimateSeconds, metrics.peakRssMiB, metrics.writtenMiB, `${metrics.loadAverageBefore[0]} / ${metrics.loadAverageAfter[0]}`, 600]],
        },
      ],
      notes: [
        'CPU seconds count every thread of the process (main, workers, libvips); the idle-machine estimate is CPU seconds / cores used.',
        'Wall time depends on what else runs: the load average shows how busy the shared machine was.',
      ],
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
