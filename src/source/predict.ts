/**
 * predictSource: K ROIs from one seeded stream, one batch through the model, softmax per ROI,
 * summed, argmax; the open-set rule from the card (on the vote or on the raw logits) flags parts
 * from an unseen source.
 */
import type { GreyImage } from '../imaging/index.js';
import type { SourceModel } from './model.js';
import { assessConfidence, temperedDistribution, type InputCheck, type InputStats } from './confidence.js';
import { buildRoiTensor, type RoiBox } from './roi.js';
import { openSetScore, softmaxRows, voteRois, type Vote } from './vote.js';

export interface PredictOptions {
  /** Number of ROIs (default 16). */
  k?: number;
  /** Seed of the ROI stream (default 1): the same seed gives the same ROIs and answer. */
  seed?: number;
  /** The image is already at the model's downscale (dataset images); skip downscaling. */
  alreadyDownscaled?: boolean;
  /** Name for error messages. */
  name?: string;
  /**
   * Test-time flips: each ROI also goes through the model mirrored left-right, and its
   * probabilities and logits are the mean of the two (twice the inference per part).
   */
  flips?: boolean;
}

export interface SourcePrediction {
  attribute: string;
  /** The predicted class, or null when the open-set rule flags the part as unknown. */
  label: string | null;
  /** The argmax class even when flagged unknown. */
  bestClass: string;
  unknown: boolean;
  /** Mean softmax of the winner. */
  confidence: number;
  voteShare: number;
  /** Mean over the ROIs of the winner's raw logit ("max-logit" score). */
  maxLogit: number;
  /** Mean over the ROIs of logsumexp of the logits ("energy" score; higher = more known-like). */
  energy: number;
  /** Mean over the ROIs of winner logit / L2 norm of the ROI's logits ("logit-cosine" score). */
  logitCosine: number;
  /** Summed softmax / K per class name. */
  distribution: Record<string, number>;
  rois: number;
  seed: number;
  boxes: RoiBox[];
  /** Per-ROI probabilities `[K, C]` (for evaluation over fewer ROIs). */
  probabilities: Float64Array;
  /** Per-ROI raw logits `[K, C]` (for the logit scores over fewer ROIs). */
  logits: Float32Array;
  /**
   * `low` when the card's input check finds the part unlike the training parts of its predicted
   * class, or its features unlike any training class (the reasons say which); `high` otherwise,
   * also when the card has no input check (then `lowConfidenceReasons` is empty).
   */
  confidenceLevel: 'high' | 'low';
  lowConfidenceReasons: string[];
  /** Brightness and log contrast of the ROIs before normalisation. */
  inputStats: InputStats;
  /** The winner's probability after the card's temperature scaling (null without calibration). */
  calibratedConfidence: number | null;
}

/**
 * Predicts the source class of one part image.
 *
 * @example
 *   const p = await predictSource(model, await readGreyImage('part.png'), { k: 16, seed: 7 });
 *   console.log(p.label ?? 'unknown', p.confidence);
 */
export async function predictSource(model: SourceModel, image: GreyImage, options: PredictOptions = {}): Promise<SourcePrediction> {
  const k = options.k ?? 16;
  const seed = options.seed ?? 1;
  const { card } = model;
  const tensor = buildRoiTensor(image, card.roi, card.normalization, k, seed, { name: options.name, alreadyDownscaled: options.alreadyDownscaled });
  const C = card.classes.length;
  const { logits, probabilities } = options.flips ? await withFlips(model, tensor.data, k, card.input.size, C) : await plain(model, tensor.data, k, C);
  const vote = voteRois(probabilities, card.classes.length, k, logits);
  return toPrediction(model, vote, probabilities, logits, tensor.boxes, seed, tensor.stats);
}

async function plain(model: SourceModel, data: Float32Array, k: number, C: number): Promise<{ logits: Float32Array; probabilities: Float64Array }> {
  const logits = await model.run(data, k);
  return { logits, probabilities: softmaxRows(logits, C) };
}

/** The K ROIs and their left-right mirror images in one batch; per ROI, the mean of the two softmaxes and of the two logit rows. */
async function withFlips(model: SourceModel, data: Float32Array, k: number, s: number, C: number): Promise<{ logits: Float32Array; probabilities: Float64Array }> {
  const plane = s * s;
  const both = new Float32Array(2 * k * plane);
  both.set(data);
  for (let i = 0; i < k; i++)
    for (let y = 0; y < s; y++) {
      const row = i * plane + y * s;
      for (let x = 0; x < s; x++) both[k * plane + row + x] = data[row + s - 1 - x];
    }
  const raw = await model.run(both, 2 * k);
  const p = softmaxRows(raw, C);
  const logits = new Float32Array(k * C);
  const probabilities = new Float64Array(k * C);
  for (let j = 0; j < k * C; j++) {
    logits[j] = (raw[j] + raw[k * C + j]) / 2;
    probabilities[j] = (p[j] + p[k * C + j]) / 2;
  }
  return { logits, probabilities };
}

/** Applies the card's open-set rule to a vote. */
export function isUnknown(model: Pick<SourceModel, 'card'>, vote: Vote): boolean {
  const rule = model.card.openSet;
  return rule !== undefined && openSetScore(vote, rule.method) < rule.threshold;
}

function toPrediction(model: SourceModel, vote: Vote, probabilities: Float64Array, logits: Float32Array, boxes: RoiBox[], seed: number, stats: InputStats): SourcePrediction {
  const { classes } = model.card;
  const unknown = isUnknown(model, vote);
  const check = assessConfidence(model.card.inputCheck as InputCheck | undefined, classes[vote.index], stats, openSetScore(vote, model.card.openSet?.method ?? 'logit-cosine'));
  const temperature = model.card.calibration?.temperature;
  return {
    attribute: model.card.attribute,
    label: unknown ? null : classes[vote.index],
    bestClass: classes[vote.index],
    unknown,
    confidence: vote.confidence,
    voteShare: vote.voteShare,
    maxLogit: vote.maxLogit!,
    energy: vote.energy!,
    logitCosine: vote.logitCosine!,
    distribution: Object.fromEntries(classes.map((c, i) => [c, vote.distribution[i]])),
    rois: vote.rois,
    seed,
    boxes,
    probabilities,
    logits,
    confidenceLevel: check.level,
    lowConfidenceReasons: check.reasons,
    inputStats: stats,
    calibratedConfidence: temperature ? temperedDistribution(logits, classes.length, temperature)[vote.index] : null,
  };
}
