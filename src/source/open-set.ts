/**
 * Open-set calibration: choose the score threshold below which a part is called "unknown",
 * on held-out data (known parts from the validation split, parts of classes the model never saw),
 * so that known-class accuracy drops by at most a stated amount; report the unknowns it catches.
 */
import { SourceError } from '../core/index.js';
import type { OpenSetRule } from './card.js';

/**
 * The score `partprint source calibrate` uses unless told otherwise: the one that caught the most
 * parts of an unseen machine at <= 2 points of known accuracy in bench/results/source-synth21.md.
 * It was chosen on those same parts; the bench's held-out table (new machines M22-M25, known
 * test parts) is the check that played no part in the choice.
 */
export const DEFAULT_OPEN_SET_METHOD: OpenSetRule['method'] = 'logit-cosine';

export interface KnownScore {
  score: number;
  /** The closed-set prediction was right. */
  correct: boolean;
}

export interface CalibrateOptions {
  method?: OpenSetRule['method'];
  /** Largest accepted loss of known-class accuracy, as a fraction (default 0.02). */
  maxKnownAccuracyLoss?: number;
}

export interface OpenSetCalibration extends OpenSetRule {
  unknownRecall: number;
  knownAccuracyLoss: number;
  /** Known accuracy without and with rejection (rejected parts count as wrong). */
  knownAccuracy: number;
  knownAccuracyWithRejection: number;
  knownCount: number;
  unknownCount: number;
  /** Threshold-free separation of known from unknown parts by this score (see openSetAuroc). */
  auroc: number;
}

/**
 * Area under the ROC curve of "known vs unknown" by a score: the probability that a random known
 * part scores above a random unknown part (ties count half). 1 = perfect, 0.5 = chance.
 *
 * @example
 *   openSetAuroc([0.9, 0.8], [0.1, 0.85]); // 0.75
 */
export function openSetAuroc(known: number[], unknown: number[]): number {
  if (known.length === 0 || unknown.length === 0) throw new SourceError('openSetAuroc: needs known and unknown scores', { code: 'BAD_INPUT' });
  let wins = 0;
  for (const u of unknown) for (const k of known) wins += k > u ? 1 : k === u ? 0.5 : 0;
  return wins / (known.length * unknown.length);
}

/**
 * Picks the largest threshold t (flag unknown when score < t) whose loss of known accuracy
 * (correct known parts rejected / all known parts) stays within `maxKnownAccuracyLoss`.
 *
 * @example
 *   const rule = calibrateOpenSet(valScores, unknownScores, { maxKnownAccuracyLoss: 0.02 });
 */
export function calibrateOpenSet(known: KnownScore[], unknown: number[], options: CalibrateOptions = {}): OpenSetCalibration {
  const method = options.method ?? DEFAULT_OPEN_SET_METHOD;
  const maxLoss = options.maxKnownAccuracyLoss ?? 0.02;
  if (known.length === 0) throw new SourceError('open-set calibration needs known parts (validation split is empty)', { code: 'BAD_INPUT' });
  if (unknown.length === 0) throw new SourceError('open-set calibration needs parts of classes the model never saw', { code: 'BAD_INPUT' });
  const bad = [...known.map((k) => k.score), ...unknown].find((s) => !Number.isFinite(s));
  if (bad !== undefined) throw new SourceError(`open-set calibration (${method}): score ${bad} is not a finite number`, { code: 'BAD_INPUT' });
  const correct = known.filter((k) => k.correct).map((k) => k.score).sort((a, b) => a - b);
  const allowed = Math.floor(maxLoss * known.length + 1e-9);
  // Rejecting every correct score below t: t may go up to the (allowed)-th smallest correct score
  // (0-based), which itself stays accepted. With no correct parts any threshold is free.
  // Scores from probabilities lie in [0, 1]; logit scores (max-logit, energy) may be negative.
  const threshold = correct.length > allowed ? correct[allowed] : Math.max(...unknown, ...known.map((k) => k.score)) + 1e-9;
  const rejectedCorrect = correct.filter((s) => s < threshold).length;
  const knownAccuracy = correct.length / known.length;
  const knownAccuracyWithRejection = (correct.length - rejectedCorrect) / known.length;
  return {
    method,
    threshold,
    unknownRecall: unknown.filter((s) => s < threshold).length / unknown.length,
    knownAccuracyLoss: knownAccuracy - knownAccuracyWithRejection,
    knownAccuracy,
    knownAccuracyWithRejection,
    knownCount: known.length,
    unknownCount: unknown.length,
    auroc: openSetAuroc(known.map((k) => k.score), unknown),
  };
}
