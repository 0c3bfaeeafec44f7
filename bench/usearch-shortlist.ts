/**
 * The previous 1:N shortlist, kept for the benchmark's comparison (bench/identity-synth): a
 * per-descriptor approximate nearest-neighbour index (usearch HNSW, Hamming over
 * bits, b1) holding each capture's strongest keypoints' binary descriptors; a probe's strongest
 * descriptors each look up their nearest gallery descriptors and vote for the captures those
 * belong to. Candidates it returns are then verified geometrically.
 * In memory only (the service uses the LSH shortlist of shortlist.ts).
 */
import usearch, { type Index as UsearchIndex } from 'usearch';
import type { FeatureSet } from '../src/identity/types.js';

export interface UsearchShortlistOptions {
  /** Descriptors kept per capture (and taken from a probe), strongest response first. */
  perCapture: number;
  /** Gallery descriptors looked up per probe descriptor. */
  neighbours: number;
  /** A neighbour votes only below this fraction of the descriptor's bits differing. */
  maxDistanceFraction: number;
}

export const DEFAULT_USEARCH_SHORTLIST_OPTIONS: UsearchShortlistOptions = { perCapture: 64, neighbours: 16, maxDistanceFraction: 0.3 };

interface UsearchShortlistMeta {
  format: 2;
  /** Fingerprint version the descriptors were taken from. */
  fingerprintVersion: string;
  /** Number of captures in the index and the largest capture id: a cheap staleness check. */
  count: number;
  maxCaptureId: number;
  /** Bits per descriptor (the usearch dimensions). */
  bits: number;
  /** Descriptors in the usearch index (a load check). */
  vectors: number;
  options: UsearchShortlistOptions;
  /** Every indexed capture id (so a search can list captures that got no vote). */
  captureIds: number[];
  updatedAt: string;
}

export interface UsearchShortlistHit {
  captureId: number;
  /** Share of the probe's descriptors that voted for this capture, distance-weighted (0..1). */
  similarity: number;
}

function newIndex(bits: number): UsearchIndex {
  return new usearch.Index({
    dimensions: bits,
    metric: usearch.MetricKind.Hamming,
    quantization: usearch.ScalarKind.B1,
    connectivity: 16,
    expansion_add: 64,
    expansion_search: 128,
    multi: true,
  } as unknown as ConstructorParameters<typeof usearch.Index>[0]);
}

/** The `n` strongest descriptors of `features`, unpacked to one float (0/1) per bit, as usearch casts to b1. */
export function strongestDescriptors(features: FeatureSet, n: number): { vectors: Float32Array; count: number } {
  const total = features.sizes.length;
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => features.responses[b] - features.responses[a]);
  const count = Math.min(n, total);
  const bytes = features.descriptorBytes;
  const bits = bytes * 8;
  const vectors = new Float32Array(count * bits);
  for (let s = 0; s < count; s++) {
    const i = order[s];
    for (let b = 0; b < bytes; b++) {
      const v = features.descriptors[i * bytes + b];
      for (let k = 0; k < 8; k++) vectors[s * bits + b * 8 + k] = (v >> k) & 1;
    }
  }
  return { vectors, count };
}

export class UsearchShortlist {
  private readonly ids: Set<number>;

  private constructor(
    private readonly index: UsearchIndex,
    readonly meta: UsearchShortlistMeta,
  ) {
    this.ids = new Set(meta.captureIds);
  }

  /**
   * Indexes every entry's strongest descriptors.
   *
   * @example
   *   const idx = UsearchShortlist.build(gallery.map((g) => ({ captureId: g.id, features: g.fs })), 'akaze/v1');
   *   const hits = idx.search(probeFeatures, 20);
   */
  static build(entries: Array<{ captureId: number; features: FeatureSet }>, fingerprintVersion: string, options: Partial<UsearchShortlistOptions> = {}): UsearchShortlist {
    const bits = (entries[0]?.features.descriptorBytes ?? 61) * 8;
    const s = UsearchShortlist.empty(bits, fingerprintVersion, options);
    // Batched inserts of 500 captures (usearch spreads a batch over its threads).
    for (let c = 0; c < entries.length; c += 500) {
      const parts = entries.slice(c, c + 500).map((e) => ({ id: e.captureId, ...strongestDescriptors(e.features, s.meta.options.perCapture) }));
      const total = parts.reduce((a, p) => a + p.count, 0);
      const keys = new BigUint64Array(total);
      const vectors = new Float32Array(total * bits);
      let o = 0;
      for (const p of parts) {
        keys.fill(BigInt(p.id), o, o + p.count);
        vectors.set(p.vectors, o * bits);
        o += p.count;
        s.ids.add(p.id);
        s.meta.maxCaptureId = Math.max(s.meta.maxCaptureId, p.id);
      }
      if (total > 0) s.index.add(keys, vectors);
      s.meta.vectors += total;
    }
    s.meta.count = s.ids.size;
    return s;
  }

  /** An index with nothing in it, for descriptors of `bits` bits. */
  static empty(bits: number, fingerprintVersion: string, options: Partial<UsearchShortlistOptions> = {}): UsearchShortlist {
    return new UsearchShortlist(newIndex(bits), { format: 2, fingerprintVersion, count: 0, maxCaptureId: 0, bits, vectors: 0, options: { ...DEFAULT_USEARCH_SHORTLIST_OPTIONS, ...options }, captureIds: [], updatedAt: new Date().toISOString() });
  }

  /** Number of captures indexed. */
  get size(): number {
    return this.ids.size;
  }

  /** Adds (or replaces) one capture. */
  add(captureId: number, features: FeatureSet): void {
    if (features.descriptorBytes * 8 !== this.meta.bits) throw new Error(`descriptors of ${features.descriptorBytes * 8} bits cannot join an index of ${this.meta.bits}-bit descriptors`);
    const key = BigInt(captureId);
    if (this.ids.has(captureId)) {
      this.meta.vectors -= this.index.count(key) as number;
      this.index.remove(key);
    }
    const { vectors, count } = strongestDescriptors(features, this.meta.options.perCapture);
    if (count > 0) this.index.add(BigUint64Array.from({ length: count }, () => key), vectors);
    this.meta.vectors += count;
    this.ids.add(captureId);
    this.meta.count = this.ids.size;
    this.meta.maxCaptureId = Math.max(this.meta.maxCaptureId, captureId);
    this.meta.updatedAt = new Date().toISOString();
  }

  /** The `k` captures with the most (distance-weighted) descriptor votes, best first; captures without a vote fill up to `k`. */
  search(features: FeatureSet, k: number): UsearchShortlistHit[] {
    if (this.ids.size === 0 || features.sizes.length === 0 || k <= 0) return [];
    const o = this.meta.options;
    const { vectors, count } = strongestDescriptors(features, o.perCapture);
    const votes = new Map<number, number>();
    if (count > 0 && this.meta.vectors > 0 && features.descriptorBytes * 8 === this.meta.bits) {
      const nn = Math.min(o.neighbours, this.meta.vectors);
      const r = this.index.search(vectors, nn, 0);
      const cut = o.maxDistanceFraction * this.meta.bits;
      for (let q = 0; q < count; q++) {
        // Each probe descriptor votes at most once per capture: its nearest descriptor there.
        const seen = new Set<number>();
        for (let j = 0; j < nn; j++) {
          const d = r.distances[q * nn + j];
          if (!(d < cut)) break;
          const id = Number(r.keys[q * nn + j]);
          if (seen.has(id)) continue;
          seen.add(id);
          votes.set(id, (votes.get(id) ?? 0) + (1 - d / cut));
        }
      }
    }
    const hits: UsearchShortlistHit[] = [...votes.entries()].filter(([id]) => this.ids.has(id)).map(([captureId, v]) => ({ captureId, similarity: v / Math.max(1, count) }));
    hits.sort((a, b) => b.similarity - a.similarity || a.captureId - b.captureId);
    if (hits.length >= k) return hits.slice(0, k);
    for (const id of this.ids) {
      if (hits.length >= k) break;
      if (!votes.has(id)) hits.push({ captureId: id, similarity: 0 });
    }
    return hits;
  }
}
