import { describe, expect, it } from 'vitest';
import { datasetSplit } from './catalogue.js';

describe('datasetSplit', () => {
  const counts = { train: 100, val: 10, test: 50 };

  it('gives every machine exactly the asked number of parts per split, in a different order per machine', () => {
    const orders: string[] = [];
    for (const machine of [0, 1, 20]) {
      const splits = Array.from({ length: 160 }, (_, k) => datasetSplit(1, machine, k, counts));
      expect(splits.filter((s) => s === 'train')).toHaveLength(100);
      expect(splits.filter((s) => s === 'val')).toHaveLength(10);
      expect(splits.filter((s) => s === 'test')).toHaveLength(50);
      orders.push(splits.join(''));
    }
    expect(new Set(orders).size).toBe(3);
  });

  it('is a pure function of seed, machine and index', () => {
    const a = Array.from({ length: 160 }, (_, k) => datasetSplit(7, 3, k, counts));
    expect(Array.from({ length: 160 }, (_, k) => datasetSplit(7, 3, k, counts))).toEqual(a);
    expect(Array.from({ length: 160 }, (_, k) => datasetSplit(8, 3, k, counts))).not.toEqual(a);
  });
});
