/**
 * Sweep: for each downscale factor, export the dataset; for each ROI side, train, evaluate on the
 * test split, and record accuracy against the physical sample size (r x d x pixel size).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { noProgress, type ProgressListener } from '../core/index.js';
import { writeDataset } from './dataset.js';
import { evaluateSource, writeEvaluation } from './evaluate.js';
import { loadSourceModel } from './model.js';
import type { SplitPlan } from './split.js';
import { lineChartSvg } from './svg.js';
import { runTrainer } from './train.js';

export interface SweepOptions {
  plan: SplitPlan;
  attribute: string;
  seed: number;
  downscales: number[];
  sides: number[];
  /** Network input side (default: the ROI side, i.e. no resizing). */
  inputSize?: number;
  /** Extra arguments for partprint_trainer.train (epochs, arch, ...). */
  trainArgs: string[];
  out: string;
  k?: number;
  onProgress?: ProgressListener;
  onLine?: (line: string) => void;
}

export interface SweepPoint {
  downscale: number;
  side: number;
  sampleSizeMm: number | null;
  accuracy: number;
  accuracyOneRoi: number;
  model: string;
}

/** Runs the whole grid; returns the points and writes sweep.json and sweep.svg under `out`. */
export async function runSweep(options: SweepOptions): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  const onProgress = options.onProgress ?? noProgress;
  const total = options.downscales.length * options.sides.length;
  await mkdir(options.out, { recursive: true });
  for (const d of options.downscales) {
    const dsDir = path.join(options.out, `dataset-d${d}`);
    const ds = await writeDataset(options.plan, { out: dsDir, attribute: options.attribute, downscale: d, seed: options.seed, force: true });
    for (const r of options.sides) {
      const modelDir = path.join(options.out, `model-d${d}-r${r}`);
      onProgress({ phase: 'sweep', done: points.length, total, detail: `train d=${d} r=${r}` });
      await runTrainer(
        'train',
        ['--dataset', dsDir, '--out', modelDir, '--name', `sweep-d${d}-r${r}`, '--roi-side', String(r), '--input-size', String(options.inputSize ?? r), '--seed', String(options.seed), ...options.trainArgs],
        { onLine: options.onLine },
      );
      const model = await loadSourceModel(modelDir);
      try {
        const report = await evaluateSource(model, dsDir, { split: 'test', seed: options.seed, k: options.k ?? 16 });
        await writeEvaluation(report, path.join(modelDir, 'eval'));
        const mm = ds.pixelSizeUm === null ? null : (r * d * ds.pixelSizeUm) / 1000;
        points.push({ downscale: d, side: r, sampleSizeMm: mm, accuracy: report.accuracy, accuracyOneRoi: report.accuracyByRois.find((a) => a.rois === 1)?.accuracy ?? NaN, model: modelDir });
      } finally {
        await model.close();
      }
    }
  }
  onProgress({ phase: 'sweep', done: total, total });
  await writeFile(path.join(options.out, 'sweep.json'), `${JSON.stringify(points, null, 2)}\n`);
  const physical = points.every((p) => p.sampleSizeMm !== null);
  const series = options.downscales.map((d) => ({
    name: `downscale ${d}`,
    points: points.filter((p) => p.downscale === d).map((p): [number, number] => [physical ? (p.sampleSizeMm as number) : p.side * p.downscale, p.accuracy]),
  }));
  await writeFile(
    path.join(options.out, 'sweep.svg'),
    lineChartSvg(series, {
      title: `${options.attribute}: accuracy vs sample size (${options.k ?? 16} ROIs)`,
      xLabel: physical ? 'physical ROI side, mm (log scale)' : 'ROI side in native pixels (pixel size unknown; log scale)',
      yLabel: 'test accuracy',
      logX: true,
    }),
  );
  return points;
}
