/**
 * 1:N shortlist: multi-table LSH over every gallery keypoint's binary descriptor with a pose vote
 * (lsh.ts). Candidates it returns are then verified geometrically by the service.
 *
 * Persisted in one folder, beside the database:
 * - shortlist.bin: the main segment (keypoints and tables), rewritten only when the append segment
 *   is merged (every `mergeEvery` additions, or on a rebuild);
 * - shortlist-delta.bin: the fingerprints of captures added since (encoded FeatureSets), appended
 *   on every addition and replayed on load;
 * - shortlist.json: what the two hold (checked on load; a mismatch means "rebuild").
 * Every file is written to a temporary name and renamed.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppendSegment, DEFAULT_LSH_OPTIONS, KeypointStore, LshTables, type LshOptions, type LshTable } from './lsh.js';
import { decodeFeatureSet, encodeFeatureSet } from '../fingerprint/serialise.js';
import type { FeatureSet } from '../types.js';

export interface ShortlistOptions extends LshOptions {
  /** Merge the append segment into the main one (and rewrite shortlist.bin) after this many additions. */
  mergeEvery: number;
}

export const DEFAULT_SHORTLIST_OPTIONS: ShortlistOptions = { ...DEFAULT_LSH_OPTIONS, mergeEvery: 512 };

export interface ShortlistMeta {
  format: 3;
  /** Fingerprint version the descriptors were taken from. */
  fingerprintVersion: string;
  /** Number of live captures and the largest capture id: a cheap staleness check. */
  count: number;
  maxCaptureId: number;
  options: ShortlistOptions;
  /** Capture id per slot of the main segment (-1: replaced since). */
  mainSlots: number[];
  /** Keypoints in the main segment. */
  mainKeypoints: number;
  /** Capture ids in shortlist-delta.bin, in order (each takes the next slot). */
  deltaCaptureIds: number[];
  updatedAt: string;
}

export interface ShortlistHit {
  captureId: number;
  /** Pose-consistent descriptor collisions (0 for captures listed only to fill up to k). */
  votes: number;
  /** votes / probe keypoints (0..1). */
  similarity: number;
}

const MAGIC = 0x4c535050; // "PPSL"

export class ShortlistIndex {
  /** Capture id per slot (-1 = dead). */
  private slots: number[];
  private readonly slotOf = new Map<number, number>();
  private readonly dead = new Set<number>();
  /** Captures added since the main segment was last written. */
  private delta: Array<{ captureId: number; features: FeatureSet }> = [];
  private mainDirty: boolean;
  /** Delta records already in the delta file of `savedDir`. */
  private deltaSaved = 0;
  private savedDir: string | null = null;

  private constructor(
    private readonly lsh: LshTables,
    readonly meta: ShortlistMeta,
    slots: number[],
    mainDirty: boolean,
  ) {
    this.slots = slots;
    for (const [s, id] of slots.entries()) {
      if (id < 0) this.dead.add(s);
      else this.slotOf.set(id, s);
    }
    this.mainDirty = mainDirty;
  }

  /**
   * Indexes every entry's descriptors.
   *
   * @example
   *   const idx = ShortlistIndex.build(gallery.map((g) => ({ captureId: g.id, features: g.fs })), 'akaze/v1');
   *   const hits = idx.search(probeFeatures, 20);
   */
  static build(entries: Array<{ captureId: number; features: FeatureSet }>, fingerprintVersion: string, options: Partial<ShortlistOptions> = {}): ShortlistIndex {
    const o = { ...DEFAULT_SHORTLIST_OPTIONS, ...options };
    const lsh = new LshTables(o);
    // A capture listed twice keeps its last fingerprint.
    const last = new Map<number, number>();
    entries.forEach((e, i) => last.set(e.captureId, i));
    const kept = entries.filter((e, i) => last.get(e.captureId) === i);
    lsh.buildMain(kept.map((e) => e.features));
    const meta: ShortlistMeta = { format: 3, fingerprintVersion, count: kept.length, maxCaptureId: kept.reduce((m, e) => Math.max(m, e.captureId), 0), options: o, mainSlots: [], mainKeypoints: lsh.mainKeypoints, deltaCaptureIds: [], updatedAt: new Date().toISOString() };
    return new ShortlistIndex(lsh, meta, kept.map((e) => e.captureId), true);
  }

  /** An index with nothing in it. */
  static empty(fingerprintVersion: string, options: Partial<ShortlistOptions> = {}): ShortlistIndex {
    return ShortlistIndex.build([], fingerprintVersion, options);
  }

  /** Number of captures indexed. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Bytes of the in-memory index (tables, keypoints, append segment estimate). */
  get bytes(): number {
    return this.lsh.bytes;
  }

  /** Adds (or replaces) one capture; merges the append segment every `mergeEvery` additions. */
  add(captureId: number, features: FeatureSet): void {
    const old = this.slotOf.get(captureId);
    if (old !== undefined) {
      this.slots[old] = -1;
      this.dead.add(old);
    }
    const slot = this.slots.length;
    this.slots.push(captureId);
    this.slotOf.set(captureId, slot);
    this.lsh.append(slot, features);
    this.delta.push({ captureId, features });
    if (this.delta.length >= this.meta.options.mergeEvery) {
      this.lsh.merge();
      this.delta = [];
      this.mainDirty = true;
    }
    this.meta.count = this.slotOf.size;
    this.meta.maxCaptureId = Math.max(this.meta.maxCaptureId, captureId);
    this.meta.updatedAt = new Date().toISOString();
  }

  /** The `k` captures with the most pose-consistent descriptor collisions, best first; captures without a vote fill up to `k`. */
  search(features: FeatureSet, k: number): ShortlistHit[] {
    if (this.slotOf.size === 0 || features.sizes.length === 0 || k <= 0) return [];
    const n = Math.max(1, features.sizes.length);
    const voted = this.lsh.vote(features, this.slots.length, this.dead, Math.min(k, this.slotOf.size));
    const hits: ShortlistHit[] = voted.map((v) => ({ captureId: this.slots[v.slot], votes: v.votes, similarity: v.votes / n }));
    if (hits.length < k) {
      const seen = new Set(hits.map((h) => h.captureId));
      for (const id of this.slots) {
        if (hits.length >= k) break;
        if (id >= 0 && !seen.has(id)) hits.push({ captureId: id, votes: 0, similarity: 0 });
      }
    }
    return hits;
  }

  /**
   * Writes the index: the main segment only when it changed since the last save; the delta by
   * appending the additions since the last save (rewritten whole after a merge or into another
   * folder); the meta last. Main, full delta and meta go to a temporary name and are renamed; an
   * append that the meta does not list yet is ignored on load.
   */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tmp = `.tmp-${process.pid}`;
    const deltaFile = path.join(dir, 'shortlist-delta.bin');
    const rewriteDelta = this.mainDirty || this.savedDir !== dir || !existsSync(deltaFile);
    if (this.mainDirty) {
      await writeMain(path.join(dir, `shortlist.bin${tmp}`), this.lsh);
      await rename(path.join(dir, `shortlist.bin${tmp}`), path.join(dir, 'shortlist.bin'));
      this.mainDirty = false;
    }
    if (rewriteDelta) {
      await writeFile(deltaFile + tmp, Buffer.concat(this.delta.map(packDeltaRecord)));
      await rename(deltaFile + tmp, deltaFile);
    } else if (this.deltaSaved < this.delta.length) {
      await appendFile(deltaFile, Buffer.concat(this.delta.slice(this.deltaSaved).map(packDeltaRecord)));
    }
    this.deltaSaved = this.delta.length;
    this.savedDir = dir;
    this.meta.mainSlots = this.slots.slice(0, this.slots.length - this.delta.length);
    this.meta.mainKeypoints = this.lsh.mainKeypoints;
    this.meta.deltaCaptureIds = this.delta.map((d) => d.captureId);
    await writeFile(path.join(dir, `shortlist.json${tmp}`), `${JSON.stringify(this.meta)}\n`);
    await rename(path.join(dir, `shortlist.json${tmp}`), path.join(dir, 'shortlist.json'));
    // Files of earlier formats (usearch, bag of words).
    for (const f of ['descriptors.usearch', 'index.json', 'index.usearch', 'vocabulary.bin']) await rm(path.join(dir, f), { force: true });
  }

  /** Loads a saved index, or returns null when its files are missing, of another format or inconsistent. */
  static async load(dir: string): Promise<ShortlistIndex | null> {
    const [metaFile, mainFile, deltaFile] = ['shortlist.json', 'shortlist.bin', 'shortlist-delta.bin'].map((f) => path.join(dir, f));
    if (![metaFile, mainFile, deltaFile].every((f) => existsSync(f))) return null;
    try {
      const meta = JSON.parse(await readFile(metaFile, 'utf8')) as ShortlistMeta;
      if (meta.format !== 3) return null;
      // Scale hypotheses are a search-time setting: today's, not those of the index's writer.
      const options = { ...DEFAULT_SHORTLIST_OPTIONS, ...meta.options, scales: DEFAULT_SHORTLIST_OPTIONS.scales };
      const lsh = await readMain(mainFile, options);
      if (!lsh || lsh.kps.length !== meta.mainKeypoints) return null;
      const delta = unpackDelta(new Uint8Array(await readFile(deltaFile)), meta.deltaCaptureIds.length);
      if (delta.length !== meta.deltaCaptureIds.length || delta.some((d, i) => d.captureId !== meta.deltaCaptureIds[i])) return null;
      const index = new ShortlistIndex(lsh, { ...meta, options }, [...meta.mainSlots], false);
      const saveEvery = options.mergeEvery;
      // Replay the delta without merging (it was below mergeEvery when saved).
      index.meta.options = { ...options, mergeEvery: Number.MAX_SAFE_INTEGER };
      for (const d of delta) index.add(d.captureId, d.features);
      index.meta.options = { ...options, mergeEvery: saveEvery };
      index.deltaSaved = delta.length;
      index.savedDir = dir;
      return index.size === meta.count ? index : null;
    } catch {
      return null;
    }
  }
}

/** One delta record: capture id u32, length u32, encoded FeatureSet. */
function packDeltaRecord(d: { captureId: number; features: FeatureSet }): Buffer {
  const e = encodeFeatureSet(d.features);
  const out = Buffer.alloc(8 + e.length);
  out.writeUInt32LE(d.captureId, 0);
  out.writeUInt32LE(e.length, 4);
  out.set(e, 8);
  return out;
}

/** The first `count` records of a delta file (fewer when it is shorter). */
function unpackDelta(buf: Uint8Array, count: number): Array<{ captureId: number; features: FeatureSet }> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Array<{ captureId: number; features: FeatureSet }> = [];
  let o = 0;
  while (out.length < count && o + 8 <= buf.length) {
    const len = dv.getUint32(o + 4, true);
    if (o + 8 + len > buf.length) break;
    out.push({ captureId: dv.getUint32(o, true), features: decodeFeatureSet(buf.subarray(o + 8, o + 8 + len), 'shortlist delta') });
    o += 8 + len;
  }
  return out;
}

type Arr = Uint32Array | Int16Array | Uint16Array | Uint8Array;

/** shortlist.bin: magic, version, bits, tables, keypoints, then the arrays (each padded to 4 bytes). */
async function writeMain(file: string, lsh: LshTables): Promise<void> {
  const n = lsh.mainKeypoints;
  const kp = lsh.kps.head(n);
  const fh = await open(file, 'w');
  try {
    const head = new Uint32Array([MAGIC, 2, lsh.options.bits, lsh.tables.length, n]);
    const arrays: Arr[] = [head, kp.slot, kp.x, kp.y, kp.angle];
    for (const t of lsh.tables) arrays.push(new Uint32Array([t.dirBits]), t.offsets, t.lows, t.values);
    for (const a of arrays) {
      await fh.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const pad = (4 - (a.byteLength % 4)) % 4;
      if (pad) await fh.write(new Uint8Array(pad));
    }
  } finally {
    await fh.close();
  }
}

async function readMain(file: string, options: LshOptions): Promise<LshTables | null> {
  const fh = await open(file, 'r');
  try {
    let pos = 0;
    const read = async <T extends Arr>(a: T): Promise<T> => {
      const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      for (let off = 0; off < bytes.length; ) {
        const { bytesRead } = await fh.read(bytes, off, Math.min(bytes.length - off, 1 << 30), pos + off);
        if (bytesRead === 0) throw new Error(`${file}: truncated`);
        off += bytesRead;
      }
      pos += bytes.length + ((4 - (bytes.length % 4)) % 4);
      return a;
    };
    const head = await read(new Uint32Array(5));
    if (head[0] !== MAGIC || head[1] !== 2 || head[2] !== options.bits || head[3] !== options.tables) return null;
    const n = head[4];
    const kps = new KeypointStore(0, { slot: await read(new Uint32Array(n)), x: await read(new Int16Array(n)), y: await read(new Int16Array(n)), angle: await read(new Uint8Array(n)) });
    const tables: LshTable[] = [];
    for (let t = 0; t < options.tables; t++) {
      const [dirBits] = await read(new Uint32Array(1));
      if (!(dirBits <= options.bits)) return null;
      const offsets = await read(new Uint32Array((1 << dirBits) + 1));
      const lows = await read(new Uint16Array(dirBits < options.bits ? n : 0));
      const values = await read(new Uint32Array(n));
      if (offsets[offsets.length - 1] !== n) return null;
      tables.push({ dirBits, offsets, lows, values, extra: new AppendSegment() });
    }
    return new LshTables(options, kps, tables);
  } finally {
    await fh.close();
  }
}
