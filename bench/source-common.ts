/**
 * What every source benchmark does beside the trained model: the classical baseline on the same
 * parts and ROIs, a brightness/contrast-shifted copy of the test split, and the input check
 * (fitted on train + val, measured on test, the shifted copy and unseen inputs).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  calibrateConfidence,
  compareWithBaseline,
  evaluateBaseline,
  evaluateSource,
  fitBaseline,
  runTrainer,
  type BaselineOptions,
  type BaselineReport,
  type ConfidenceCalibration,
  type EvaluationReport,
  type SourceModel,
} from '../src/source/index.js';
import type { BenchTable } from './run.js';

export const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** A shifted copy of the dataset's test split (trainer/partprint_trainer/shift_dataset.py), made once per folder. */
export async function shiftedCopy(datasetDir: string): Promise<string> {
  const out = `${datasetDir.replace(/\/$/, '')}-shifted`;
  if (!existsSync(path.join(out, 'dataset.json'))) await runTrainer('shift_dataset', ['--src', datasetDir, '--out', out]);
  return out;
}

export interface Comparison {
  model: EvaluationReport;
  shifted: EvaluationReport;
  baseline: BaselineReport;
  baselineShifted: BaselineReport;
  calibration: ConfidenceCalibration;
  /** Input check applied to the model's reports (share flagged). */
  flagged: { test: number; shifted: number; unseen: number | null; unseenHeldOut: number | null };
  tables: BenchTable[];
  notes: string[];
  metrics: Record<string, unknown>;
}

/** The model (with the input check fitted on its dataset) against the baseline, on test and on the shifted test. */
export async function compareOnDataset(model: SourceModel, ds: string, options: { trainRois?: number; unseen?: string; unseenHeldOut?: { dir: string; label: string }; label: string }): Promise<Comparison> {
  const shiftedDs = await shiftedCopy(ds);
  const calibration = await calibrateConfidence(model, ds);
  const checked: SourceModel = { dir: model.dir, card: { ...model.card, ...calibration }, run: (b, n) => model.run(b, n), close: () => Promise.resolve() };
  // 1, 4 and 16 ROIs: one draw of 16 ROIs per part (32 would double the inference on this shared CPU).
  const opts = { k: 16, seed: 1, roiCounts: [1, 4, 16] };
  const report = await evaluateSource(checked, ds, { ...opts, split: 'test' });
  const shifted = await evaluateSource(checked, shiftedDs, { ...opts, split: 'test' });
  const unseen = options.unseen ? await evaluateSource(checked, options.unseen, { ...opts, split: 'all', roiCounts: [16] }) : null;
  const unseenHeldOut = options.unseenHeldOut ? await evaluateSource(checked, options.unseenHeldOut.dir, { ...opts, split: 'all', roiCounts: [16] }) : null;
  const bopts: BaselineOptions = { roi: model.card.roi, trainRois: options.trainRois ?? 16, seed: 1, k: 16, roiCounts: [1, 4, 16] };
  const fitted = await fitBaseline(ds, bopts);
  const baseline = await evaluateBaseline(fitted, ds, 'test', bopts);
  const baselineShifted = await evaluateBaseline(fitted, shiftedDs, 'test', bopts);
  const low = (r: EvaluationReport) => r.items.filter((i) => i.confidenceLevel === 'low').length / Math.max(r.items.length, 1);
  const flagged = { test: low(report), shifted: low(shifted), unseen: unseen ? low(unseen) : null, unseenHeldOut: unseenHeldOut ? low(unseenHeldOut) : null };
  const byCheck = (r: EvaluationReport | null) => {
    if (!r) return '-';
    const low = r.items.filter((i) => i.confidenceLevel === 'low');
    const n = (prefix: string) => low.filter((i) => i.lowConfidenceReasons.some((x) => x.startsWith(prefix))).length;
    return `${n('surface texture')} / ${n('input statistics')} / ${n('model features')}`;
  };
  const one = (r: EvaluationReport) => r.accuracyByRois.find((a) => a.rois === 1)?.accuracy ?? NaN;
  const b1 = (r: BaselineReport) => r.accuracyByRois.find((a) => a.rois === 1)?.accuracy ?? NaN;
  const tables: BenchTable[] = [
    {
      title: `${options.label}: trained model vs classical baseline, same test parts and ROIs (16-ROI vote)`,
      columns: ['method', 'test, 1 ROI', 'test, 16 ROIs', 'shifted test, 16 ROIs', 'beats baseline (test)?'],
      rows: [
        [`${model.card.name} (${model.card.architecture}, normalisation ${model.card.normalization.mode})`, pct(one(report)), pct(report.accuracy), pct(shifted.accuracy), report.accuracy > baseline.accuracy ? `yes, +${((report.accuracy - baseline.accuracy) * 100).toFixed(2)} points` : `NO (${((report.accuracy - baseline.accuracy) * 100).toFixed(2)} points)`],
        [`baseline: ${baseline.method}`, pct(b1(baseline)), pct(baseline.accuracy), pct(baselineShifted.accuracy), '-'],
      ],
    },
    {
      title: `Input check (confidence: low): fitted on the training split, thresholds on the validation split (at most 2% of validation parts flagged: ${pct(calibration.inputCheck.valFlaggedShare ?? NaN)} were)`,
      columns: ['parts', 'n', 'flagged low confidence', 'accuracy of the parts kept', 'flagged by texture / brightness-contrast z / open-set score'],
      rows: [
        ['test (in distribution)', report.items.length, pct(flagged.test), keptPct(report), byCheck(report)],
        ['shifted test copy', shifted.items.length, pct(flagged.shifted), keptPct(shifted), byCheck(shifted)],
        ...(unseen ? [['unseen surfaces (no class of the model)', unseen.items.length, pct(flagged.unseen ?? NaN), '-', byCheck(unseen)] as Array<string | number>] : []),
        ...(unseenHeldOut && options.unseenHeldOut ? [[options.unseenHeldOut.label, unseenHeldOut.items.length, pct(flagged.unseenHeldOut ?? NaN), '-', byCheck(unseenHeldOut)] as Array<string | number>] : []),
      ],
    },
    {
      title: `Confidence calibration (temperature ${calibration.calibration.temperature.toFixed(3)} from validation; val NLL ${calibration.calibration.valNllBefore.toFixed(4)} -> ${calibration.calibration.valNllAfter.toFixed(4)})`,
      columns: ['split', 'ECE as predicted', 'ECE after temperature'],
      rows: [
        ['test', report.reliability.ece.toFixed(4), report.reliability.calibrated?.ece.toFixed(4) ?? '-'],
        ['shifted test', shifted.reliability.ece.toFixed(4), shifted.reliability.calibrated?.ece.toFixed(4) ?? '-'],
      ],
    },
  ];
  const notes = [
    compareWithBaseline(report.accuracy, baseline, `${options.label}, test`),
    compareWithBaseline(shifted.accuracy, baselineShifted, `${options.label}, shifted test copy`),
    `Baseline fitted on ${baseline.trainRois} training ROIs (${bopts.trainRois} per training image) in ${baseline.fitSeconds.toFixed(0)} s on this machine (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}); its features are computed on each ROI after removing the ROI's own mean and spread, as a per-ROI-normalised model sees it.`,
    `Shifted copy: trainer/partprint_trainer/shift_dataset.py (brightness offset = brightest minus darkest class mean of the training images, contrast factor = largest over smallest class contrast; darker-than-mid-grey images brightened and contrast raised, brighter ones darkened and flattened, clipped to 0..255).`,
  ];
  return {
    model: report,
    shifted,
    baseline,
    baselineShifted,
    calibration,
    flagged,
    tables,
    notes,
    metrics: {
      accuracy: report.accuracy,
      shiftedAccuracy: shifted.accuracy,
      accuracyByRois: report.accuracyByRois,
      baseline: { accuracy: baseline.accuracy, shiftedAccuracy: baselineShifted.accuracy, accuracyByRois: baseline.accuracyByRois, trainRois: baseline.trainRois, fitSeconds: baseline.fitSeconds, confusion: baseline.confusion },
      beatsBaseline: report.accuracy > baseline.accuracy,
      marginPoints: (report.accuracy - baseline.accuracy) * 100,
      inputCheck: { ...calibration.inputCheck, perClass: undefined },
      temperature: calibration.calibration,
      flagged,
      ece: { test: report.reliability.ece, testCalibrated: report.reliability.calibrated?.ece ?? null, shifted: shifted.reliability.ece },
    },
  };
}

function keptPct(r: EvaluationReport): string {
  const a = keptAccuracy(r);
  return Number.isNaN(a) ? '- (none kept)' : pct(a);
}

function keptAccuracy(r: EvaluationReport): number {
  const kept = r.items.filter((i) => i.confidenceLevel !== 'low');
  return kept.length ? kept.filter((i) => i.correct).length / kept.length : NaN;
}
