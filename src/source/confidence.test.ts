import { describe, expect, it } from 'vitest';
import { createRng } from '../core/index.js';
import { TEXTURE_FEATURES, assessConfidence, calibrateInputCheck, fitInputStatistics, fitTemperature, fitTextureCheck, reliability, roiStatistics, roiTextureFeatures, textureDistance } from './confidence.js';

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

  const side = 32;
  /** A noisy ROI of v around `mean` with spread `sd`; `levels` quantises it (a flattened 8-bit scan), values are clipped to [0, 1]. */
  const noiseRoi = (mean: number, sd: number, levels = 0) => {
    const v = new Float32Array(side * side);
    for (let i = 0; i < v.length; i++) {
      let x = Math.min(1, Math.max(0, mean + sd * gauss()));
      if (levels) x = Math.round(x * levels) / levels;
      v[i] = x;
    }
    return v;
  };

  it('roiTextureFeatures: moments, clipped and flat shares, gradient energy and orientation', () => {
    const f = roiTextureFeatures(noiseRoi(0.5, 0.05), 0, side);
    expect(f).toHaveLength(TEXTURE_FEATURES.length);
    expect(f[0]).toBeCloseTo(0.5, 1);
    expect(f[1]).toBeCloseTo(Math.log(0.05 + 1e-3), 1);
    expect(Math.abs(f[2])).toBeLessThan(0.3); // Gaussian: no skew
    expect(f[4]).toBeCloseTo(Math.log(1e-3), 3); // nothing clipped
    // White noise: neighbour differences carry twice the variance per axis (log 4 over two axes).
    expect(f[5]).toBeCloseTo(Math.log(4), 0);
    const clipped = roiTextureFeatures(noiseRoi(0.9, 0.3), 0, side);
    expect(clipped[4]).toBeGreaterThan(Math.log(0.2)); // a third or more of the pixels at 1
    const posterised = roiTextureFeatures(noiseRoi(0.5, 0.05, 8), 0, side);
    expect(posterised[10]).toBeGreaterThan(f[10] + 2); // many equal neighbours
    const stripes = new Float32Array(side * side).map((_, i) => 0.5 + 0.2 * Math.sin((i % side) * 0.8));
    expect(roiTextureFeatures(stripes, 0, side)[9]).toBeGreaterThan(0.99); // one orientation
    expect(f[9]).toBeCloseTo(0.5, 1); // white noise: forward differences share a pixel, so 0.5, not 0
    // roiStatistics averages them over the ROIs of a batch.
    const two = new Float32Array(2 * side * side);
    two.set(noiseRoi(0.5, 0.05));
    two.set(stripes, side * side);
    const st = roiStatistics(two, side * side);
    expect(st.texture?.[9]).toBeCloseTo((roiTextureFeatures(two, 0, side)[9] + roiTextureFeatures(two, side * side, side)[9]) / 2, 9);
  });

  it('the texture distance flags a contrast-shifted, clipped and re-quantised copy that brightness and contrast z miss', () => {
    // Class A: noise around 0.4 with spread 0.04..0.12 (a wide contrast range, as NEU scratches have).
    const partOf = (roi: () => Float32Array) => {
      const rois = new Float32Array(4 * side * side);
      for (let i = 0; i < 4; i++) rois.set(roi(), i * side * side);
      return roiStatistics(rois, side * side);
    };
    const genuine = () => partOf(() => noiseRoi(0.4 + 0.03 * gauss(), 0.04 + 0.08 * rng.next()));
    const train = Array.from({ length: 60 }, () => ({ label: 'A', stats: genuine() }));
    const perClass = fitInputStatistics(train);
    const texture = fitTextureCheck(train.map((t) => ({ label: t.label, texture: t.stats.texture! })));
    expect(texture.perClass.A.precision).toHaveLength(TEXTURE_FEATURES.length);
    const val = Array.from({ length: 100 }, () => ({ predicted: 'A', stats: genuine(), openScore: 0.9 }));
    const check = calibrateInputCheck(perClass, val, { maxFlagged: 0.04, texture });
    expect(check.texture?.threshold).toBeGreaterThan(0);
    expect(check.valFlaggedShare).toBeLessThanOrEqual(0.04);
    // The shifted copy: contrast only 1.6x the class's widest, brightness inside the class, but clipped
    // at 0 and posterised to 6 grey levels (a flattened, re-saved exposure).
    const shifted = partOf(() => noiseRoi(0.45, 0.2, 6));
    const a = assessConfidence(check, 'A', shifted, 0.9);
    expect(a.level).toBe('low');
    expect(a.reasons.some((r) => /surface texture unlike the training images of A/.test(r))).toBe(true);
    expect(a.textureDistance).toBeGreaterThan(check.texture!.threshold);
    const fresh = Array.from({ length: 50 }, () => assessConfidence(check, 'A', genuine(), 0.9));
    expect(fresh.filter((x) => x.level === 'low').length).toBeLessThanOrEqual(5);
    expect(textureDistance(check.texture!, 'B', shifted.texture)).toBe(Infinity);
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
