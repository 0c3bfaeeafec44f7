/**
 * 1:N shortlist: an approximate nearest-neighbour index (usearch HNSW, cosine, f16) over each
 * capture's bag-of-words vector. Candidates it returns are then verified geometrically.
 * Persisted as three files in one folder: vocabulary.bin, index.usearch, index.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import usearch, { type Index as UsearchIndex } from 'usearch';
import { IdentityError } from '../core/index.js';
import type { FeatureSet } from './types.js';
import { decodeVocabulary, embedFeatureSet, encodeVocabulary, trainVocabulary, type Vocabulary, type VocabularyOptions } from './vocabulary.js';

export interface ShortlistMeta {
  format: 1;
  /** Fingerprint version the vectors were made from. */
  fingerprintVersion: string;
  /** Number of captures in the index and the largest capture id: a cheap staleness check. */
  count: number;
  maxCaptureId: number;
  updatedAt: string;
}

export interface ShortlistHit {
  captureId: number;
  /** Cosine similarity of the bag-of-words vectors (1 = identical). */
  similarity: number;
}

function newIndex(dimensions: number): UsearchIndex {
  return new usearch.Index({
    dimensions,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F16,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: 256,
  } as unknown as ConstructorParameters<typeof usearch.Index>[0]);
}

export class ShortlistIndex {
  private constructor(
    readonly vocabulary: Vocabulary,
    private readonly index: UsearchIndex,
    readonly meta: ShortlistMeta,
  ) {}

  /**
   * Learns a vocabulary from `entries` and indexes them all.
   *
   * @example
   *   const idx = ShortlistIndex.build(gallery.map((g) => ({ captureId: g.id, features: g.fs })), 'akaze/v1');
   *   const hits = idx.search(probeFeatures, 20);
   */
  static build(entries: Array<{ captureId: number; features: FeatureSet }>, fingerprintVersion: string, options: Partial<VocabularyOptions> = {}): ShortlistIndex {
    const vocab = trainVocabulary(entries.map((e) => e.features), options);
    const s = new ShortlistIndex(vocab, newIndex(vocab.k), { format: 1, fingerprintVersion, count: 0, maxCaptureId: 0, updatedAt: new Date().toISOString() });
    for (const e of entries) s.add(e.captureId, e.features);
    return s;
  }

  get size(): number {
    return this.index.size();
  }

  /** Adds (or replaces) one capture. */
  add(captureId: number, features: FeatureSet): void {
    const key = BigInt(captureId);
    if (this.index.contains(key)) {
      this.index.remove(key);
      this.meta.count--;
    }
    this.index.add(key, embedFeatureSet(features, this.vocabulary));
    this.meta.count++;
    this.meta.maxCaptureId = Math.max(this.meta.maxCaptureId, captureId);
    this.meta.updatedAt = new Date().toISOString();
  }

  /** The `k` captures whose vectors are most similar to the probe's, best first. */
  search(features: FeatureSet, k: number): ShortlistHit[] {
    if (this.index.size() === 0 || features.sizes.length === 0) return [];
    const r = this.index.search(embedFeatureSet(features, this.vocabulary), Math.min(k, this.index.size()), 1);
    const hits: ShortlistHit[] = [];
    for (let i = 0; i < r.keys.length; i++) hits.push({ captureId: Number(r.keys[i]), similarity: 1 - r.distances[i] });
    return hits;
  }

  /** Writes the three files atomically (temp + rename). */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tmp = `.tmp-${process.pid}`;
    this.index.save(path.join(dir, `index.usearch${tmp}`));
    await writeFile(path.join(dir, `vocabulary.bin${tmp}`), encodeVocabulary(this.vocabulary));
    await writeFile(path.join(dir, `index.json${tmp}`), `${JSON.stringify(this.meta, null, 2)}\n`);
    for (const f of ['index.usearch', 'vocabulary.bin', 'index.json']) await rename(path.join(dir, f + tmp), path.join(dir, f));
  }

  /** Loads a saved index, or returns null when its files are missing. */
  static async load(dir: string): Promise<ShortlistIndex | null> {
    const files = ['index.usearch', 'vocabulary.bin', 'index.json'].map((f) => path.join(dir, f));
    if (!files.every((f) => existsSync(f))) return null;
    try {
      const meta = JSON.parse(await readFile(files[2], 'utf8')) as ShortlistMeta;
      const vocab = decodeVocabulary(new Uint8Array(await readFile(files[1])));
      const index = newIndex(vocab.k);
      index.load(files[0]);
      if (index.size() !== meta.count) return null;
      return new ShortlistIndex(vocab, index, meta);
    } catch (err) {
      if (err instanceof IdentityError) return null;
      return null;
    }
  }
}
