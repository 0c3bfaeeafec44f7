import { describe, expect, it } from 'vitest';
import { bhAdjust, chiSquareHomogeneity, chiSquareSurvival, fisherExact, holmAdjust, wilsonInterval } from './stats.js';

describe('analytics statistics', () => {
  it('Fisher exact test matches published values', () => {
    expect(fisherExact(3, 1, 1, 3).twoSided).toBeCloseTo(0.485714, 5); // Fisher's tea-tasting table
    expect(fisherExact(1, 9, 11, 3).twoSided).toBeCloseTo(0.002759, 5); // R: fisher.test(matrix(c(1,11,9,3),2))
    expect(fisherExact(1, 9, 11, 3).less).toBeCloseTo(0.001379, 5);
    expect(fisherExact(5, 5, 5, 5).twoSided).toBeCloseTo(1, 9);
    expect(() => fisherExact(-1, 2, 3, 4)).toThrow(/whole numbers/);
  });

  it('chi-square tail and homogeneity test', () => {
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(5.991465, 2)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(18.307038, 10)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(100, 3)).toBeLessThan(1e-20);
    const same = chiSquareHomogeneity([{ failed: 5, total: 50 }, { failed: 5, total: 50 }]);
    expect(same.statistic).toBe(0);
    expect(same.pValue).toBeCloseTo(1, 9);
    // 2x2 without continuity correction: X2 = N (ad - bc)^2 / (row and column margins)
    const t = chiSquareHomogeneity([{ failed: 10, total: 40 }, { failed: 2, total: 40 }]);
    expect(t.statistic).toBeCloseTo((80 * (10 * 38 - 30 * 2) ** 2) / (40 * 40 * 12 * 68), 9);
    expect(t.df).toBe(1);
  });

  it('corrects for testing many groups (Holm, Benjamini-Hochberg) and gives Wilson intervals', () => {
    expect(holmAdjust([0.01, 0.04, 0.03, 0.005]).map((x) => Number(x.toFixed(6)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(bhAdjust([0.01, 0.04, 0.03, 0.005]).map((x) => Number(x.toFixed(6)))).toEqual([0.02, 0.04, 0.04, 0.02]);
    const [lo, hi] = wilsonInterval(0, 10);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(0.2775, 3);
    const [l2, h2] = wilsonInterval(15, 50);
    expect(l2).toBeCloseTo(0.1910, 3);
    expect(h2).toBeCloseTo(0.4375, 3);
  });
});
