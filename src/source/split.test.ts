import { describe, expect, it } from 'vitest';
import { SourceError } from '../core/index.js';
import { checkNoLeak, planSplit, type DatasetCandidate } from './split.js';

/** `parts` parts per class, two captures (faces) each. */
function candidates(classes: Record<string, number>): DatasetCandidate[] {
  const out: DatasetCandidate[] = [];
  let id = 1;
  for (const [label, parts] of Object.entries(classes)) {
    for (let p = 0; p < parts; p++) {
      const serial = `${label}-P${String(p).padStart(3, '0')}`;
      for (const face of ['A', 'B']) out.push({ serial, label, captureId: id++, image: `${serial}-${face}.png`, pixelSizeUm: 5.3 });
    }
  }
  return out;
}

describe('planSplit: evaluation-only sets', () => {
  it('builds a test-only set with --train-per-class 0 and refuses a training set without test parts', () => {
    const plan = planSplit(candidates({ M01: 4, M02: 5 }), { trainPerClass: 0, valPerClass: 0, testPerClass: 3, seed: 1 });
    expect(new Set(plan.items.map((i) => i.split))).toEqual(new Set(['test']));
    expect(plan.items).toHaveLength(2 * 3 * 2);
    expect(() => planSplit(candidates({ M01: 4, M02: 5 }), { trainPerClass: 2, valPerClass: 0, testPerClass: 0, seed: 1 })).toThrow(/at least one test part/);
    expect(() => planSplit(candidates({ M01: 4, M02: 5 }), { trainPerClass: 0, valPerClass: 0, testPerClass: 0, seed: 1 })).toThrow(/at least one part/);
  });
});

describe('planSplit', () => {
  const counts = { trainPerClass: 6, valPerClass: 2, testPerClass: 3, seed: 4 };

  it('is balanced per class and keeps every capture of a part on one side', () => {
    const plan = planSplit(candidates({ M01: 12, M02: 11, M03: 15 }), counts);
    expect(plan.classes).toEqual(['M01', 'M02', 'M03']);
    for (const cls of plan.classes) {
      for (const [split, n] of [['train', 6], ['val', 2], ['test', 3]] as const) {
        const parts = new Set(plan.items.filter((i) => i.label === cls && i.split === split).map((i) => i.serial));
        expect(parts.size).toBe(n);
      }
    }
    // Two captures per part, both in the part's split.
    const splitOf = new Map<string, Set<string>>();
    for (const it of plan.items) splitOf.set(it.serial, (splitOf.get(it.serial) ?? new Set()).add(it.split));
    for (const s of splitOf.values()) expect(s.size).toBe(1);
    expect(plan.items.length).toBe(3 * 11 * 2);
    expect(plan.unused).toEqual({ M01: 1, M02: 0, M03: 4 });
  });

  it('is reproducible for a seed and changes with it', () => {
    const c = candidates({ M01: 20, M02: 20 });
    const a = planSplit(c, counts);
    expect(planSplit(c, counts)).toEqual(a);
    const b = planSplit(c, { ...counts, seed: 5 });
    expect(b.items.filter((i) => i.split === 'test').map((i) => i.serial)).not.toEqual(a.items.filter((i) => i.split === 'test').map((i) => i.serial));
  });

  it('refuses a class with too few parts, naming it and the numbers', () => {
    const err = (() => {
      try {
        planSplit(candidates({ M01: 12, M02: 7 }), counts);
      } catch (e) {
        return e as SourceError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SourceError);
    expect(err?.code).toBe('BAD_INPUT');
    expect(err?.message).toMatch(/class M02 has 7 part\(s\), needs 11 \(6 train \+ 2 val \+ 3 test\)/);
  });

  it('refuses a part whose captures carry different labels (would leak)', () => {
    const c = candidates({ M01: 12, M02: 12 });
    c[1] = { ...c[1], label: 'M02' };
    expect(() => planSplit(c, counts)).toThrow(/part M01-P000 has captures with different labels/);
  });

  it('refuses a single class', () => {
    expect(() => planSplit(candidates({ M01: 20 }), counts)).toThrow(/at least 2 classes/);
  });
});

describe('checkNoLeak', () => {
  it('names a part found on two sides', () => {
    expect(() => checkNoLeak([{ serial: 'A', split: 'train' }, { serial: 'A', split: 'test' }])).toThrow(/A \(train and test\)/);
    expect(() => checkNoLeak([{ serial: 'A', split: 'train' }, { serial: 'A', split: 'train' }])).not.toThrow();
  });
});
