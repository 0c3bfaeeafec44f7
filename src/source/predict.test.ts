import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateModelCard } from './card.js';
import type { SourceModel } from './model.js';
import { predictSource } from './predict.js';

/** A two-class "network" whose logits are the mean of the left and of the right half of each input plane. */
function halvesModel(): SourceModel {
  const card = validateModelCard({ ...JSON.parse(readFileSync(new URL('../../models/neu-det-mnv3s/model.json', import.meta.url), 'utf8')), classes: ['left', 'right'], inputCheck: undefined, calibration: undefined });
  const s = card.input.size;
  return {
    dir: '.',
    card,
    run: async (batch, n) => {
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++)
        for (let y = 0; y < s; y++)
          for (let x = 0; x < s; x++) out[i * 2 + (x < s / 2 ? 0 : 1)] += batch[i * s * s + y * s + x] / ((s * s) / 2);
      return out;
    },
    close: async () => {},
  };
}

describe('predictSource test-time flips', () => {
  it('averages each ROI with its mirror image: a left-right asymmetry cancels out', async () => {
    const w = 200;
    const data = new Uint8Array(w * w).map((_, i) => 40 + Math.floor(((i % w) / w) * 180)); // brighter to the right
    const image = { width: w, height: w, data, bitDepth: 8 as const };
    const model = halvesModel();
    const plain = await predictSource(model, image, { k: 4, seed: 2, alreadyDownscaled: true });
    const flipped = await predictSource(model, image, { k: 4, seed: 2, alreadyDownscaled: true, flips: true });
    expect(plain.bestClass).toBe('right');
    expect(plain.distribution.right).toBeGreaterThan(0.6);
    expect(flipped.distribution.right).toBeCloseTo(0.5, 5);
    expect(flipped.boxes).toEqual(plain.boxes);
    expect(flipped.probabilities.length).toBe(4 * 2);
  });
});
