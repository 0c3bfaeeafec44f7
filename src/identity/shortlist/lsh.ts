/**
 * Multi-table locality-sensitive hashing of binary descriptors by bit sampling, with a pose vote.
 *
 * Every gallery keypoint gets a global index; its capture slot, position and angle live in compact
 * arrays (`KeypointStore`). Table t keys a descriptor by `bits` of its bit positions (a fixed,
 * seeded choice, disjoint across tables while there are enough) and is an array of keypoint
 * indices sorted by key (found through a directory and low key bits, see LshTable), plus a small
 * append segment (key -> indices) for keypoints added since the last merge.
 *
 * A probe descriptor looks up its key in every table; each (probe descriptor, capture) collision
 * counts once. A collision of probe keypoint q with gallery keypoint g predicts a pose: rotation
 * angle(g) - angle(q) and the translation that maps q onto g under it. A capture's score is the
 * largest number of its collisions that agree on the pose (within `angleTolDeg` and `shiftTolPx`)
 * with one of them: a recapture's true correspondences share one pose; chance collisions of
 * similar-looking descriptors scatter over all of them.
 */
import { createRng, deriveSeed } from '../../core/index.js';
import type { FeatureSet } from '../types.js';

export interface LshOptions {
  tables: number;
  /** Bits per key (at most 22: tables are addressed directly). */
  bits: number;
  /** Descriptors kept per gallery capture, strongest response first. */
  perCapture: number;
  /** Two collisions agree on the pose when their rotations differ by at most this... */
  angleTolDeg: number;
  /** ...and their predicted translations by at most this many pixels (each axis). */
  shiftTolPx: number;
  /** Also look up every key one bit away (bits + 1 lookups per table). */
  multiProbe: boolean;
  /**
   * A key whose bucket holds more than this many times the mean number of entries per key is
   * skipped: such common descriptors collide with everything and carry little identity.
   */
  maxBucketFactor: number;
  /** Descriptor bits that carry information (AKAZE MLDB: 486 of 488). */
  usableBits: number;
  seed: number;
  /**
   * Scale hypotheses of the pose vote (probe to gallery, search time only): a capture's score is its
   * best over them. A recapture 1.15x larger than its registration moves keypoints 200 px from the
   * centre by 30 px, far outside `shiftTolPx`, so with one scale its true collisions scatter.
   */
  scales: readonly number[];
}

/**
 * Scale hypotheses of the pose vote: 1.28^(k/3), k = -3..3, covering handheld recaptures 0.78-1.28x
 * their registration's size in steps of 8.6% (at most 4.3% off: 9 px at 200 px from the centre,
 * inside one pose cell). Development range, 1000 parts of 20 moulds, 300 recaptures: median votes
 * of the true part 22 -> 50 (0-10 deg light change) and 8 -> 15 (10-20 deg); shortlist rank-1
 * 210 -> 225 of 300; the search 25.7 -> 34.2 ms.
 */
export const POSE_SCALES: readonly number[] = [-3, -2, -1, 0, 1, 2, 3].map((k) => Math.round(1.28 ** (k / 3) * 1000) / 1000);

/**
 * Bits and pose cells chosen on 200 registered synthetic parts + 2,000 real distractors (recall@50
 * of recaptures 90.7% at 20 bits / 15 deg / 24 px, 92.7% at 20 / 10 / 12, 94.0% at 22 / 10 / 12,
 * 95.3% at 22 / 15 / 12; 22 bits also halves the search time). Tables and multi-probe from the
 * 30k-gallery runs (1,000 parts + 29,000 real distractors, 300 recapture probes, quiet 2-core box):
 * 12 tables with one-bit-away lookups 670 ms per search; 24 tables without them 74 ms; 16 tables
 * without them 43 ms (951 MiB); recall@1 100% in all three (bench/results/identity-scaling-*.md).
 */
export const DEFAULT_LSH_OPTIONS: LshOptions = { tables: 16, bits: 22, perCapture: 1000, angleTolDeg: 15, shiftTolPx: 12, multiProbe: false, maxBucketFactor: 16, usableBits: 486, seed: 4, scales: POSE_SCALES };

/** Indices of the `n` strongest (by response) keypoints of `f`, strongest first. */
export function strongest(f: FeatureSet, n: number): Int32Array {
  const total = f.sizes.length;
  const order = Array.from({ length: total }, (_, i) => i);
  if (n < total) order.sort((a, b) => f.responses[b] - f.responses[a] || a - b);
  return Int32Array.from(order.slice(0, Math.min(n, total)));
}

/** Seeded bit positions per table: disjoint across tables while T * bits <= usableBits. */
export function tableBits(o: LshOptions): Int32Array[] {
  const rng = createRng(deriveSeed(o.seed, 'lsh-bits'));
  const out: Int32Array[] = [];
  let pool: number[] = [];
  for (let t = 0; t < o.tables; t++) {
    if (pool.length < o.bits) {
      pool = Array.from({ length: o.usableBits }, (_, i) => i);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
    }
    out.push(Int32Array.from(pool.splice(0, o.bits)));
  }
  return out;
}

/** Key of descriptor `i` (of `bytes` bytes) in `desc` for the given bit positions. */
export function keyOf(desc: Uint8Array, i: number, bytes: number, bits: Int32Array): number {
  let k = 0;
  const base = i * bytes;
  for (let b = 0; b < bits.length; b++) {
    const p = bits[b];
    k |= ((desc[base + (p >> 3)] >> (p & 7)) & 1) << b;
  }
  return k >>> 0;
}

/** Stored keypoint coordinate unit: 1/2 px from the image centre (Int16 covers +-16k px). */
const COORD = 2;

/** Gallery keypoints: capture slot, position relative to the image centre, angle. Growable. */
export class KeypointStore {
  slot: Uint32Array;
  x: Int16Array;
  y: Int16Array;
  angle: Uint8Array;
  length: number;

  constructor(capacity = 1024, init?: { slot: Uint32Array; x: Int16Array; y: Int16Array; angle: Uint8Array }) {
    if (init) {
      this.slot = init.slot;
      this.x = init.x;
      this.y = init.y;
      this.angle = init.angle;
      this.length = init.slot.length;
    } else {
      this.slot = new Uint32Array(capacity);
      this.x = new Int16Array(capacity);
      this.y = new Int16Array(capacity);
      this.angle = new Uint8Array(capacity);
      this.length = 0;
    }
  }

  private grow(min: number): void {
    const cap = Math.max(min, Math.ceil(this.slot.length * 1.5), 1024);
    const g = <T extends Uint32Array | Int16Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.slot = g(this.slot, (n) => new Uint32Array(n));
    this.x = g(this.x, (n) => new Int16Array(n));
    this.y = g(this.y, (n) => new Int16Array(n));
    this.angle = g(this.angle, (n) => new Uint8Array(n));
  }

  /** Appends keypoints `pick` of `f` for `slot`; returns the first global index. */
  push(slot: number, f: FeatureSet, pick: Int32Array): number {
    if (this.length + pick.length > this.slot.length) this.grow(this.length + pick.length);
    const start = this.length;
    const cx = f.imageSize.width / 2, cy = f.imageSize.height / 2;
    for (const i of pick) {
      const g = this.length++;
      this.slot[g] = slot;
      this.x[g] = Math.max(-32768, Math.min(32767, Math.round((f.keypoints[2 * i] - cx) * COORD)));
      this.y[g] = Math.max(-32768, Math.min(32767, Math.round((f.keypoints[2 * i + 1] - cy) * COORD)));
      this.angle[g] = angleByte(f.angles[i]);
    }
    return start;
  }

  /** The first `n` keypoints' arrays (views, for saving). */
  head(n = this.length): { slot: Uint32Array; x: Int16Array; y: Int16Array; angle: Uint8Array } {
    return { slot: this.slot.subarray(0, n), x: this.x.subarray(0, n), y: this.y.subarray(0, n), angle: this.angle.subarray(0, n) };
  }

  get bytes(): number {
    return this.slot.byteLength + this.x.byteLength + this.y.byteLength + this.angle.byteLength;
  }
}

function angleByte(deg: number): number {
  return Math.round((((deg % 360) + 360) % 360) * (256 / 360)) & 255;
}

/**
 * One table: the main segment sorted by key, found through a directory over the key's top
 * `dirBits` bits (2^dirBits + 1 offsets) and, below that, the remaining low bits of each entry's key
 * (`lows`, empty when dirBits = bits); plus the append segment.
 */
export interface LshTable {
  dirBits: number;
  offsets: Uint32Array;
  lows: Uint16Array;
  /** Global keypoint indices, sorted by key. */
  values: Uint32Array;
  /** Append segment: key -> global keypoint indices, for keypoints added since the last merge. */
  extra: AppendSegment;
}

/**
 * A table's append segment: a chained hash from key to keypoint indices held in typed arrays, so an
 * addition allocates nothing per entry (a Map of arrays cost about 5 ms per 290-keypoint capture
 * over 16 tables, paid again for every addition replayed when an index is loaded). Entries of one
 * key are visited in insertion order, as they are after a merge.
 */
export class AppendSegment {
  private heads = new Int32Array(1024).fill(-1);
  private tails = new Int32Array(1024).fill(-1);
  private keys = new Uint32Array(1024);
  private vals = new Uint32Array(1024);
  private next = new Int32Array(1024);
  length = 0;

  push(key: number, val: number): void {
    if (this.length === this.keys.length) this.grow();
    const e = this.length++;
    this.keys[e] = key;
    this.vals[e] = val;
    this.next[e] = -1;
    this.link(e);
  }

  private link(e: number): void {
    const b = this.keys[e] & (this.heads.length - 1);
    if (this.tails[b] < 0) this.heads[b] = e;
    else this.next[this.tails[b]] = e;
    this.tails[b] = e;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    const keys = new Uint32Array(cap), vals = new Uint32Array(cap);
    keys.set(this.keys);
    vals.set(this.vals);
    this.keys = keys;
    this.vals = vals;
    this.next = new Int32Array(cap);
    // About one entry per bucket: relink everything in insertion order.
    this.heads = new Int32Array(cap).fill(-1);
    this.tails = new Int32Array(cap).fill(-1);
    for (let e = 0; e < this.length; e++) {
      this.next[e] = -1;
      this.link(e);
    }
  }

  /** Calls `fn` with each keypoint index stored under `key`, oldest first. */
  forEachOf(key: number, fn: (val: number) => void): void {
    if (this.length === 0) return;
    for (let e = this.heads[key & (this.heads.length - 1)]; e >= 0; e = this.next[e]) if (this.keys[e] === key) fn(this.vals[e]);
  }

  /** Every (key, index) entry, oldest first. */
  keysAndValues(): { keys: Uint32Array; vals: Uint32Array } {
    return { keys: this.keys.subarray(0, this.length), vals: this.vals.subarray(0, this.length) };
  }

  get bytes(): number {
    return this.keys.byteLength * 5;
  }
}

/** Directory bits for `n` entries: about 4 entries per directory slot, low keys of at most 16 bits. */
function dirBitsFor(bits: number, n: number): number {
  return Math.max(bits - 16, Math.min(bits, Math.ceil(Math.log2(Math.max(1, n))) - 2), 0);
}

/** A table's main segment from keys and values (counting sort by key). */
export function sortedTable(bits: number, keys: Uint32Array, vals: Uint32Array): LshTable {
  const n = keys.length;
  const size = 1 << bits;
  let order: Uint32Array;
  if (n * 16 < size) {
    // Few entries: a comparison sort beats counting over 2^bits keys.
    order = Uint32Array.from({ length: n }, (_, e) => e).sort((a, b) => keys[a] - keys[b] || a - b);
  } else {
    const full = new Uint32Array(size + 1);
    for (let e = 0; e < n; e++) full[keys[e] + 1]++;
    for (let k = 0; k < size; k++) full[k + 1] += full[k];
    order = new Uint32Array(n);
    for (let e = 0; e < n; e++) order[full[keys[e]]++] = e;
  }
  const dirBits = dirBitsFor(bits, n);
  const lowBits = bits - dirBits;
  const offsets = new Uint32Array((1 << dirBits) + 1);
  for (let e = 0; e < n; e++) offsets[(keys[e] >>> lowBits) + 1]++;
  for (let d = 0; d < 1 << dirBits; d++) offsets[d + 1] += offsets[d];
  const lows = new Uint16Array(lowBits > 0 ? n : 0);
  const values = new Uint32Array(n);
  const mask = (1 << lowBits) - 1;
  for (let j = 0; j < n; j++) {
    values[j] = vals[order[j]];
    if (lowBits > 0) lows[j] = keys[order[j]] & mask;
  }
  return { dirBits, offsets, lows, values, extra: new AppendSegment() };
}

/**
 * A table's main segment with its append segment merged in, older entries first within a key, as a
 * full sort would give. When the directory keeps its size (nearly always), the main segment is
 * copied in runs between the insertion points of the sorted additions. (Merging 511 additions into
 * 99,000 captures: 9.6 s this way, 24.8 s by re-sorting everything, on the 2-core dev machine;
 * writing shortlist.bin adds another 6.7 s.)
 */
export function mergeTable(bits: number, t: LshTable): LshTable {
  const main = t.values.length;
  const added = t.extra.keysAndValues();
  const ak = added.keys;
  const m = ak.length;
  const n = main + m;
  const dirBits = dirBitsFor(bits, n);
  if (dirBits !== t.dirBits) {
    // The directory grows (n crossed a power of two, rarely): sort everything again. Counting sort
    // is stable, so main entries stay before the additions within a key.
    const keys = new Uint32Array(n);
    const vals = new Uint32Array(n);
    const oldLow = bits - t.dirBits;
    for (let d = 0; d < 1 << t.dirBits; d++) {
      for (let j = t.offsets[d]; j < t.offsets[d + 1]; j++) keys[j] = ((d << oldLow) | (oldLow > 0 ? t.lows[j] : 0)) >>> 0;
    }
    vals.set(t.values);
    keys.set(ak, main);
    vals.set(added.vals, main);
    return sortedTable(bits, keys, vals);
  }
  // Same directory: copy the main segment in runs between the insertion points of the additions.
  const lowBits = bits - dirBits;
  const mask = (1 << lowBits) - 1;
  const ord = Uint32Array.from({ length: m }, (_, e) => e).sort((a, b) => ak[a] - ak[b] || a - b);
  const offsets = new Uint32Array(t.offsets.length);
  const lows = new Uint16Array(lowBits > 0 ? n : 0);
  const values = new Uint32Array(n);
  for (let k = 0, j = 0; k < offsets.length; k++) {
    while (j < m && ak[ord[j]] >>> lowBits < k) j++;
    offsets[k] = t.offsets[k] + j;
  }
  let prev = 0, w = 0;
  const copyMain = (to: number) => {
    values.set(t.values.subarray(prev, to), w);
    if (lowBits > 0) lows.set(t.lows.subarray(prev, to), w);
    w += to - prev;
    prev = to;
  };
  for (let j = 0; j < m; j++) {
    const key = ak[ord[j]];
    copyMain(rangeOf(t, bits, key)[1]);
    if (lowBits > 0) lows[w] = key & mask;
    values[w++] = added.vals[ord[j]];
  }
  copyMain(main);
  return { dirBits, offsets, lows, values, extra: new AppendSegment() };
}

/** Range [start, end) of the main-segment entries with `key`. */
function rangeOf(t: LshTable, bits: number, key: number): [number, number] {
  const lowBits = bits - t.dirBits;
  const d = key >>> lowBits;
  const hi = t.offsets[d + 1];
  let lo = t.offsets[d];
  if (lowBits === 0 || lo === hi) return [lo, hi];
  const low = key & ((1 << lowBits) - 1);
  const lows = t.lows;
  // First entry with lows >= low, then the run of equal ones.
  let a = lo, b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (lows[m] < low) a = m + 1;
    else b = m;
  }
  lo = a;
  while (a < hi && lows[a] === low) a++;
  return [lo, a];
}

const COS = Float32Array.from({ length: 256 }, (_, a) => Math.cos((a * 2 * Math.PI) / 256));
const SIN = Float32Array.from({ length: 256 }, (_, a) => Math.sin((a * 2 * Math.PI) / 256));

export class LshTables {
  readonly bitsOf: Int32Array[];
  tables: LshTable[];
  /** Keypoints in the append segments. */
  extraEntries = 0;
  /** Keypoints in the main segments (the first ones of the store). */
  mainKeypoints: number;
  // Scratch buffers reused by `vote`.
  private lastVoter = new Int32Array(0);
  private hitSlot = new Uint32Array(1 << 16);
  private hitProbe = new Uint32Array(1 << 16);
  private hitKp = new Uint32Array(1 << 16);
  private cells = new Uint16Array(0);
  // Per collision of the slot being scored (`vote`): its two angle bins, gallery position and
  // rotated probe position, which do not depend on the scale hypothesis.
  private angleBin0 = new Int32Array(256);
  private angleBin1 = new Int32Array(256);
  private galleryX = new Float32Array(256);
  private galleryY = new Float32Array(256);
  private rotatedX = new Float32Array(256);
  private rotatedY = new Float32Array(256);

  constructor(readonly options: LshOptions, readonly kps: KeypointStore = new KeypointStore(), tables?: LshTable[]) {
    if (!(options.bits >= 4 && options.bits <= 22)) throw new Error(`LSH key bits must be 4..22, got ${options.bits}`);
    this.bitsOf = tableBits(options);
    this.tables = tables ?? this.bitsOf.map(() => sortedTable(options.bits, new Uint32Array(0), new Uint32Array(0)));
    this.mainKeypoints = this.tables[0]?.values.length ?? 0;
  }

  /** Bytes held by the tables and keypoints (append segments estimated). */
  get bytes(): number {
    return this.tables.reduce((a, t) => a + t.offsets.byteLength + t.lows.byteLength + t.values.byteLength + t.extra.bytes, 0) + this.kps.bytes;
  }

  /**
   * Replaces everything with the given captures (slot = position in `items`; null = none): keypoints
   * in slot order, tables counting-sorted by key, one table at a time.
   */
  buildMain(items: Array<FeatureSet | null>): void {
    const o = this.options;
    const picks = items.map((f) => (f ? strongest(f, o.perCapture) : new Int32Array(0)));
    const total = picks.reduce((a, p) => a + p.length, 0);
    const kps = this.kps;
    kps.length = 0;
    const starts = items.map((f, s) => (f ? kps.push(s, f, picks[s]) : kps.length));
    const ids = Uint32Array.from({ length: total }, (_, g) => g);
    this.tables = this.bitsOf.map((bits) => {
      const keys = new Uint32Array(total);
      for (let s = 0; s < items.length; s++) {
        const f = items[s];
        if (!f) continue;
        const p = picks[s];
        for (let j = 0; j < p.length; j++) keys[starts[s] + j] = keyOf(f.descriptors, p[j], f.descriptorBytes, bits);
      }
      return sortedTable(o.bits, keys, ids);
    });
    this.extraEntries = 0;
    this.mainKeypoints = total;
  }

  /** Adds one capture's descriptors to the append segments under `slot`. */
  append(slot: number, f: FeatureSet): void {
    const pick = strongest(f, this.options.perCapture);
    const start = this.kps.push(slot, f, pick);
    for (const [t, bits] of this.bitsOf.entries()) {
      const extra = this.tables[t].extra;
      for (let j = 0; j < pick.length; j++) extra.push(keyOf(f.descriptors, pick[j], f.descriptorBytes, bits), start + j);
    }
    this.extraEntries += pick.length;
  }

  /** Merges the append segments into the main segments (keypoint indices stay as they are). */
  merge(): void {
    if (this.extraEntries === 0) return;
    this.tables = this.tables.map((t) => mergeTable(this.options.bits, t));
    this.extraEntries = 0;
    this.mainKeypoints = this.kps.length;
  }

  private growCollisionScratch(n: number): void {
    this.angleBin0 = new Int32Array(n);
    this.angleBin1 = new Int32Array(n);
    this.galleryX = new Float32Array(n);
    this.galleryY = new Float32Array(n);
    this.rotatedX = new Float32Array(n);
    this.rotatedY = new Float32Array(n);
  }

  private pushHit(n: number, s: number, i: number, g: number): void {
    if (n >= this.hitSlot.length) {
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.hitSlot = grow(this.hitSlot);
      this.hitProbe = grow(this.hitProbe);
      this.hitKp = grow(this.hitKp);
    }
    this.hitSlot[n] = s;
    this.hitProbe[n] = i;
    this.hitKp[n] = g;
  }

  /**
   * Pose-consistent votes of the probe's descriptors for each capture slot (`slots` = number of
   * slots; those in `dead` get none). Returns the `k` best slots with their votes, best first;
   * slots whose collision count cannot reach the k-th best score are not scored.
   */
  vote(probe: FeatureSet, slots: number, dead: Set<number>, k: number): Array<{ slot: number; votes: number }> {
    if (this.lastVoter.length < slots) this.lastVoter = new Int32Array(Math.max(slots, 2 * this.lastVoter.length));
    const last = this.lastVoter;
    last.fill(-1, 0, slots);
    const kpSlot = this.kps.slot;
    let n = 0;
    const np = probe.sizes.length;
    const bits = this.options.bits;
    const flips = this.options.multiProbe ? bits : 0;
    const maxBucket = Math.max(4, Math.ceil((this.options.maxBucketFactor * (this.mainKeypoints + this.extraEntries)) / 2 ** bits));
    for (let i = 0; i < np; i++) {
      for (let t = 0; t < this.tables.length; t++) {
        const table = this.tables[t];
        const key0 = keyOf(probe.descriptors, i, probe.descriptorBytes, this.bitsOf[t]);
        for (let f = -1; f < flips; f++) {
          const key = f < 0 ? key0 : (key0 ^ (1 << f)) >>> 0;
          const [start, end] = rangeOf(table, bits, key);
          if (end - start > maxBucket) continue;
          for (let j = start; j < end; j++) {
            const g = table.values[j];
            const s = kpSlot[g];
            if (last[s] === i) continue;
            last[s] = i;
            this.pushHit(n++, s, i, g);
          }
          table.extra.forEachOf(key, (g) => {
            const s = kpSlot[g];
            if (last[s] === i) return;
            last[s] = i;
            this.pushHit(n++, s, i, g);
          });
        }
      }
    }
    // Group hits by slot (counting sort).
    const count = new Uint32Array(slots + 1);
    for (let h = 0; h < n; h++) count[this.hitSlot[h] + 1]++;
    for (let s = 0; s < slots; s++) count[s + 1] += count[s];
    const order = new Uint32Array(n);
    const fill = count.slice(0, slots);
    for (let h = 0; h < n; h++) order[fill[this.hitSlot[h]]++] = h;
    // Slots by collision count, most first: a slot's score cannot exceed its count.
    const bySize: number[] = [];
    for (let s = 0; s < slots; s++) if (count[s + 1] > count[s] && !dead.has(s)) bySize.push(s);
    bySize.sort((a, b) => count[b + 1] - count[b] - (count[a + 1] - count[a]) || a - b);
    const cx = probe.imageSize.width / 2, cy = probe.imageSize.height / 2;
    // Pose cells: angle bins of angleTolDeg, translation bins of shiftTolPx; each collision votes
    // for the two nearest bins in each of the three dimensions (8 cells), so collisions whose poses
    // differ by less than a bin width in every dimension share a cell.
    const nA = Math.max(1, Math.round(360 / this.options.angleTolDeg));
    const aW = 256 / nA;
    const tW = this.options.shiftTolPx * COORD;
    const nT = 2 * Math.ceil((600 * COORD) / tW);
    if (this.cells.length < nA * nT * nT) this.cells = new Uint16Array(nA * nT * nT);
    const cells = this.cells;
    const touched: number[] = [];
    const best: Array<{ slot: number; votes: number }> = [];
    const scales = this.options.scales.length > 0 ? this.options.scales : [1];
    let floor = 0;
    for (const s of bySize) {
      const m = count[s + 1] - count[s];
      if (best.length >= k && m <= floor) break;
      if (this.angleBin0.length < m) this.growCollisionScratch(2 * m);
      const { angleBin0, angleBin1, galleryX, galleryY, rotatedX, rotatedY } = this;
      for (let j = 0; j < m; j++) {
        const h = order[count[s] + j];
        const i = this.hitProbe[h], g = this.hitKp[h];
        const a = (this.kps.angle[g] - angleByte(probe.angles[i]) + 256) & 255;
        const qx = (probe.keypoints[2 * i] - cx) * COORD, qy = (probe.keypoints[2 * i + 1] - cy) * COORD;
        const fa = a / aW, a0 = Math.floor(fa), a1 = fa - a0 >= 0.5 ? a0 + 1 : a0 - 1;
        angleBin0[j] = ((a0 % nA) + nA) % nA;
        angleBin1[j] = ((a1 % nA) + nA) % nA;
        galleryX[j] = this.kps.x[g];
        galleryY[j] = this.kps.y[g];
        rotatedX[j] = COS[a] * qx - SIN[a] * qy;
        rotatedY[j] = SIN[a] * qx + COS[a] * qy;
      }
      let votes = 0;
      for (const sc of scales) {
        for (let j = 0; j < m; j++) {
          const fx = (galleryX[j] - sc * rotatedX[j]) / tW + nT / 2, fy = (galleryY[j] - sc * rotatedY[j]) / tW + nT / 2;
          const x0 = Math.floor(fx), y0 = Math.floor(fy);
          const x1 = fx - x0 >= 0.5 ? x0 + 1 : x0 - 1, y1 = fy - y0 >= 0.5 ? y0 + 1 : y0 - 1;
          if (x0 < 1 || x0 >= nT - 1 || y0 < 1 || y0 >= nT - 1) continue;
          const b0 = angleBin0[j], b1 = angleBin1[j];
          for (let q = 0; q < 8; q++) {
            const c = ((q & 4 ? b1 : b0) * nT + (q & 2 ? x1 : x0)) * nT + (q & 1 ? y1 : y0);
            if (cells[c] === 0) touched.push(c);
            const v = ++cells[c];
            if (v > votes) votes = v;
          }
        }
        for (const c of touched) cells[c] = 0;
        touched.length = 0;
      }
      if (best.length < k || votes > floor) {
        best.push({ slot: s, votes });
        best.sort((a, b) => b.votes - a.votes || a.slot - b.slot);
        if (best.length > k) best.pop();
        floor = best.length >= k ? best[best.length - 1].votes : 0;
      }
    }
    return best;
  }
}
