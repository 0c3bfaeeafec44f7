/**
 * The classical baseline on an exported dataset: fit on the training split's ROIs, then vote over
 * exactly the ROIs `evaluateSource` draws for each test item (the same seed derivation), so the
 * baseline and a trained model are compared on the same parts and the same crops.
 */
import path from 'node:path';
import { deriveSeed, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage } from '../imaging/index.js';
import { baselineProbabilities, fitPcaLda, textureFeatures, type BaselineModel, type TextureFeatureOptions } from './baseline.js';
import { readDataset, type DatasetItem } from './dataset.js';
import { cropRoi, sampleRois, type RoiSpec } from './roi.js';
import type { SplitName } from './split.js';

export interface BaselineOptions {
  /** ROI geometry (side, threshold); the dataset's images are already downscaled. */
  roi: Pick<RoiSpec, 'side' | 'minMeanFraction' | 'rejectHalvingEvery' | 'maxAttempts'>;
  /** Training ROIs per training image (default 16). */
  trainRois?: number;
  /** Seed of the evaluation ROIs, as `evaluateSource`'s (default 1). */
  seed?: number;
  /** Headline ROI count (default 16). */
  k?: number;
  roiCounts?: number[];
  features?: TextureFeatureOptions;
  onProgress?: ProgressListener;
}

export interface BaselineReport {
  method: string;
  split: string;
  k: number;
  images: number;
  accuracy: number;
  accuracyByRois: Array<{ rois: number; accuracy: number }>;
  perClass: Record<string, { n: number; correct: number; accuracy: number }>;
  classes: string[];
  confusion: number[][];
  trainRois: number;
  pcaDims: number;
  fitSeconds: number;
  evalSeconds: number;
}

export interface FittedBaseline {
  model: BaselineModel;
  classes: string[];
  trainRois: number;
  fitSeconds: number;
}

function spec(o: BaselineOptions): RoiSpec {
  return { downscale: 1, outputSize: o.roi.side, ...o.roi };
}

async function roiFeatures(dir: string, item: DatasetItem, o: BaselineOptions, k: number, seed: number): Promise<Float64Array[]> {
  const image = await readGreyImage(path.join(dir, item.file));
  const s = spec(o);
  return sampleRois(image, s, k, seed, { name: item.file }).map((box) => textureFeatures(cropRoi(image, box, s.side), s.side, o.features));
}

/** Fits the baseline on every training item of a dataset folder. */
export async function fitBaseline(datasetDir: string, options: BaselineOptions): Promise<FittedBaseline> {
  const t0 = performance.now();
  const ds = await readDataset(datasetDir);
  const per = options.trainRois ?? 16;
  const seed = options.seed ?? 1;
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  const train = ds.items.filter((i) => i.split === 'train');
  const onProgress = options.onProgress ?? noProgress;
  for (const [n, item] of train.entries()) {
    for (const f of await roiFeatures(datasetDir, item, options, per, deriveSeed(seed, 'baseline-train', item.id))) {
      rows.push(f);
      labels.push(item.label);
    }
    onProgress({ phase: 'baseline-fit', done: n + 1, total: train.length, detail: item.id });
  }
  return { model: fitPcaLda(rows, labels, ds.classes.length), classes: ds.classes, trainRois: rows.length, fitSeconds: (performance.now() - t0) / 1000 };
}

/** Votes the fitted baseline over one split of a dataset folder (classes must match the fit's). */
export async function evaluateBaseline(fitted: FittedBaseline, datasetDir: string, split: SplitName | 'all', options: BaselineOptions): Promise<BaselineReport> {
  const t0 = performance.now();
  const ds = await readDataset(datasetDir);
  const seed = options.seed ?? 1;
  const k = options.k ?? 16;
  const roiCounts = [...new Set([...(options.roiCounts ?? [1, 4, 16]), k])].sort((a, b) => a - b);
  const maxK = roiCounts[roiCounts.length - 1];
  const items = ds.items.filter((i) => (split === 'all' || i.split === split) && fitted.classes.includes(ds.classes[i.label]));
  const C = fitted.classes.length;
  const confusion = fitted.classes.map(() => fitted.classes.map(() => 0));
  const byRois = new Map<number, number>(roiCounts.map((r) => [r, 0]));
  const onProgress = options.onProgress ?? noProgress;
  for (const [n, item] of items.entries()) {
    const truth = fitted.classes.indexOf(ds.classes[item.label]);
    const probs = (await roiFeatures(datasetDir, item, options, maxK, deriveSeed(seed, item.id))).map((f) => baselineProbabilities(fitted.model, f));
    const sum = new Float64Array(C);
    for (const [i, p] of probs.entries()) {
      for (let c = 0; c < C; c++) sum[c] += p[c];
      const r = i + 1;
      if (byRois.has(r)) {
        const winner = argmax(sum);
        if (winner === truth) byRois.set(r, byRois.get(r)! + 1);
        if (r === k) confusion[truth][winner]++;
      }
    }
    onProgress({ phase: 'baseline-evaluate', done: n + 1, total: items.length, detail: item.id });
  }
  const perClass = Object.fromEntries(
    fitted.classes.map((c, i) => {
      const row = confusion[i];
      const total = row.reduce((a, b) => a + b, 0);
      return [c, { n: total, correct: row[i], accuracy: total ? row[i] / total : 0 }];
    }),
  );
  const correct = confusion.reduce((s, row, i) => s + row[i], 0);
  return {
    method: 'polar power spectrum + LBP (riu2) + PCA + LDA, ROI vote',
    split,
    k,
    images: items.length,
    accuracy: items.length ? correct / items.length : 0,
    accuracyByRois: roiCounts.map((r) => ({ rois: r, accuracy: items.length ? byRois.get(r)! / items.length : 0 })),
    perClass,
    classes: fitted.classes,
    confusion,
    trainRois: fitted.trainRois,
    pcaDims: fitted.model.pcaDims,
    fitSeconds: fitted.fitSeconds,
    evalSeconds: (performance.now() - t0) / 1000,
  };
}

function argmax(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** A one-line comparison for bench notes: does the model beat the baseline on the same parts? */
export function compareWithBaseline(modelAccuracy: number, baseline: BaselineReport, label: string): string {
  const d = (modelAccuracy - baseline.accuracy) * 100;
  const verdict = d > 0 ? `beats the classical baseline by ${d.toFixed(2)} points` : d === 0 ? 'does NOT beat the classical baseline (level with it)' : `does NOT beat the classical baseline (${(-d).toFixed(2)} points below it)`;
  return `${label}: ${(modelAccuracy * 100).toFixed(2)}% vs baseline ${(baseline.accuracy * 100).toFixed(2)}% (${baseline.k} ROIs, ${baseline.images} images): the model ${verdict}.`;
}
