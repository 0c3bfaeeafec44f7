import { describe, expect, it } from 'vitest';
import { createRng } from '../core/index.js';
import { assessConfidence, calibrateInputCheck, fitInputStatistics, fitTemperature, reliability, roiStatistics } from './confidence.js';

describe('input check and confidence calibration', () => {
  const rng = createRng(5);
  const gauss = () => Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  const part = (mean: number, lc: number) => ({ mean: mean + 0.02 * gauss(), logContrast: lc + 0.1 * gauss() });

  it('roiStatistics averages ROI means and log standard deviations', () => {
    const rois = Float32Array.from([0.2, 0.4, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5]);
    const s = roiStatistics(rois, 4);
    expect(s.mean).toBeCloseTo((0.3 + 0.5) / 2, 6);
    expect(s.logContrast).toBeCloseTo((Math.log(0.1 + 1e-3) + Math.log(1e-3)) / 2, 5);
  });

  it('flags at most the allowed share of validation parts, and parts brighter than their class', () => {
    const train = [...Array.from({ length: 100 }, () => ({ label: 'A', stats: part(0.37, -3) })), ...Array.from({ length: 100 }, () => ({ label: 'B', stats: part(0.7, -2.3) }))];
    const perClass = fitInputStatistics(train);
    expect(perClass.A.mean[0]).toBeCloseTo(0.37, 1);
    const val = Array.from({ length: 200 }, (_, i) => ({ predicted: i % 2 ? 'A' : 'B', stats: i % 2 ? part(0.37, -3) : part(0.7, -2.3), openScore: 0.9 + 0.05 * rng.next() }));
    const check = calibrateInputCheck(perClass, val, { maxFlagged: 0.04 });
    expect(check.valFlaggedShare).toBeLessThanOrEqual(0.04);
    // Brighter and more contrasted than every training A, called A: low confidence with the reason.
    const odd = assessConfidence(check, 'A', { mean: 0.69, logContrast: -2.3 }, 0.95);
    expect(odd.level).toBe('low');
    expect(odd.reasons[0]).toMatch(/outside the training images of A/);
    expect(assessConfidence(check, 'B', { mean: 0.69, logContrast: -2.3 }, 0.95).level).toBe('high');
    expect(assessConfidence(check, 'B', { mean: 0.69, logContrast: -2.3 }, 0.1).reasons[0]).toMatch(/open-set score/);
    expect(assessConfidence(undefined, 'A', { mean: 0.69, logContrast: -2.3 }, 0.1).level).toBe('high');
  });

  it('fitTemperature undoes overconfident logits and lowers the NLL; reliability reports ECE', () => {
    // True logits z; the model reports 4 z (too sharp), so the best temperature is near 4.
    const parts = Array.from({ length: 300 }, () => {
      // One ROI per part here, so per-ROI and per-part NLL coincide.
      const z = [gauss(), gauss(), gauss()];
      const p = z.map(Math.exp);
      const s = p.reduce((a, b) => a + b, 0);
      let u = rng.next() * s;
      let label = 0;
      while (label < 2 && (u -= p[label]) > 0) label++;
      return { logits: Float32Array.from(z.map((v) => 4 * v)), label };
    });
    const t = fitTemperature(parts, 3);
    expect(t.temperature).toBeGreaterThan(2.5);
    expect(t.temperature).toBeLessThan(6);
    expect(t.nllAfter).toBeLessThan(t.nllBefore);
    const rel = reliability([{ confidence: 0.95, correct: true }, { confidence: 0.95, correct: false }, { confidence: 0.15, correct: false }]);
    expect(rel.bins[9].n).toBe(2);
    expect(rel.ece).toBeCloseTo((2 / 3) * 0.45 + (1 / 3) * 0.15, 9);
  });
});
