import { describe, expect, it } from 'vitest';
import { calibrateScores, thresholdForFmr } from './calibrate.js';
import { renderDetSvg, renderHistogramSvg } from './plots.js';

describe('calibrateScores', () => {
  it('finds EER and thresholds on separable and overlapping distributions', () => {
    const impostor = Array.from({ length: 1000 }, (_, i) => i / 1000); // 0 .. 0.999
    const genuine = Array.from({ length: 100 }, (_, i) => 0.95 + i / 1000); // 0.95 .. 1.049
    const c = calibrateScores(genuine, impostor, 1e-2);
    // FMR <= 1%: at most 10 impostors >= t -> t just above 0.989; genuine below that: 0.95..0.989 = 40.
    expect(c.threshold).toBeGreaterThan(0.989);
    expect(c.threshold).toBeLessThan(0.9901);
    const p = c.operatingPoints.find((o) => o.targetFmr === 1e-2)!;
    expect(p.fmr).toBeCloseTo(0.01, 5);
    expect(p.fnmr).toBeCloseTo(0.4, 5);
    expect(p.measurable).toBe(true);
    expect(c.operatingPoints.find((o) => o.targetFmr === 1e-4)!.measurable).toBe(false);
    // At t = 0.955: FMR = 45/1000, FNMR = 5/100; the crossing lies between.
    expect(c.eer).toBeGreaterThan(0.044);
    expect(c.eer).toBeLessThan(0.051);
    const sep = calibrateScores([2, 3, 4], [0, 1], 1e-3);
    expect(sep.eer).toBe(0);
    expect(sep.threshold).toBeGreaterThan(1);
    expect(sep.threshold).toBeLessThan(2);
  });

  it('thresholdForFmr rejects every impostor when the target is below 1/n', () => {
    const s = Float64Array.from([0.1, 0.2, 0.3]);
    expect(thresholdForFmr(s, 1e-3)).toBeGreaterThan(0.3);
  });

  it('draws DET and histogram SVGs', () => {
    const c = calibrateScores([0.5, 0.6, 0.7], [0.1, 0.2, 0.55]);
    const det = renderDetSvg(c);
    expect(det.startsWith('<svg')).toBe(true);
    expect(det).toContain('EER');
    expect(det).toContain('polyline');
    const h = renderHistogramSvg([0.5, 0.6], [0.1], c.threshold);
    expect(h).toContain('genuine (2)');
    expect(h).toContain('impostor (1)');
  });
});
