import { describe, expect, it } from 'vitest';
import { calibrateOpenSet, openSetAuroc } from './open-set.js';
import { OPEN_SET_METHODS, isOpenSetMethod, openSetScore, softmaxRows, voteRois } from './vote.js';

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

describe('logit open-set scores', () => {
  const vote = (rows: number[][]) => {
    const logits = Float32Array.from(rows.flat());
    return voteRois(softmaxRows(logits, rows[0].length), rows[0].length, rows.length, logits);
  };
  const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));

  it('averages the winner\'s logit and the logsumexp over the ROIs', () => {
    // ROI 0 favours class 0 strongly, ROI 1 class 1 weakly: the summed softmax picks class 0.
    const v = vote([[2, 0], [0, 1]]);
    expect(v.index).toBe(0);
    expect(v.maxLogit).toBeCloseTo((2 + 0) / 2, 12); // the winner's logit in each ROI, not each ROI's max
    expect(v.energy).toBeCloseTo((lse([2, 0]) + lse([0, 1])) / 2, 12);
    expect(v.logitCosine).toBeCloseTo((2 / 2 + 0 / 1) / 2, 12); // winner logit / |logits| per ROI
    expect(openSetScore(v, 'max-logit')).toBe(v.maxLogit);
    expect(openSetScore(v, 'energy')).toBe(v.energy);
    expect(openSetScore(v, 'logit-cosine')).toBe(v.logitCosine);
  });

  it('ranks a confident known-like part above a flat unknown-like one under every score', () => {
    const known = vote([[6, 0, -1], [5, 1, 0], [7, -1, 0]]);
    const unknown = vote([[1.2, 1, 0.9], [1, 1.3, 1.1], [1.1, 0.8, 1]]);
    for (const m of OPEN_SET_METHODS) expect(openSetScore(known, m), m).toBeGreaterThan(openSetScore(unknown, m));
  });

  it('sees the logit magnitude that softmax throws away', () => {
    // Same differences between classes, so the same softmax; the large-logit part is 10 higher.
    const strong = vote([[20, 10, 10], [20, 10, 10]]);
    const weak = vote([[10, 0, 0], [10, 0, 0]]);
    expect(strong.confidence).toBeCloseTo(weak.confidence, 6);
    expect(strong.voteShare).toBe(weak.voteShare);
    expect(strong.maxLogit! - weak.maxLogit!).toBeCloseTo(10, 5);
    expect(strong.energy! - weak.energy!).toBeCloseTo(10, 5);
    // ... and the cosine sees that the other classes are high too (20/sqrt(600) vs 10/10).
    expect(strong.logitCosine).toBeCloseTo(20 / Math.sqrt(600), 6);
    expect(weak.logitCosine).toBeCloseTo(1, 6);
  });

  it('logit-cosine ignores the logit scale but not large logits of other classes', () => {
    const small = vote([[2, 0, -1], [2, 0, -1]]);
    const large = vote([[20, 0, -10], [20, 0, -10]]);
    expect(large.logitCosine).toBeCloseTo(small.logitCosine!, 6);
    expect(large.maxLogit).toBeGreaterThan(small.maxLogit!);
    // The same winner logit; large other logits (of either sign: the norm is sign-blind) lower it.
    const crowded = vote([[8, 7, -8], [8, 7, -8]]);
    const alone = vote([[8, 1, -1], [8, 1, -1]]);
    const negative = vote([[8, -7, -8], [8, -7, -8]]);
    expect(crowded.logitCosine).toBeCloseTo(8 / Math.sqrt(177), 6);
    expect(alone.logitCosine).toBeCloseTo(8 / Math.sqrt(66), 6);
    expect(negative.logitCosine).toBeCloseTo(crowded.logitCosine!, 6);
  });

  it('is stable for large logits and uses only the first k ROIs', () => {
    const logits = Float32Array.from([1000, 999, -50, 50]);
    const v = voteRois(softmaxRows(logits, 2), 2, 1, logits);
    expect(v.maxLogit).toBe(1000);
    expect(v.energy).toBeCloseTo(1000 + Math.log(1 + Math.exp(-1)), 9);
  });

  it('needs the logits for the logit scores', () => {
    const v = voteRois(Float64Array.from([0.7, 0.3]), 2);
    expect(v.maxLogit).toBeNull();
    expect(v.logitCosine).toBeNull();
    expect(() => openSetScore(v, 'energy')).toThrow(/needs the raw logits/);
    expect(() => voteRois(Float64Array.from([0.7, 0.3]), 2, 1, Float32Array.from([1]))).toThrow(/1 logits for 2 probabilities/);
    expect(isOpenSetMethod('energy')).toBe(true);
    expect(isOpenSetMethod('entropy')).toBe(false);
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
    // known parts above each unknown: 8 + 0.5 (tie), 8, 7, 4 + 0.5 (tie) of 10 -> 28 / 40
    expect(c.auroc).toBeCloseTo(0.7, 12);
  });

  it('measures the threshold-free separation (AUROC)', () => {
    expect(openSetAuroc([0.9, 0.8], [0.1, 0.85])).toBe(0.75);
    expect(openSetAuroc([1, 2], [1])).toBe(0.75); // the tie counts half
    expect(openSetAuroc([3, 4], [1, 2])).toBe(1);
    expect(openSetAuroc([1, 2], [3, 4])).toBe(0);
  });

  it('with no allowed loss keeps every correct known part', () => {
    const c = calibrateOpenSet([{ score: 0.4, correct: true }, { score: 0.9, correct: true }], [0.1, 0.5], { maxKnownAccuracyLoss: 0 });
    expect(c.threshold).toBe(0.4);
    expect(c.unknownRecall).toBe(0.5);
    expect(c.knownAccuracyLoss).toBe(0);
  });

  it('takes negative thresholds for logit scores', () => {
    const known = [-1, 2, 3, 4].map((score) => ({ score, correct: true }));
    const c = calibrateOpenSet(known, [-3, -2, 0.5], { method: 'max-logit', maxKnownAccuracyLoss: 0 });
    expect(c.method).toBe('max-logit');
    expect(c.threshold).toBe(-1);
    expect(c.unknownRecall).toBeCloseTo(2 / 3, 12);
    expect(() => calibrateOpenSet(known, [Number.NaN])).toThrow(/not a finite number/);
  });

  it('refuses to calibrate without unknowns', () => {
    expect(() => calibrateOpenSet([{ score: 1, correct: true }], [])).toThrow(/never saw/);
  });
});
