/**
 * Evaluation of a source model on one split of an exported dataset: accuracy, per-class accuracy,
 * confusion matrix, accuracy against the number of voting ROIs, "same or adjacent" accuracy for
 * grid positions, and the open-set rule's behaviour. Every part's ROIs come from a seed derived
 * from the evaluation seed and the item id, so a run is reproducible.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SourceError, deriveSeed, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage } from '../imaging/index.js';
import { formatCsv } from './csv.js';
import { readDataset, type DatasetFile } from './dataset.js';
import type { SourceModel } from './model.js';
import { isUnknown, predictSource } from './predict.js';
import type { SplitName } from './split.js';
import { assessConfidence, reliability, temperedDistribution, type InputCheck, type InputStats, type ReliabilityBin } from './confidence.js';
import { confusionSvg, lineChartSvg, reliabilitySvg } from './svg.js';
import { openSetScore, voteRois } from './vote.js';

export const DEFAULT_ROI_COUNTS = [1, 2, 4, 8, 16, 32];

export interface EvaluateOptions {
  /** Which split to run on (default test; 'all' for a dataset of unseen classes). */
  split?: SplitName | 'all';
  seed?: number;
  /** ROI counts for the accuracy-vs-ROIs curve (default 1, 2, 4, 8, 16, 32). */
  roiCounts?: number[];
  /** The ROI count of the headline numbers (default 16). */
  k?: number;
  onProgress?: ProgressListener;
  /** Test-time left-right flips (see PredictOptions.flips). */
  flips?: boolean;
}

export interface ItemResult {
  id: string;
  serial: string;
  trueClass: string;
  /** Predicted class at k ROIs (closed set). */
  predicted: string;
  correct: boolean;
  confidence: number;
  voteShare: number;
  /** Mean winning logit, mean logsumexp and mean winner cosine over the k ROIs (the logit open-set scores). */
  maxLogit: number;
  energy: number;
  logitCosine: number;
  /** Flagged unknown by the card's open-set rule. */
  flaggedUnknown: boolean;
  /** Predicted class index for each ROI count. */
  byRois: Record<number, string>;
  /** The card's input check at k ROIs: low when the part looks unlike the training parts (see confidence.ts). */
  confidenceLevel: 'high' | 'low';
  lowConfidenceReasons: string[];
  inputStats: InputStats;
  /** Winner probability after the card's temperature (null without calibration). */
  calibratedConfidence: number | null;
  /** Raw logits of the first k ROIs, `[k, C]` (for temperature fitting). */
  logits: Float32Array;
}

export interface EvaluationReport {
  model: string;
  attribute: string;
  split: SplitName | 'all';
  k: number;
  seed: number;
  parts: number;
  images: number;
  accuracy: number;
  perClass: Record<string, { n: number; correct: number; accuracy: number }>;
  classes: string[];
  /** confusion[true][predicted], indices into `classes`. */
  confusion: number[][];
  accuracyByRois: Array<{ rois: number; accuracy: number }>;
  /** For grid-position classes: predicted within one row/column step (Chebyshev distance <= 1). */
  adjacentAccuracy: number | null;
  /** Images whose class is not one of the model's (for open-set checks). */
  unknownImages: number;
  openSet: { method: string; threshold: number; knownFlagged: number; unknownCaught: number | null } | null;
  sampleSizeMm: number | null;
  /** Share of the (known-class) parts the card's input check calls low confidence; null without a check. */
  lowConfidenceShare: number | null;
  /** Reliability of the headline confidence (and of the temperature-scaled one when the card has a temperature). */
  reliability: { ece: number; bins: ReliabilityBin[]; calibrated: { temperature: number; ece: number; bins: ReliabilityBin[] } | null };
  items: ItemResult[];
}

/** Parses a grid position from a class name: "R2C3", "2,3", "2-3", "r02_c03" or "B3" (row letter). */
export function parseGridPosition(name: string): [number, number] | null {
  const nums = name.match(/\d+/g);
  if (nums && nums.length === 2) return [Number(nums[0]), Number(nums[1])];
  const m = /^([A-Za-z])(\d+)$/.exec(name.trim());
  if (m) return [m[1].toUpperCase().charCodeAt(0) - 64, Number(m[2])];
  return null;
}

/** True for a position-like attribute (name has position/tray/slot/grid) whose every class parses as a grid position. */
export function isGridAttribute(attribute: string, classes: string[]): boolean {
  return /position|tray|slot|grid/i.test(attribute) && classes.length > 1 && classes.every((c) => parseGridPosition(c) !== null);
}

export function adjacent(a: string, b: string): boolean {
  const pa = parseGridPosition(a);
  const pb = parseGridPosition(b);
  return pa !== null && pb !== null && Math.max(Math.abs(pa[0] - pb[0]), Math.abs(pa[1] - pb[1])) <= 1;
}

/**
 * Runs the model over one split of a dataset folder.
 *
 * @example
 *   const report = await evaluateSource(model, 'datasets/machine', { split: 'test' });
 */
export async function evaluateSource(model: SourceModel, datasetDir: string, options: EvaluateOptions = {}): Promise<EvaluationReport> {
  const dataset: DatasetFile = await readDataset(datasetDir);
  const card = model.card;
  if (dataset.downscale !== card.roi.downscale) {
    throw new SourceError(`dataset ${datasetDir} was exported at downscale ${dataset.downscale}, the model samples at downscale ${card.roi.downscale}`, { code: 'BAD_INPUT' });
  }
  const split = options.split ?? 'test';
  const seed = options.seed ?? 1;
  const k = options.k ?? 16;
  const roiCounts = [...new Set([...(options.roiCounts ?? DEFAULT_ROI_COUNTS), k])].sort((a, b) => a - b);
  const maxK = roiCounts[roiCounts.length - 1];
  const items = dataset.items.filter((i) => split === 'all' || i.split === split);
  if (items.length === 0) throw new SourceError(`dataset ${datasetDir} has no items in split "${split}"`, { code: 'BAD_INPUT' });
  const onProgress = options.onProgress ?? noProgress;
  const C = card.classes.length;
  const results: ItemResult[] = [];
  const unknownScores: number[] = [];
  const method = card.openSet?.method ?? 'max-vote-share';
  for (const [n, item] of items.entries()) {
    const trueClass = dataset.classes[item.label];
    const image = await readGreyImage(path.join(datasetDir, item.file));
    // One sample of maxK ROIs: the first k of them are exactly what a k-ROI prediction draws.
    const p = await predictSource(model, image, { k: maxK, seed: deriveSeed(seed, item.id), alreadyDownscaled: true, name: item.file, flips: options.flips });
    const byRois: Record<number, string> = {};
    for (const r of roiCounts) byRois[r] = card.classes[voteRois(p.probabilities, C, r).index];
    const kLogits = p.logits.slice(0, k * C);
    const vote = voteRois(p.probabilities.slice(0, k * C), C, k, kLogits);
    const flagged = isUnknown(model, vote);
    const check = assessConfidence(card.inputCheck as InputCheck | undefined, card.classes[vote.index], p.inputStats, openSetScore(vote, card.openSet?.method ?? 'logit-cosine'));
    const temperature = card.calibration?.temperature;
    if (!card.classes.includes(trueClass)) unknownScores.push(openSetScore(vote, method));
    results.push({
      id: item.id,
      serial: item.serial,
      trueClass,
      predicted: card.classes[vote.index],
      correct: card.classes[vote.index] === trueClass,
      confidence: vote.confidence,
      voteShare: vote.voteShare,
      maxLogit: vote.maxLogit!,
      energy: vote.energy!,
      logitCosine: vote.logitCosine!,
      flaggedUnknown: flagged,
      byRois,
      confidenceLevel: check.level,
      lowConfidenceReasons: check.reasons,
      inputStats: p.inputStats,
      calibratedConfidence: temperature ? temperedDistribution(kLogits, C, temperature)[vote.index] : null,
      logits: kLogits,
    });
    onProgress({ phase: 'evaluate', done: n + 1, total: items.length, detail: item.id });
  }
  return summarise(model, split, k, seed, roiCounts, results, unknownScores.length);
}

function summarise(model: SourceModel, split: SplitName | 'all', k: number, seed: number, roiCounts: number[], all: ItemResult[], unknownImages: number): EvaluationReport {
  const card = model.card;
  const classes = card.classes;
  const known = all.filter((r) => classes.includes(r.trueClass));
  const confusion = classes.map(() => classes.map(() => 0));
  const perClass: EvaluationReport['perClass'] = Object.fromEntries(classes.map((c) => [c, { n: 0, correct: 0, accuracy: 0 }]));
  for (const r of known) {
    confusion[classes.indexOf(r.trueClass)][classes.indexOf(r.predicted)]++;
    perClass[r.trueClass].n++;
    if (r.correct) perClass[r.trueClass].correct++;
  }
  for (const c of classes) perClass[c].accuracy = perClass[c].n ? perClass[c].correct / perClass[c].n : 0;
  const acc = (f: (r: ItemResult) => boolean) => (known.length ? known.filter(f).length / known.length : 0);
  const unknown = all.filter((r) => !classes.includes(r.trueClass));
  const rule = card.openSet;
  return {
    model: card.name,
    attribute: card.attribute,
    split,
    k,
    seed,
    parts: new Set(known.map((r) => r.serial)).size,
    images: known.length,
    accuracy: acc((r) => r.correct),
    perClass,
    classes,
    confusion,
    accuracyByRois: roiCounts.map((n) => ({ rois: n, accuracy: acc((r) => r.byRois[n] === r.trueClass) })),
    adjacentAccuracy: isGridAttribute(card.attribute, classes) ? acc((r) => adjacent(r.predicted, r.trueClass)) : null,
    unknownImages,
    openSet: rule
      ? {
          method: rule.method,
          threshold: rule.threshold,
          knownFlagged: known.length ? known.filter((r) => r.flaggedUnknown).length / known.length : 0,
          unknownCaught: unknown.length ? unknown.filter((r) => r.flaggedUnknown).length / unknown.length : null,
        }
      : null,
    sampleSizeMm: card.sampleSizeMm ?? null,
    lowConfidenceShare: card.inputCheck ? (known.length ? known.filter((r) => r.confidenceLevel === 'low').length / known.length : 0) : null,
    reliability: reliabilityOf(known, card.calibration?.temperature),
    items: all,
  };
}

function reliabilityOf(known: ItemResult[], temperature: number | undefined): EvaluationReport['reliability'] {
  const raw = reliability(known.map((r) => ({ confidence: r.confidence, correct: r.correct })));
  const calibrated = temperature ? reliability(known.map((r) => ({ confidence: r.calibratedConfidence ?? r.confidence, correct: r.correct }))) : null;
  return { ...raw, calibrated: calibrated && temperature ? { temperature, ...calibrated } : null };
}

/** Writes metrics.json, predictions.csv, confusion.csv, confusion.svg and accuracy-vs-rois.svg. */
export async function writeEvaluation(report: EvaluationReport, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const { items, ...metrics } = report;
  const files: Array<[string, string]> = [
    ['metrics.json', `${JSON.stringify(metrics, null, 2)}\n`],
    [
      'predictions.csv',
      formatCsv(
        ['id', 'serial', 'true', 'predicted', 'correct', 'confidence', 'calibrated_confidence', 'vote_share', 'max_logit', 'energy', 'logit_cosine', 'flagged_unknown', 'confidence_level', 'reasons'],
        items.map((r) => [r.id, r.serial, r.trueClass, r.predicted, r.correct ? 1 : 0, r.confidence.toFixed(6), r.calibratedConfidence?.toFixed(6) ?? '', r.voteShare.toFixed(4), r.maxLogit.toFixed(4), r.energy.toFixed(4), r.logitCosine.toFixed(4), r.flaggedUnknown ? 1 : 0, r.confidenceLevel, r.lowConfidenceReasons.join('; ')]),
      ),
    ],
    ['confusion.csv', formatCsv(['true \\ predicted', ...report.classes], report.confusion.map((row, i) => [report.classes[i], ...row]))],
    ['confusion.svg', confusionSvg(report.classes, report.confusion, `${report.model}: ${report.attribute}, ${report.split} split, ${report.k} ROIs, accuracy ${(report.accuracy * 100).toFixed(1)}%`)],
    [
      'accuracy-vs-rois.svg',
      lineChartSvg([{ name: 'accuracy', points: report.accuracyByRois.map((a) => [a.rois, a.accuracy]) }], {
        title: `${report.model}: accuracy vs voting ROIs (${report.split})`,
        xLabel: 'ROIs per part (log scale)',
        yLabel: 'accuracy',
        logX: true,
      }),
    ],
    ['reliability.svg', reliabilitySvg(report.reliability, `${report.model}: reliability (${report.split}, ${report.k} ROIs)`)],
  ];
  for (const [name, text] of files) await writeFile(path.join(outDir, name), text);
  return files.map(([name]) => path.join(outDir, name));
}
