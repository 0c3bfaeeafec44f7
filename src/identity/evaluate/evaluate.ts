/**
 * Evaluation over labelled captures (ISO/IEC 19795 style): all genuine and impostor pairs ->
 * EER, FNMR at FMR; closed-set rank-1 with the first capture of each label as the gallery;
 * open-set FPIR/FNIR with some labels held out of the gallery.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { IdentityError, noProgress, type ProgressListener } from '../../core/index.js';
import { calibrateScores, type Calibration } from './calibrate.js';
import { verifyPair, type PartialVerifyOptions } from '../verify/verify.js';
import type { FeatureSet } from '../types.js';

const IMAGE = /\.(png|tiff?|jpe?g|pgm|ppm|pnm)$/i;

/**
 * Image files of a labelled folder: either one subfolder per item (label = folder name), or flat
 * files named `<label>_<n>.<ext>` (or `<label>-<n>`), as FVC's `101_1.tif`.
 */
export async function readLabelledFolder(dir: string): Promise<Array<{ label: string; file: string }>> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw new IdentityError(`${dir}: cannot read folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { code: 'NOT_FOUND', cause: err });
  }
  const out: Array<{ label: string; file: string }> = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if ((await stat(full)).isDirectory()) {
      for (const f of (await readdir(full)).sort()) if (IMAGE.test(f)) out.push({ label: name, file: path.join(full, f) });
    } else if (IMAGE.test(name)) {
      const m = /^(.+)[_-][^_-]+$/.exec(name.replace(IMAGE, ''));
      if (!m) throw new IdentityError(`${full}: cannot tell its label (name files <label>_<n>.<ext> or use one folder per item)`, { code: 'BAD_INPUT' });
      out.push({ label: m[1], file: full });
    }
  }
  if (out.length === 0) throw new IdentityError(`${dir}: no images (PNG, TIFF, JPEG, PGM/PPM) found`, { code: 'BAD_INPUT' });
  return out;
}

export interface EvaluationOptions {
  verify: PartialVerifyOptions;
  targetFmr: number;
  /** Fraction of labels held out of the open-set gallery (the last ones, by label order). */
  holdOutFraction: number;
  onProgress: ProgressListener;
}

export interface Evaluation {
  calibration: Calibration;
  genuine: number[];
  impostor: number[];
  /** Closed set: gallery = first capture of each label, probes = the rest. */
  rank1: { correct: number; probes: number; rate: number; gallerySize: number };
  /** Open set at the calibrated threshold. */
  openSet: { threshold: number; gallerySize: number; heldOutLabels: string[]; fpir: number; fnir: number; mateProbes: number; nonMateProbes: number };
  scoreKind: string;
  /** The same pairs under other normalisations, to compare how well each separates. */
  alternatives: Record<'inlierRatio' | 'inlierMin' | 'inliers', { genuine: number[]; impostor: number[] }>;
}

/**
 * @example
 *   const ev = await evaluateLabelled(items.map((i) => ({ label: i.label, features: i.fs })));
 *   console.log(ev.calibration.eer, ev.rank1.rate);
 */
export async function evaluateLabelled(items: Array<{ label: string; features: FeatureSet }>, options: Partial<EvaluationOptions> = {}): Promise<Evaluation> {
  const o: EvaluationOptions = { verify: {}, targetFmr: 1e-2, holdOutFraction: 0.3, onProgress: noProgress, ...options };
  const n = items.length;
  const S = new Float64Array(n * n);
  let kind = 'inlier-ratio';
  const genuine: number[] = [], impostor: number[] = [];
  const alternatives: Evaluation['alternatives'] = { inlierRatio: { genuine: [], impostor: [] }, inlierMin: { genuine: [], impostor: [] }, inliers: { genuine: [], impostor: [] } };
  const total = (n * (n - 1)) / 2;
  let done = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const r = await verifyPair(items[i].features, items[j].features, o.verify);
      kind = r.score.kind;
      S[i * n + j] = S[j * n + i] = r.score.value;
      const same = items[i].label === items[j].label;
      (same ? genuine : impostor).push(r.score.value);
      alternatives.inlierRatio[same ? 'genuine' : 'impostor'].push(r.score.inlierRatio);
      alternatives.inlierMin[same ? 'genuine' : 'impostor'].push(r.score.inlierMin);
      alternatives.inliers[same ? 'genuine' : 'impostor'].push(r.score.inliers);
      if (++done % 100 === 0) o.onProgress({ phase: 'score pairs', done, total });
    }
  }
  o.onProgress({ phase: 'score pairs', done: total, total });
  if (genuine.length === 0) throw new IdentityError(`no genuine pairs among ${n} images: every label has one image; an evaluation needs at least one item with two or more images (one subfolder per item, or files <label>_<n>.<ext>)`, { code: 'BAD_INPUT' });
  if (impostor.length === 0) throw new IdentityError(`no impostor pairs: all ${n} images have one label; an evaluation needs at least two items`, { code: 'BAD_INPUT' });
  const calibration = calibrateScores(genuine, impostor, o.targetFmr);
  const labels = [...new Set(items.map((i) => i.label))].sort();
  const firstOf = new Map<string, number>();
  items.forEach((it, i) => { if (!firstOf.has(it.label)) firstOf.set(it.label, i); });
  const probes = items.map((_, i) => i).filter((i) => firstOf.get(items[i].label) !== i);
  const best = (p: number, gallery: string[]) => {
    let bl = '', bs = -Infinity;
    for (const l of gallery) {
      const s = S[p * n + firstOf.get(l)!];
      if (s > bs) { bs = s; bl = l; }
    }
    return { label: bl, score: bs };
  };
  let correct = 0;
  for (const p of probes) if (best(p, labels).label === items[p].label) correct++;
  const hold = Math.max(1, Math.round(labels.length * o.holdOutFraction));
  const heldOut = labels.slice(labels.length - hold);
  const enrolled = labels.slice(0, labels.length - hold);
  const t = calibration.threshold;
  let fp = 0, fn = 0, mates = 0, nonMates = 0;
  for (const p of probes) {
    const b = best(p, enrolled);
    if (heldOut.includes(items[p].label)) {
      nonMates++;
      if (b.score >= t) fp++;
    } else {
      mates++;
      if (!(b.label === items[p].label && b.score >= t)) fn++;
    }
  }
  return {
    calibration,
    genuine,
    impostor,
    rank1: { correct, probes: probes.length, rate: probes.length ? correct / probes.length : 0, gallerySize: labels.length },
    openSet: { threshold: t, gallerySize: enrolled.length, heldOutLabels: heldOut, fpir: nonMates ? fp / nonMates : 0, fnir: mates ? fn / mates : 0, mateProbes: mates, nonMateProbes: nonMates },
    scoreKind: kind,
    alternatives,
  };
}
