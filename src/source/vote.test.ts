import { describe, expect, it } from 'vitest';
import { calibrateOpenSet } from './open-set.js';
import { openSetScore, softmaxRows, voteRois } from './vote.js';

describe('softmaxRows', () => {
  it('normalises each row and is stable for large logits', () => {
    const p = softmaxRows(Float32Array.from([0, Math.log(3), 1000, 1000]), 2);
    expect(p[0]).toBeCloseTo(0.25, 7); // log(3) is rounded to float32
    expect(p[1]).toBeCloseTo(0.75, 7);
    expect([p[2], p[3]]).toEqual([0.5, 0.5]);
  });
});

describe('voteRois', () => {
  // Three ROIs, three classes. ROI argmaxes: 0, 1, 1; summed softmax favours class 0.
  const probs = Float64Array.from([0.9, 0.05, 0.05, 0.3, 0.4, 0.3, 0.35, 0.4, 0.25]);

  it('sums softmax outputs and takes the argmax of the sum', () => {
    const v = voteRois(probs, 3);
    expect(v.index).toBe(0);
    expect(v.distribution.map((d) => +d.toFixed(6))).toEqual([+(1.55 / 3).toFixed(6), +(0.85 / 3).toFixed(6), +(0.6 / 3).toFixed(6)]);
    expect(v.confidence).toBeCloseTo(1.55 / 3, 12);
    expect(v.voteShare).toBeCloseTo(1 / 3, 12); // only ROI 1 voted for the winner
    expect(openSetScore(v, 'max-softmax')).toBe(v.confidence);
    expect(openSetScore(v, 'max-vote-share')).toBe(v.voteShare);
  });

  it('votes over a prefix of the ROIs', () => {
    const v = voteRois(probs, 3, 1);
    expect(v.index).toBe(0);
    expect(v.rois).toBe(1);
    expect(v.voteShare).toBe(1);
  });
});

describe('calibrateOpenSet', () => {
  it('takes the largest threshold within the allowed known-accuracy loss', () => {
    // 10 known parts, 9 correct with scores 0.1..0.9; allowed loss 0.1 -> one correct part may go.
    const known = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((score) => ({ score, correct: true }));
    known.push({ score: 0.05, correct: false });
    const unknown = [0.1, 0.15, 0.25, 0.5];
    const c = calibrateOpenSet(known, unknown, { maxKnownAccuracyLoss: 0.1 });
    expect(c.threshold).toBe(0.2); // rejects the correct 0.1 only
    expect(c.unknownRecall).toBe(0.5); // 0.1 and 0.15 are below 0.2
    expect(c.knownAccuracy).toBeCloseTo(0.9, 12);
    expect(c.knownAccuracyWithRejection).toBeCloseTo(0.8, 12);
    expect(c.knownAccuracyLoss).toBeCloseTo(0.1, 12);
  });

  it('with no allowed loss keeps every correct known part', () => {
    const c = calibrateOpenSet([{ score: 0.4, correct: true }, { score: 0.9, correct: true }], [0.1, 0.5], { maxKnownAccuracyLoss: 0 });
    expect(c.threshold).toBe(0.4);
    expect(c.unknownRecall).toBe(0.5);
    expect(c.knownAccuracyLoss).toBe(0);
  });

  it('refuses to calibrate without unknowns', () => {
    expect(() => calibrateOpenSet([{ score: 1, correct: true }], [])).toThrow(/never saw/);
  });
});
