import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/index.js';
import { nearestNeighboursWasm, padRows } from './hamming-wasm.js';
import { hamming, matchDescriptors, nearestNeighbours, packDescriptors } from './match.js';
import type { FeatureSet } from '../types.js';

function randomSet(seed: number, n: number, bytes: number): FeatureSet {
  const rng = createRng(seed);
  const d = new Uint8Array(n * bytes);
  for (let i = 0; i < d.length; i++) d[i] = rng.int(256);
  return { keypoints: new Float32Array(2 * n), sizes: new Float32Array(n), angles: new Float32Array(n), responses: new Float32Array(n), descriptors: d, descriptorBytes: bytes, imageSize: { width: 1, height: 1 }, scale: 1, extractor: 'test' };
}

describe('Hamming matching', () => {
  it('WebAssembly nearest neighbours agree with the TypeScript reference (61- and 32-byte rows)', () => {
    for (const bytes of [61, 32]) {
      const a = randomSet(1, 120, bytes);
      const b = randomSet(2, 90, bytes);
      const ref = nearestNeighbours(packDescriptors(a), packDescriptors(b));
      const pa = padRows(a.descriptors, 120, bytes);
      const pb = padRows(b.descriptors, 90, bytes);
      const w = nearestNeighboursWasm(pa.data, 120, pb.data, 90, pa.row);
      expect(Array.from(w.bestB)).toEqual(Array.from(ref.bestB));
      expect(Array.from(w.bestDist)).toEqual(Array.from(ref.bestDist));
      expect(Array.from(w.secondDist)).toEqual(Array.from(ref.secondDist));
      expect(Array.from(w.bestA)).toEqual(Array.from(ref.bestA));
      // Spot-check one distance against a bit-by-bit count.
      let bits = 0;
      for (let k = 0; k < bytes; k++) {
        let x = a.descriptors[k] ^ b.descriptors[w.bestB[0] * bytes + k];
        while (x) { bits += x & 1; x >>= 1; }
      }
      expect(bits).toBe(w.bestDist[0]);
      expect(hamming(packDescriptors(a), 0, packDescriptors(b), w.bestB[0])).toBe(bits);
    }
  });

  it('keeps planted pairs (few flipped bits) and drops random ones by the ratio and mutual checks', () => {
    const a = randomSet(3, 200, 61);
    const b = randomSet(4, 200, 61);
    const rng = createRng(5);
    // Plant: rows 0..49 of b are noisy copies of rows 100..149 of a.
    for (let i = 0; i < 50; i++) {
      for (let k = 0; k < 61; k++) b.descriptors[i * 61 + k] = a.descriptors[(100 + i) * 61 + k];
      for (let f = 0; f < 30; f++) b.descriptors[i * 61 + rng.int(61)] ^= 1 << rng.int(8);
    }
    const m = matchDescriptors(a, b);
    const found = new Set<string>();
    for (let k = 0; k < m.count; k++) found.add(`${m.pairs[2 * k]}-${m.pairs[2 * k + 1]}`);
    for (let i = 0; i < 50; i++) expect(found.has(`${100 + i}-${i}`)).toBe(true);
    expect(m.count).toBeLessThan(55);
  });

  it('returns no pairs for descriptors of different lengths', () => {
    expect(matchDescriptors(randomSet(1, 10, 61), randomSet(2, 10, 32)).count).toBe(0);
  });
});
