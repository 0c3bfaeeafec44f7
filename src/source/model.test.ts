import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SourceError } from '../core/index.js';
import { validateModelCard, type ModelCard } from './card.js';
import { adjacent, isGridAttribute, parseGridPosition } from './evaluate.js';
import { loadSourceModel } from './model.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-source-model-'));

const card: ModelCard = {
  schemaVersion: 1,
  name: 'm1',
  attribute: 'machine',
  classes: ['M01', 'M02'],
  input: { size: 64, channels: 1, layout: 'NCHW', dtype: 'float32' },
  roi: { downscale: 2, side: 32, outputSize: 64, minMeanFraction: 0.5, rejectHalvingEvery: 20, maxAttempts: 200 },
  normalization: { mode: 'dataset', mean: 0.4, std: 0.2 },
  architecture: 'efficientnet_v2_s',
  onnx: { file: 'model.onnx', opset: 17, inputName: 'input', outputName: 'logits' },
  training: { epochs: 1, batchSize: 16, optimizer: 'lamb' },
};

async function failure(p: Promise<unknown>): Promise<SourceError> {
  try {
    await p;
  } catch (err) {
    return err as SourceError;
  }
  throw new Error('expected a failure');
}

describe('model card validation', () => {
  it('accepts a valid card', () => {
    expect(validateModelCard(structuredClone(card)).name).toBe('m1');
  });

  it('lists every schema violation with its path', () => {
    const bad = { ...structuredClone(card), classes: ['M01'], roi: { ...card.roi, side: 4 }, normalization: { mode: 'global' } } as unknown;
    expect(() => validateModelCard(bad, 'x/model.json')).toThrow(/x\/model\.json is not a valid model card/);
    const msg = (() => {
      try {
        validateModelCard(bad);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(msg).toMatch(/\$\.classes: must NOT have fewer than 2 items/);
    expect(msg).toMatch(/\$\.roi\.side: must be >= 8, got 4/);
    expect(msg).toMatch(/\$\.normalization\.mode: must be equal to one of the allowed values \(\["dataset","per-roi"\]\), got "global"/);
  });

  it('checks what the schema cannot: input size equals the ROI output size', () => {
    expect(() => validateModelCard({ ...structuredClone(card), input: { ...card.input, size: 48 } })).toThrow(/input\.size \(48\) must equal \$\.roi\.outputSize \(64\)/);
  });
});

describe('loadSourceModel errors', () => {
  it('names a missing folder', async () => {
    const e = await failure(loadSourceModel(path.join(tmp, 'nope')));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/nope does not exist/);
  });

  it('names a missing card, a corrupt card and a missing or corrupt ONNX file', async () => {
    const dir = path.join(tmp, 'm');
    mkdirSync(dir);
    expect((await failure(loadSourceModel(dir))).message).toMatch(/no model card \(model\.json missing\)/);
    writeFileSync(path.join(dir, 'model.json'), '{ "schemaVersion": 1, ');
    const corrupt = await failure(loadSourceModel(dir));
    expect(corrupt.code).toBe('CORRUPT');
    expect(corrupt.message).toMatch(/model\.json is not valid JSON/);
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card));
    const noOnnx = await failure(loadSourceModel(dir));
    expect(noOnnx.code).toBe('NOT_FOUND');
    expect(noOnnx.message).toMatch(/ONNX file model\.onnx is missing/);
    writeFileSync(path.join(dir, 'model.onnx'), Buffer.from('not an onnx graph at all'));
    const badOnnx = await failure(loadSourceModel(dir));
    expect(badOnnx.code).toBe('CORRUPT');
    expect(badOnnx.message).toMatch(/cannot load model\.onnx/);
  });
});

describe('grid positions', () => {
  it('parses tray positions and tells neighbours apart', () => {
    expect(parseGridPosition('R2C3')).toEqual([2, 3]);
    expect(parseGridPosition('B3')).toEqual([2, 3]);
    expect(parseGridPosition('4,5')).toEqual([4, 5]);
    expect(parseGridPosition('M01')).toEqual([13, 1]);
    expect(isGridAttribute('machine', ['M01', 'M02'])).toBe(false);
    expect(isGridAttribute('tray_position', ['R1C1', 'R1C2'])).toBe(true);
    expect(adjacent('R2C3', 'R3C4')).toBe(true);
    expect(adjacent('R2C3', 'R2C5')).toBe(false);
  });
});
