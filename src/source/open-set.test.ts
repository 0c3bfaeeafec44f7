/**
 * Open set end to end on a real (tiny) ONNX model: logits = 4 * (normalised mean brightness) * [-1, +1],
 * so dark parts are class "dark", bright ones "bright", and mid-grey parts (logits near 0) are the
 * unknowns. Scores come from real inference; the calibration goes into the card and back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test/api/tiny-onnx.js';
import { readGreyImage } from '../imaging/index.js';
import { readModelCard, writeModelCard } from './card.js';
import { evaluateSource } from './evaluate.js';
import { loadSourceModel } from './model.js';
import { calibrateOpenSet } from './open-set.js';
import { predictSource } from './predict.js';
import { OPEN_SET_METHODS, openSetScore } from './vote.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pp-source-openset-'));
const modelDir = path.join(tmp, 'model');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function writeDataset(dir: string, classes: string[], parts: Array<{ level: number; label: number; split: string }>): Promise<void> {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const items = [];
  for (const [i, p] of parts.entries()) {
    const file = `images/p${i}.png`;
    writeFileSync(path.join(dir, file), await sharp(Buffer.alloc(48 * 40, p.level), { raw: { width: 48, height: 40, channels: 1 } }).png().toBuffer());
    items.push({ id: `p${i}`, serial: `S${i}`, captureId: null, file, label: p.label, split: p.split });
  }
  writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ schemaVersion: 1, attribute: 'finish', classes, pixelSizeUm: null, downscale: 1, seed: 1, items }));
}

/** The tiny model's logits for a flat image: x = (level/255 - 0.5) / 0.25, logits [-4x, 4x]. */
const logitsOf = (level: number) => {
  const x = (level / 255 - 0.5) / 0.25;
  return [-4 * x, 4 * x];
};

beforeAll(async () => {
  writeTinyModel(modelDir, 'bright-v1', 'finish', ['dark', 'bright']);
  const known = [25, 45, 70, 185, 210, 235].map((level) => ({ level, label: level < 128 ? 0 : 1, split: 'val' }));
  await writeDataset(path.join(tmp, 'known'), ['dark', 'bright'], known);
  await writeDataset(path.join(tmp, 'unknown'), ['dark', 'bright', 'grey'], [112, 122, 133, 143].map((level) => ({ level, label: 2, split: 'test' })));
  await writeDataset(path.join(tmp, 'probe'), ['dark', 'bright', 'grey'], [{ level: 30, label: 0, split: 'test' }, { level: 127, label: 2, split: 'test' }, { level: 138, label: 2, split: 'test' }]);
});

describe('logit open-set scores on a real ONNX model', () => {
  it('predictSource reports the winner\'s mean logit and the mean logsumexp of the raw logits', async () => {
    const model = await loadSourceModel(modelDir);
    try {
      const p = await predictSource(model, await readGreyImage(path.join(tmp, 'known', 'images', 'p0.png')), { k: 4, seed: 3, alreadyDownscaled: true });
      const [a, b] = logitsOf(25);
      expect(p.bestClass).toBe('dark');
      expect(p.logits).toHaveLength(8);
      expect(p.maxLogit).toBeCloseTo(a, 4);
      expect(p.energy).toBeCloseTo(Math.log(Math.exp(a) + Math.exp(b)), 4);
    } finally {
      await model.close();
    }
  });

  it('calibrates energy into the card and flags mid-grey parts, which the vote share cannot', async () => {
    let model = await loadSourceModel(modelDir);
    const opts = { k: 4, seed: 5, roiCounts: [4] };
    const known = await evaluateSource(model, path.join(tmp, 'known'), { ...opts, split: 'val' });
    const unknown = await evaluateSource(model, path.join(tmp, 'unknown'), { ...opts, split: 'all' });
    await model.close();
    expect(known.accuracy).toBe(1);
    const recall: Record<string, number> = {};
    // Two classes with logits [-4x, 4x]: the cosine is 1/sqrt(2) for every part, so it carries no information here.
    for (const r of [...known.items, ...unknown.items]) expect(r.logitCosine).toBeCloseTo(Math.SQRT1_2, 6);
    for (const method of OPEN_SET_METHODS.filter((m) => m !== 'logit-cosine')) {
      const c = calibrateOpenSet(known.items.map((r) => ({ score: openSetScore(r, method), correct: r.correct })), unknown.items.map((r) => openSetScore(r, method)), { method, maxKnownAccuracyLoss: 0 });
      expect(c.knownAccuracyLoss).toBe(0);
      recall[method] = c.unknownRecall;
    }
    // Every ROI of a flat part votes the same way, so the vote share is 1 for every part.
    expect(recall).toEqual({ 'max-vote-share': 0, 'max-softmax': 1, 'max-logit': 1, energy: 1 });

    const cal = calibrateOpenSet(known.items.map((r) => ({ score: r.energy, correct: r.correct })), unknown.items.map((r) => r.energy), { method: 'energy', maxKnownAccuracyLoss: 0 });
    const [a, b] = logitsOf(70); // the known part closest to grey sets the threshold
    expect(cal.threshold).toBeCloseTo(Math.log(Math.exp(a) + Math.exp(b)), 4);
    await writeModelCard(modelDir, { ...(await readModelCard(modelDir)), openSet: cal });
    expect((await readModelCard(modelDir)).openSet).toMatchObject({ method: 'energy', unknownRecall: 1 });

    model = await loadSourceModel(modelDir);
    try {
      const probe = await evaluateSource(model, path.join(tmp, 'probe'), { ...opts, split: 'all' });
      expect(probe.items.map((r) => [r.trueClass, r.flaggedUnknown])).toEqual([['dark', false], ['grey', true], ['grey', true]]);
      expect(probe.openSet).toMatchObject({ method: 'energy', knownFlagged: 0, unknownCaught: 1 });
      const grey = await predictSource(model, await readGreyImage(path.join(tmp, 'probe', 'images', 'p1.png')), { k: 4, alreadyDownscaled: true });
      expect(grey.unknown).toBe(true);
      expect(grey.label).toBeNull();
    } finally {
      await model.close();
    }
  });
});
