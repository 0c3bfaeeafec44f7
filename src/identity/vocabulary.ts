/**
 * Aggregated per-capture descriptor for the 1:N shortlist: a bag of binary words. Words are
 * learnt from the gallery's own descriptors by k-majority clustering (seeded); a capture becomes a
 * tf-idf weighted, square-rooted, L2-normalised histogram over the words (cosine similarity).
 */
import { createRng, IdentityError } from '../core/index.js';
import { nearestNeighboursWasm, padRows } from './hamming-wasm.js';
import type { FeatureSet } from './types.js';

export interface Vocabulary {
  /** k x row bytes (row = descriptor bytes padded to 32). */
  words: Uint8Array;
  k: number;
  descriptorBytes: number;
  row: number;
  /** Inverse document frequency per word. */
  idf: Float32Array;
  /** Descriptors and documents it was learnt from. */
  trainedOn: { descriptors: number; documents: number };
}

export interface VocabularyOptions {
  k: number;
  iterations: number;
  /** Sample at most this many descriptors for clustering. */
  maxSample: number;
  seed: number;
}

export const DEFAULT_VOCABULARY_OPTIONS: VocabularyOptions = { k: 2048, iterations: 3, maxSample: 200_000, seed: 1 };

/**
 * Learns `k` binary words from the descriptors of `sets` and the idf of each word over them.
 *
 * @example
 *   const vocab = trainVocabulary(galleryFeatureSets); const v = embedFeatureSet(probe, vocab);
 */
export function trainVocabulary(sets: FeatureSet[], options: Partial<VocabularyOptions> = {}): Vocabulary {
  const o = { ...DEFAULT_VOCABULARY_OPTIONS, ...options };
  const nonEmpty = sets.filter((s) => s.sizes.length > 0);
  if (nonEmpty.length === 0) throw new IdentityError('cannot learn a vocabulary from no descriptors', { code: 'BAD_INPUT' });
  const bytes = nonEmpty[0].descriptorBytes;
  const total = nonEmpty.reduce((n, s) => n + s.sizes.length, 0);
  const rng = createRng(o.seed);
  const sampleN = Math.min(total, o.maxSample);
  const row = Math.ceil(bytes / 32) * 32;
  const sample = new Uint8Array(sampleN * row);
  // Reservoir-free uniform sampling: pick with probability sampleN / total, then top up.
  let filled = 0;
  for (const s of nonEmpty) {
    for (let i = 0; i < s.sizes.length && filled < sampleN; i++) {
      if (rng.next() * total < sampleN * 1.05) {
        sample.set(s.descriptors.subarray(i * bytes, (i + 1) * bytes), filled * row);
        filled++;
      }
    }
  }
  const n = filled;
  const k = Math.max(1, Math.min(o.k, Math.floor(n / 4)));
  // Initial words: k distinct random samples.
  const words = new Uint8Array(k * row);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
    words.set(sample.subarray(perm[i] * row, perm[i] * row + row), i * row);
  }
  const bits = bytes * 8;
  for (let it = 0; it < o.iterations; it++) {
    const nn = nearestNeighboursWasm(sample.subarray(0, n * row), n, words, k, row);
    const counts = new Uint32Array(k * bits);
    const members = new Uint32Array(k);
    for (let i = 0; i < n; i++) {
      const w = nn.bestB[i];
      members[w]++;
      const base = i * row;
      for (let b = 0; b < bits; b++) if (sample[base + (b >> 3)] & (1 << (b & 7))) counts[w * bits + b]++;
    }
    for (let w = 0; w < k; w++) {
      if (members[w] === 0) continue; // keep the old word
      const out = words.subarray(w * row, w * row + row);
      out.fill(0);
      for (let b = 0; b < bits; b++) if (2 * counts[w * bits + b] > members[w]) out[b >> 3] |= 1 << (b & 7);
    }
  }
  const vocab: Vocabulary = { words, k, descriptorBytes: bytes, row, idf: new Float32Array(k).fill(1), trainedOn: { descriptors: n, documents: nonEmpty.length } };
  const df = new Uint32Array(k);
  for (const s of nonEmpty) {
    const seen = new Uint8Array(k);
    for (const w of assignWords(s, vocab)) seen[w] = 1;
    for (let w = 0; w < k; w++) df[w] += seen[w];
  }
  for (let w = 0; w < k; w++) vocab.idf[w] = Math.log((nonEmpty.length + 1) / (df[w] + 1)) + 1;
  return vocab;
}

/** The word of each descriptor of `set`. */
export function assignWords(set: FeatureSet, vocab: Vocabulary): Int32Array {
  const n = set.sizes.length;
  if (n === 0) return new Int32Array(0);
  if (set.descriptorBytes !== vocab.descriptorBytes) {
    throw new IdentityError(`descriptor size ${set.descriptorBytes} does not fit the vocabulary (${vocab.descriptorBytes}); rebuild the index`, { code: 'CONFLICT' });
  }
  const p = padRows(set.descriptors, n, set.descriptorBytes);
  return nearestNeighboursWasm(p.data, n, vocab.words, vocab.k, vocab.row).bestB;
}

/** Unit-length k-vector: sqrt(tf) * idf, L2-normalised. */
export function embedFeatureSet(set: FeatureSet, vocab: Vocabulary): Float32Array {
  const v = new Float32Array(vocab.k);
  for (const w of assignWords(set, vocab)) v[w] += 1;
  let norm = 0;
  for (let w = 0; w < vocab.k; w++) {
    v[w] = Math.sqrt(v[w]) * vocab.idf[w];
    norm += v[w] * v[w];
  }
  norm = Math.sqrt(norm) || 1;
  for (let w = 0; w < vocab.k; w++) v[w] /= norm;
  return v;
}

/** Bytes: JSON header line + words + idf. */
export function encodeVocabulary(v: Vocabulary): Uint8Array {
  const head = new TextEncoder().encode(`${JSON.stringify({ format: 1, k: v.k, descriptorBytes: v.descriptorBytes, row: v.row, trainedOn: v.trainedOn })}\n`);
  const out = new Uint8Array(head.length + v.words.length + 4 * v.k);
  out.set(head, 0);
  out.set(v.words, head.length);
  out.set(new Uint8Array(v.idf.buffer, v.idf.byteOffset, v.idf.byteLength), head.length + v.words.length);
  return out;
}

export function decodeVocabulary(bytes: Uint8Array): Vocabulary {
  const nl = bytes.indexOf(10);
  if (nl < 0) throw new IdentityError('vocabulary file has no header', { code: 'CORRUPT' });
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(0, nl))) as { k: number; descriptorBytes: number; row: number; trainedOn: Vocabulary['trainedOn'] };
  const start = nl + 1;
  if (bytes.length !== start + h.k * h.row + 4 * h.k) throw new IdentityError('vocabulary file is truncated', { code: 'CORRUPT' });
  const words = bytes.slice(start, start + h.k * h.row);
  const idf = new Float32Array(bytes.slice(start + h.k * h.row).buffer);
  return { words, k: h.k, descriptorBytes: h.descriptorBytes, row: h.row, idf, trainedOn: h.trainedOn };
}
