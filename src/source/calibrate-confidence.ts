/**
 * Fits the card's input check and temperature on the model's own dataset: statistics of the
 * training split's ROIs per class (brightness/contrast and the texture Gaussian; no model run), thresholds and temperature on the validation
 * split (known parts), so the test split stays untouched.
 */
import path from 'node:path';
import { SourceError, deriveSeed, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage } from '../imaging/index.js';
import { calibrateInputCheck, fitInputStatistics, fitTemperature, fitTextureCheck, type InputCheck } from './confidence.js';
import { readDataset } from './dataset.js';
import { evaluateSource } from './evaluate.js';
import type { SourceModel } from './model.js';
import { buildRoiTensor } from './roi.js';
import { openSetScore } from './vote.js';

export interface ConfidenceCalibration {
  inputCheck: InputCheck;
  calibration: { temperature: number; valNllBefore: number; valNllAfter: number; nll: string; calibratedOn: string };
}

export interface CalibrateConfidenceOptions {
  k?: number;
  seed?: number;
  /** Share of validation parts the input check may flag (default 0.02). */
  maxFlagged?: number;
  onProgress?: ProgressListener;
}

/**
 * @example
 *   const cal = await calibrateConfidence(model, 'datasets/neu');
 *   await writeModelCard(dir, { ...model.card, ...cal });
 */
export async function calibrateConfidence(model: SourceModel, datasetDir: string, options: CalibrateConfidenceOptions = {}): Promise<ConfidenceCalibration> {
  const k = options.k ?? 16;
  const seed = options.seed ?? 1;
  const ds = await readDataset(datasetDir);
  const train = ds.items.filter((i) => i.split === 'train');
  if (train.length === 0) throw new SourceError(`${datasetDir}: no training parts to take the input statistics from`, { code: 'BAD_INPUT' });
  const onProgress = options.onProgress ?? noProgress;
  const rows = [];
  for (const [n, item] of train.entries()) {
    const image = await readGreyImage(path.join(datasetDir, item.file));
    const t = buildRoiTensor(image, model.card.roi, model.card.normalization, k, deriveSeed(seed, 'input-stats', item.id), { alreadyDownscaled: true, name: item.file });
    rows.push({ label: ds.classes[item.label], stats: t.stats });
    onProgress({ phase: 'input statistics', done: n + 1, total: train.length, detail: item.id });
  }
  const perClass = fitInputStatistics(rows);
  // The texture distance needs every training part's texture statistics (square ROIs of at least 9 px).
  const texture = rows.every((r) => r.stats.texture) ? fitTextureCheck(rows.map((r) => ({ label: r.label, texture: r.stats.texture! }))) : undefined;
  const val = await evaluateSource(model, datasetDir, { split: 'val', k, seed: deriveSeed(seed, 'calibrate'), roiCounts: [k], onProgress });
  const C = model.card.classes.length;
  const method = model.card.openSet?.method ?? 'logit-cosine';
  const known = val.items.filter((r) => model.card.classes.includes(r.trueClass));
  const where = `${path.basename(path.resolve(datasetDir))}: ${train.length} training images (statistics), ${known.length} validation parts (thresholds, temperature)`;
  const inputCheck = calibrateInputCheck(
    perClass,
    known.map((r) => ({ predicted: r.predicted, stats: r.inputStats, openScore: openSetScore(r, method) })),
    { maxFlagged: options.maxFlagged, calibratedOn: where, texture },
  );
  const t = fitTemperature(known.map((r) => ({ logits: r.logits, label: model.card.classes.indexOf(r.trueClass) })), C);
  return { inputCheck, calibration: { temperature: t.temperature, valNllBefore: t.nllBefore, valNllAfter: t.nllAfter, nll: 'per ROI', calibratedOn: where } };
}
