/**
 * A source model on disk (`model.onnx` + `model.json`) loaded for CPU inference with
 * onnxruntime-node. The card alone decides the preprocessing; the session only maps
 * `[N, 1, S, S]` float32 to `[N, C]` logits.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { SourceError } from '../core/index.js';
import { readModelCard, type ModelCard } from './card.js';

export interface SourceModel {
  dir: string;
  card: ModelCard;
  /** Logits `[n, C]` row-major for a float32 NCHW batch `[n, 1, S, S]`. */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface LoadModelOptions {
  /** Intra-op threads (default: the machine's core count). */
  threads?: number;
}

/**
 * Loads and checks a model folder; errors name the folder and what is wrong (missing folder,
 * missing or invalid card, missing or unreadable ONNX, input/output names that do not match).
 *
 * @example
 *   const model = await loadSourceModel('models/machine-v1');
 *   const p = await predictSource(model, await readGreyImage('part.png'), { seed: 1 });
 */
export async function loadSourceModel(dir: string, options: LoadModelOptions = {}): Promise<SourceModel> {
  const card = await readModelCard(dir);
  // Loaded here, not at the top: commands and routes that never run a model do not pay for the runtime.
  const ort: typeof Ort = await import('onnxruntime-node');
  const file = path.join(dir, card.onnx.file);
  try {
    await stat(file);
  } catch (err) {
    throw new SourceError(`model ${dir}: ONNX file ${card.onnx.file} is missing`, { code: 'NOT_FOUND', cause: err });
  }
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: options.threads ?? os.cpus().length,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new SourceError(`model ${dir}: cannot load ${card.onnx.file} (${(err as Error).message})`, { code: 'CORRUPT', cause: err });
  }
  if (!session.inputNames.includes(card.onnx.inputName) || !session.outputNames.includes(card.onnx.outputName)) {
    await session.release();
    throw new SourceError(
      `model ${dir}: the card names input "${card.onnx.inputName}" and output "${card.onnx.outputName}", ` +
        `but the ONNX graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
      { code: 'CORRUPT' },
    );
  }
  const s = card.input.size;
  const classes = card.classes.length;
  return {
    dir,
    card,
    async run(batch, n) {
      if (batch.length !== n * s * s) throw new SourceError(`model ${dir}: batch has ${batch.length} values, expected ${n}x1x${s}x${s}`, { code: 'INTERNAL' });
      const out = await session.run({ [card.onnx.inputName]: new ort.Tensor('float32', batch, [n, 1, s, s]) });
      const logits = out[card.onnx.outputName];
      if (logits.dims.length !== 2 || logits.dims[0] !== n || logits.dims[1] !== classes) {
        throw new SourceError(`model ${dir}: output has shape [${logits.dims.join(', ')}], the card says [${n}, ${classes}]`, { code: 'CORRUPT' });
      }
      return Float32Array.from(logits.data as Float32Array);
    },
    close: () => session.release(),
  };
}
