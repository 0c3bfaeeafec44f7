/**
 * The model card (`model.json` beside `model.onnx`): typed, read and validated against
 * schemas/model-card.schema.json, the one definition shared with the Python trainer.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { SourceError } from '../core/index.js';
import type { Normalization, RoiSpec } from './roi.js';
import type { OpenSetMethod } from './vote.js';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { PartprintSourceModelCard } from './model-card.generated.js';

export interface OpenSetRule {
  /** The score (see vote.ts): vote share, mean softmax, mean winning logit, mean logsumexp or mean logit cosine. */
  method: OpenSetMethod;
  /** Flag unknown when the score is below this (logit scores: any real number). */
  threshold: number;
  /** Share of held-out unknown parts that were flagged at this threshold. */
  unknownRecall?: number;
  /** Known-class accuracy lost by rejecting (fraction, e.g. 0.01 = one point). */
  knownAccuracyLoss?: number;
  [key: string]: unknown;
}

/**
 * A model card: the type generated from schemas/model-card.schema.json
 * (`model-card.generated.ts`, checked in; card-contract.test.ts keeps it current), with the ROI,
 * normalisation and open-set parts narrowed to the types the sampler and the vote use.
 */
export interface ModelCard extends PartprintSourceModelCard {
  roi: RoiSpec;
  normalization: Normalization;
  openSet?: OpenSetRule;
}

/**
 * How a synthetic model's data was made: trainer/gpu/synth-dataset.ts writes it into dataset.json
 * and the trainer copies it into the card as `data.generator`.
 */
export interface SyntheticGenerator {
  seed: number;
  strength: number;
  processes: string[];
  machines: number;
  partsPerMachine: number;
  /** Image side in pixels (native 5.3 um pixels). */
  size: number;
  /** The src/synth commit that made the data. */
  commit?: string | null;
}

/** The card's generator record; an error naming the model when it has none (trained before it was recorded). */
export function syntheticGenerator(card: ModelCard): SyntheticGenerator {
  const g = card.data?.generator as SyntheticGenerator | undefined;
  if (!g || typeof g.seed !== 'number' || typeof g.strength !== 'number' || typeof g.size !== 'number' || typeof g.partsPerMachine !== 'number') {
    throw new SourceError(`model ${card.name}: its card does not record how its synthetic data was made (data.generator); retrain it`, { code: 'BAD_INPUT' });
  }
  return g;
}

/**
 * Parts per machine in each split: the card's data summary when it has one (train and val per
 * class), else synth-dataset.ts's defaults of 100 train and 10 val; the rest are test parts.
 */
export function syntheticSplitCounts(g: SyntheticGenerator, card?: Pick<ModelCard, 'data'>): { train: number; val: number; test: number } {
  const per = (split: string): number | undefined => {
    const counts = (card?.data?.[split] as { perClass?: Record<string, number> } | undefined)?.perClass;
    const values = counts ? Object.values(counts) : [];
    return values.length ? Math.min(...values) : undefined;
  };
  const train = per('train') ?? 100;
  const val = per('val') ?? 10;
  return { train, val, test: g.partsPerMachine - train - val };
}

/** A parsed JSON Schema document. */
export type JsonSchema = Record<string, unknown>;

let schema: JsonSchema | undefined;
/** The card schema, read once from schemas/model-card.schema.json. */
export function modelCardSchema(): JsonSchema {
  schema ??= JSON.parse(readFileSync(new URL('../../schemas/model-card.schema.json', import.meta.url), 'utf8')) as JsonSchema;
  return schema;
}

let compiled: ValidateFunction | undefined;
/**
 * The schema compiled by Ajv in strict mode: a keyword Ajv does not know is an error when the
 * schema is compiled, not a silently ignored constraint.
 */
function cardValidator(): ValidateFunction {
  compiled ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(modelCardSchema());
  return compiled;
}

/**
 * Checks a parsed card against the schema (Ajv) and the invariants the schema cannot say (input
 * size equals the ROI output size). Throws a SourceError (CORRUPT) that lists every problem.
 */
export function validateModelCard(value: unknown, name = 'model.json'): ModelCard {
  const validate = cardValidator();
  const errors = validate(value) ? [] : (validate.errors ?? []).map((e) => `$${e.instancePath.replace(/\//g, '.')}: ${e.message ?? 'invalid'}${e.params && 'allowedValues' in e.params ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}, got ${JSON.stringify(e.data)?.slice(0, 80)}`);
  if (errors.length === 0) {
    const card = value as ModelCard;
    if (card.input.size !== card.roi.outputSize) errors.push(`$.input.size (${card.input.size}) must equal $.roi.outputSize (${card.roi.outputSize})`);
    if (card.normalization.mode === 'dataset' && (card.normalization.mean === undefined || card.normalization.std === undefined)) {
      errors.push('$.normalization: mode "dataset" needs mean and std');
    }
  }
  if (errors.length > 0) throw new SourceError(`${name} is not a valid model card:\n  ${errors.join('\n  ')}`, { code: 'CORRUPT' });
  return value as ModelCard;
}

/** Physical side of one ROI in millimetres: r x d x pixel size (null when the pixel size is unknown). */
export function sampleSizeMm(roi: RoiSpec, pixelSizeUm: number | null | undefined): number | null {
  if (pixelSizeUm === null || pixelSizeUm === undefined) return null;
  return (roi.side * roi.downscale * pixelSizeUm) / 1000;
}

/** Reads and validates `DIR/model.json`; names the folder and the problem when it cannot. */
export async function readModelCard(dir: string): Promise<ModelCard> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new SourceError(`model ${dir} is not a folder`, { code: 'BAD_INPUT' });
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(`model folder ${dir} does not exist`, { code: 'NOT_FOUND', cause: err });
  }
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SourceError(`model ${dir} has no model card (model.json missing)`, { code: 'NOT_FOUND', cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SourceError(`${file} is not valid JSON (${(err as Error).message})`, { code: 'CORRUPT', cause: err });
  }
  return validateModelCard(parsed, file);
}

/** Validates and writes a card (temp file + rename, so a crash never leaves half a card). */
export async function writeModelCard(dir: string, card: ModelCard): Promise<void> {
  validateModelCard(card);
  const file = path.join(dir, 'model.json');
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(card, null, 2)}\n`);
  await rename(tmp, file);
}
