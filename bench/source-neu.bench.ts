/**
 * Real data: NEU steel-surface images (../shared/data/neu-det, 6 classes x 200). Accuracy with
 * 16-ROI voting and the confusion matrix on the fixed test split, evaluated by the TypeScript
 * side (onnxruntime-node) with the model the trainer trained on that split. Goal >= 98%.
 *
 * Model: env PARTPRINT_NEU_MODEL, else the first folder under models/ whose name contains "neu".
 * The fixed split is the trainer's (`partprint_trainer.prepare_folder`: per class, images in
 * index order; the first `train` to train, the next `val` to val, the rest to test), with the
 * per-class counts taken from the model card's data summary.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confusionSvg, evaluateSource, loadSourceModel, missingPythonModules, runTrainer, writeEvaluation } from '../src/source/index.js';
import type { BenchResult } from './run.js';

function findModel(): string | undefined {
  if (process.env.PARTPRINT_NEU_MODEL) return process.env.PARTPRINT_NEU_MODEL;
  const root = path.resolve('models');
  if (!existsSync(root)) return undefined;
  const dir = readdirSync(root)
    .filter((d) => /neu/i.test(d))
    .map((d) => path.join(root, d))
    .find((d) => existsSync(path.join(d, 'model.json')) && existsSync(path.join(d, 'model.onnx')));
  return dir;
}

function perClass(data: unknown, split: string): number | undefined {
  const counts = (data as Record<string, { perClass?: Record<string, number> }> | undefined)?.[split]?.perClass;
  const values = counts ? Object.values(counts) : [];
  return values.length ? Math.min(...values) : undefined;
}

export async function run(): Promise<BenchResult> {
  const name = 'source-neu';
  const neu = path.resolve(process.cwd(), '../shared/data/neu-det');
  if (!existsSync(neu)) return { name, metrics: {}, tables: [], skipped: `${neu} is absent` };
  const modelDir = findModel();
  if (!modelDir) return { name, metrics: {}, tables: [], skipped: 'no trained NEU model yet (the trainer delivers it under models/neu-*; or set PARTPRINT_NEU_MODEL)' };
  const missing = missingPythonModules(['numpy', 'PIL']);
  if (missing.length) return { name, metrics: {}, tables: [], skipped: `the fixed split is made by partprint_trainer.prepare_folder; python lacks ${missing.join(', ')}` };
  const model = await loadSourceModel(modelDir);
  try {
    const card = model.card;
    const train = perClass(card.data, 'train') ?? 120;
    const val = perClass(card.data, 'val') ?? 20;
    const ds = mkdtempSync(path.join(os.tmpdir(), 'pp-neu-'));
    await runTrainer('prepare_folder', ['--src', neu, '--out', ds, '--train', String(train), '--val', String(val), '--downscale', String(card.roi.downscale), '--attribute', card.attribute]);
    const t0 = performance.now();
    const report = await evaluateSource(model, ds, { split: 'test', k: 16, seed: 1 });
    const seconds = (performance.now() - t0) / 1000;
    const out = path.resolve('bench/results/source-neu');
    await writeEvaluation(report, out);
    writeFileSync(path.resolve('bench/results/source-neu-confusion.svg'), confusionSvg(report.classes, report.confusion, `NEU test split: ${(report.accuracy * 100).toFixed(2)}% (16 ROIs)`));
    return {
      name,
      metrics: {
        model: card.name,
        architecture: card.architecture,
        roi: card.roi,
        split: { trainPerClass: train, valPerClass: val, test: report.images },
        accuracy: report.accuracy,
        accuracyByRois: report.accuracyByRois,
        perClass: report.perClass,
        confusion: report.confusion,
        classes: report.classes,
        secondsPerImage: seconds / report.images,
        goalMet: report.accuracy >= 0.98,
      },
      tables: [
        { title: 'Accuracy vs voting ROIs (test split)', columns: ['ROIs', 'accuracy'], rows: report.accuracyByRois.map((a) => [a.rois, `${(a.accuracy * 100).toFixed(2)}%`]) },
        { title: 'Confusion matrix at 16 ROIs (rows: true class)', columns: ['true \\ predicted', ...report.classes], rows: report.confusion.map((r, i) => [report.classes[i], ...r]) },
      ],
      notes: [
        `Model ${card.name} from ${modelDir} (${card.architecture}, ROI ${card.roi.side} px at downscale ${card.roi.downscale} -> ${card.input.size}; trained on ${String(card.training.hardware ?? '?')}, ${String(card.training.epochsRun ?? card.training.epochs)} epochs), evaluated in TypeScript with onnxruntime-node on ${report.images} test images; goal >= 98%: ${report.accuracy >= 0.98 ? 'met' : 'not met'}.`,
        `Report files: bench/results/source-neu/ (metrics.json, confusion.csv/svg, accuracy-vs-rois.svg).`,
      ],
    };
  } finally {
    await model.close();
  }
}
