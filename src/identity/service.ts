/**
 * Identity over the registry: register a capture with its fingerprint (one transaction), verify a
 * probe against a part, identify a probe among all parts (shortlist + geometric verification),
 * keep fingerprints and the shortlist index current, calibrate the threshold.
 */
import path from 'node:path';
import { IdentityError, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage, type GreyImage } from '../imaging/index.js';
import type { Capture, CaptureMeta, Registry } from '../registry/index.js';
import { calibrateScores, type Calibration } from './evaluate/calibrate.js';
import { fingerprintImage, fingerprintVersion, type FingerprintResult, type PartialFingerprintOptions } from './fingerprint/fingerprint.js';
import { verifyPair, type VerifyResult } from './verify/verify.js';
import { normaliseCapture } from './fingerprint/normalise.js';
import { decodeFeatureSet, encodeFeatureSet } from './fingerprint/serialise.js';
import type { MatchOptions } from './verify/match.js';
import { IDENTITY_PROFILES, resolveProfile, type IdentityProfile } from './profiles.js';
import { loadIdentitySettings, readProfileNameSync, saveIdentitySettings, type IdentitySettings } from './settings.js';
import { ShortlistIndex } from './shortlist/shortlist.js';
import type { FeatureSet, QualityReport } from './types.js';

export const FINGERPRINT_KIND = 'fingerprint';

/** Fingerprint settings of the default registry profile `parts` (see profiles.ts for why). */
export const REGISTRY_FINGERPRINT_OPTIONS: PartialFingerprintOptions = IDENTITY_PROFILES.parts.fingerprint;

/** Matching of the default registry profile `parts`: ratio 0.9, the value the synthetic-parts benchmark was measured with. */
export const REGISTRY_MATCH_OPTIONS: Partial<MatchOptions> = IDENTITY_PROFILES.parts.match;

/**
 * Extraction for the probe's shortlist search only (the decision still uses the registry
 * fingerprint): a lower AKAZE threshold gives the probe about 2.7x the keypoints (about 780 against
 * 290 on the synthetic parts), so more of a gallery capture's keypoints find their counterpart and
 * the true part collects more votes (true part in the top 50 among 200 parts of one machine: 95.3%
 * with the registry extraction, 98.7% with this; bench/identity-synth.md).
 */
export const SHORTLIST_PROBE_EXTRACT = { akazeThreshold: 0.0002 };

export type RegisterOutcome =
  | { status: 'registered'; capture: Capture; keypoints: number; quality: QualityReport }
  | { status: 'rejected'; quality: QualityReport };

export interface Candidate {
  serial: string;
  captureId: number;
  /** Decision score (`scoreKind`), S = n_inlier / N_total by default. */
  score: number;
  scoreKind: string;
  inliers: number;
  /** Shortlist similarity: pose-consistent descriptor collisions per probe keypoint (ShortlistHit). */
  shortlistSimilarity: number | null;
  same: boolean;
}

export type VerifyOutcome =
  | { status: 'same' | 'different'; serial: string; best: Candidate; result: VerifyResult; probe: FingerprintResult; gallery: { captureId: number; features: FeatureSet }; threshold: number; reason: string }
  | { status: 'rejected'; quality: QualityReport };

export type IdentifyOutcome =
  | { status: 'identified' | 'not-registered'; candidates: Candidate[]; threshold: number; galleryCaptures: number; reason: string; probe: FingerprintResult; bestResult: VerifyResult | null; bestGallery: { captureId: number; features: FeatureSet } | null }
  | { status: 'rejected'; quality: QualityReport };

export interface IdentityServiceOptions {
  /** Profile name; default: the one in DATA/identity/settings.json, else `parts`. */
  profile?: string;
  /** Overrides the profile's fingerprint options. */
  fingerprint?: PartialFingerprintOptions;
  onProgress?: ProgressListener;
}

async function toGrey(image: string | Uint8Array | GreyImage, name?: string): Promise<GreyImage> {
  if (typeof image === 'object' && 'width' in image && 'data' in image) return image;
  return readGreyImage(image, { name });
}

export class IdentityService {
  readonly dir: string;
  readonly version: string;
  readonly profile: IdentityProfile;
  private readonly fpOptions: PartialFingerprintOptions;
  private shortlist: ShortlistIndex | null = null;
  private readonly onProgress: ProgressListener;

  constructor(readonly registry: Registry, options: IdentityServiceOptions = {}) {
    this.dir = path.join(registry.dataDir, 'identity');
    this.profile = resolveProfile(options.profile ?? readProfileNameSync(this.dir));
    this.fpOptions = options.fingerprint ?? this.profile.fingerprint;
    this.version = fingerprintVersion(this.fpOptions);
    this.onProgress = options.onProgress ?? noProgress;
  }

  settings(): Promise<IdentitySettings> {
    return loadIdentitySettings(this.dir);
  }

  /** Fingerprints a capture image (no storage). */
  async fingerprint(image: string | Uint8Array | GreyImage, meta: CaptureMeta = {}, name?: string): Promise<FingerprintResult> {
    const grey = await toGrey(image, name);
    return fingerprintImage(grey, { ...this.fpOptions, normalise: { ...this.fpOptions.normalise, pixelSizeUm: meta.pixelSizeUm ?? null } });
  }

  /** The denser extraction a probe is searched with in the shortlist (SHORTLIST_PROBE_EXTRACT). */
  async shortlistProbe(image: string | Uint8Array | GreyImage, meta: CaptureMeta = {}, name?: string): Promise<FeatureSet | null> {
    const grey = await toGrey(image, name);
    const fp = await fingerprintImage(grey, { ...this.fpOptions, normalise: { ...this.fpOptions.normalise, pixelSizeUm: meta.pixelSizeUm ?? null }, extract: { ...this.fpOptions.extract, ...SHORTLIST_PROBE_EXTRACT } });
    return fp.features;
  }

  /**
   * Stores a new capture of `serial` with its fingerprint in one transaction, then adds it to the
   * shortlist index. A capture that fails the quality gate is returned as rejected; nothing is stored.
   *
   * @example
   *   const r = await new IdentityService(reg).register('A-0001', 'a1.png', {}, { createPart: true });
   */
  async register(serial: string, image: string | Uint8Array, meta: CaptureMeta = {}, options: { createPart?: boolean; name?: string } = {}): Promise<RegisterOutcome> {
    const bytes = typeof image === 'string' ? new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(image))) : image;
    const name = options.name ?? (typeof image === 'string' ? path.basename(image) : 'image');
    const fp = await this.fingerprint(bytes, meta, name);
    if (!fp.quality.ok || !fp.features) return { status: 'rejected', quality: fp.quality };
    const features = fp.features;
    const index = await this.shortlistIndex();
    const capture = await this.registry.transaction(async (_trx, scope) => {
      if (!(await scope.parts.get(serial))) {
        if (!options.createPart) throw new IdentityError(`part "${serial}" is not in the registry (create it first, or pass --create-part)`, { code: 'NOT_FOUND' });
        await scope.parts.create({ serial });
      }
      const cap = await scope.captures.add(serial, bytes, meta, { name });
      await scope.features.put({ captureId: cap.id, kind: FINGERPRINT_KIND, version: this.version, data: encodeFeatureSet(features), meta: { keypoints: features.sizes.length, quality: fp.quality.metrics } });
      return cap;
    });
    // Add to the index (a full rebuild when there is none yet).
    if (index) {
      index.add(capture.id, features);
      await index.save(this.dir);
    } else await this.rebuildShortlist();
    return { status: 'registered', capture, keypoints: features.sizes.length, quality: fp.quality };
  }

  /** Fingerprints of current version for the given captures (re-extracting stale ones). */
  private async galleryFor(captureIds: number[]): Promise<Map<number, { serial: string; features: FeatureSet }>> {
    const out = new Map<number, { serial: string; features: FeatureSet }>();
    if (captureIds.length === 0) return out;
    const rows = await this.registry.db
      .selectFrom('captures')
      .innerJoin('parts', 'parts.id', 'captures.part_id')
      .leftJoin('capture_features', (j) => j.onRef('capture_features.capture_id', '=', 'captures.id').on('capture_features.kind', '=', FINGERPRINT_KIND))
      .select(['captures.id as id', 'parts.serial as serial', 'capture_features.version as version', 'capture_features.data as data'])
      .where('captures.id', 'in', captureIds)
      .execute();
    for (const r of rows) {
      let features: FeatureSet | null;
      if (r.data && r.version === this.version) {
        const d = r.data as Uint8Array;
        features = decodeFeatureSet(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), `fingerprint of capture ${r.id}`);
      } else features = await this.reextract(r.id);
      if (features) out.set(r.id, { serial: r.serial, features });
    }
    return out;
  }

  /** A stored capture's image, normalised as for fingerprinting (for evidence pictures). */
  async normalisedImage(captureId: number): Promise<GreyImage> {
    const cap = await this.registry.captures.get(captureId);
    if (!cap) throw new IdentityError(`capture ${captureId} does not exist`, { code: 'NOT_FOUND' });
    const grey = await readGreyImage(await this.registry.captures.readImage(cap), { name: `capture ${captureId}` });
    const n = await normaliseCapture(grey, { ...this.fpOptions.normalise, pixelSizeUm: cap.pixelSizeUm ?? null });
    return n.image;
  }

  /** Re-extracts one capture's fingerprint from its stored image; null when the image fails the quality gate. */
  private async reextract(captureId: number): Promise<FeatureSet | null> {
    const cap = await this.registry.captures.get(captureId);
    if (!cap) return null;
    const fp = await this.fingerprint(await this.registry.captures.readImage(cap), cap, `capture ${captureId}`);
    if (!fp.features || !fp.quality.ok) return null;
    await this.registry.features.put({ captureId, kind: FINGERPRINT_KIND, version: this.version, data: encodeFeatureSet(fp.features), meta: { keypoints: fp.features.sizes.length, quality: fp.quality.metrics } });
    return fp.features;
  }

  /**
   * Brings every capture's fingerprint to the current version (missing or stale ones are
   * re-extracted from the stored images). Returns how many were (re)made and how many failed the gate.
   */
  async refreshFingerprints(): Promise<{ checked: number; extracted: number; rejected: number }> {
    const rows = await this.registry.db
      .selectFrom('captures')
      .leftJoin('capture_features', (j) => j.onRef('capture_features.capture_id', '=', 'captures.id').on('capture_features.kind', '=', FINGERPRINT_KIND))
      .select(['captures.id as id', 'capture_features.version as version'])
      .orderBy('captures.id')
      .execute();
    const stale = rows.filter((r) => r.version !== this.version);
    let extracted = 0, rejected = 0;
    for (const [i, r] of stale.entries()) {
      this.onProgress({ phase: 'fingerprint', done: i, total: stale.length });
      if (await this.reextract(r.id)) extracted++;
      else rejected++;
    }
    if (stale.length > 0) this.onProgress({ phase: 'fingerprint', done: stale.length, total: stale.length });
    return { checked: rows.length, extracted, rejected };
  }

  /** Count and largest capture id of current-version fingerprints in the database. */
  private async fingerprintStats(): Promise<{ count: number; maxId: number }> {
    const r = await this.registry.db
      .selectFrom('capture_features')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('capture_id').as('m')])
      .where('kind', '=', FINGERPRINT_KIND)
      .where('version', '=', this.version)
      .executeTakeFirst();
    return { count: Number(r?.n ?? 0), maxId: Number(r?.m ?? 0) };
  }

  /** The shortlist index, loaded from DATA/identity or rebuilt from the database when missing or stale; null when nothing is registered. */
  async shortlistIndex(): Promise<ShortlistIndex | null> {
    const stats = await this.fingerprintStats();
    const fresh = (s: ShortlistIndex | null) => s !== null && s.meta.fingerprintVersion === this.version && s.meta.count === stats.count && s.meta.maxCaptureId === stats.maxId;
    if (fresh(this.shortlist)) return this.shortlist;
    this.shortlist = await ShortlistIndex.load(this.dir);
    if (fresh(this.shortlist)) return this.shortlist;
    return this.rebuildShortlist();
  }

  /** Rebuilds the shortlist index from every current fingerprint in the database. */
  async rebuildShortlist(): Promise<ShortlistIndex | null> {
    await this.refreshFingerprints();
    const rows = await this.registry.db
      .selectFrom('capture_features')
      .select(['capture_id', 'data'])
      .where('kind', '=', FINGERPRINT_KIND)
      .where('version', '=', this.version)
      .orderBy('capture_id')
      .execute();
    if (rows.length === 0) {
      this.shortlist = null;
      return null;
    }
    this.onProgress({ phase: 'index', done: 0, total: rows.length });
    const entries = rows.map((r) => {
      const d = r.data as Uint8Array;
      return { captureId: r.capture_id, features: decodeFeatureSet(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) };
    });
    const index = ShortlistIndex.build(entries, this.version);
    this.onProgress({ phase: 'index', done: rows.length, total: rows.length });
    await index.save(this.dir);
    this.shortlist = index;
    return index;
  }

  private candidate(serial: string, captureId: number, r: VerifyResult, similarity: number | null): Candidate {
    return { serial, captureId, score: r.score.value, scoreKind: r.score.kind, inliers: r.geometry.inliers, shortlistSimilarity: similarity, same: r.same };
  }

  /**
   * 1:1: is the probe image the registered part `serial`? Compared with every capture of the part;
   * the best score decides.
   */
  async verify(serial: string, image: string | Uint8Array | GreyImage, meta: CaptureMeta = {}): Promise<VerifyOutcome> {
    const part = await this.registry.parts.get(serial);
    if (!part) throw new IdentityError(`part "${serial}" is not registered`, { code: 'NOT_FOUND' });
    const captures = await this.registry.captures.listForPart(serial);
    const gallery = await this.galleryFor(captures.map((c) => c.id));
    if (gallery.size === 0) throw new IdentityError(`part "${serial}" has no capture with a usable fingerprint; register an image first`, { code: 'NOT_FOUND' });
    const probe = await this.fingerprint(image, meta, typeof image === 'string' ? path.basename(image) : undefined);
    if (!probe.quality.ok || !probe.features) return { status: 'rejected', quality: probe.quality };
    const s = await this.settings();
    let best: { id: number; features: FeatureSet; r: VerifyResult } | null = null;
    for (const [id, g] of gallery) {
      const r = await verifyPair(probe.features, g.features, { threshold: s.threshold, scoreKind: s.scoreKind, minInliers: s.minInliers, match: this.profile.match });
      if (!best || r.score.value > best.r.score.value) best = { id, features: g.features, r };
    }
    const b = best!;
    return { status: b.r.same ? 'same' : 'different', serial, best: this.candidate(serial, b.id, b.r, null), result: b.r, probe, gallery: { captureId: b.id, features: b.features }, threshold: s.threshold, reason: b.r.reason };
  }

  /**
   * 1:N: which registered part is this? Shortlist from the index, geometric verification of each
   * candidate, ranked by score; `identified` when the best passes the threshold.
   */
  async identify(image: string | Uint8Array | GreyImage, meta: CaptureMeta = {}, options: { shortlistSize?: number } = {}): Promise<IdentifyOutcome> {
    const grey = await toGrey(image, typeof image === 'string' ? path.basename(image) : undefined);
    const probe = await this.fingerprint(grey, meta);
    if (!probe.quality.ok || !probe.features) return { status: 'rejected', quality: probe.quality };
    const s = await this.settings();
    const index = await this.shortlistIndex();
    if (!index) return { status: 'not-registered', candidates: [], threshold: s.threshold, galleryCaptures: 0, reason: 'the registry holds no fingerprints', probe, bestResult: null, bestGallery: null };
    const exhaustive = index.size <= s.exhaustiveUpTo;
    const k = exhaustive ? index.size : (options.shortlistSize ?? s.shortlistSize);
    const hits = index.search(exhaustive ? probe.features : ((await this.shortlistProbe(grey, meta)) ?? probe.features), k);
    const gallery = await this.galleryFor(hits.map((h) => h.captureId));
    const scored: Array<{ c: Candidate; r: VerifyResult; g: { captureId: number; features: FeatureSet } }> = [];
    for (const h of hits) {
      const g = gallery.get(h.captureId);
      if (!g) continue;
      const r = await verifyPair(probe.features, g.features, { threshold: s.threshold, scoreKind: s.scoreKind, minInliers: s.minInliers, match: this.profile.match });
      scored.push({ c: this.candidate(g.serial, h.captureId, r, h.similarity), r, g: { captureId: h.captureId, features: g.features } });
    }
    scored.sort((x, y) => y.c.score - x.c.score);
    // One row per part: its best capture.
    const seen = new Set<string>();
    const ranked = scored.filter((x) => (seen.has(x.c.serial) ? false : (seen.add(x.c.serial), true)));
    const top = ranked[0];
    const identified = top !== undefined && top.c.same;
    const reason = identified
      ? `${top.c.serial}: ${top.r.reason}`
      : top
        ? `no candidate passes: best ${top.c.serial} ${top.r.reason}`
        : 'no candidate from the shortlist';
    return { status: identified ? 'identified' : 'not-registered', candidates: ranked.map((x) => x.c), threshold: s.threshold, galleryCaptures: index.size, reason, probe, bestResult: top?.r ?? null, bestGallery: top?.g ?? null };
  }

  /**
   * Calibrates the threshold from registered parts with two or more captures: every pair of
   * captures of one part is genuine, pairs across parts impostor (sampled to `maxImpostors`).
   */
  async calibrateFromRegistry(targetFmr: number, options: { maxImpostors?: number; apply?: boolean } = {}): Promise<{ calibration: Calibration; genuine: number[]; impostor: number[] }> {
    const rows = await this.registry.db.selectFrom('captures').innerJoin('parts', 'parts.id', 'captures.part_id').select(['captures.id as id', 'parts.serial as serial']).orderBy('captures.id').execute();
    const bySerial = new Map<string, number[]>();
    for (const r of rows) bySerial.set(r.serial, [...(bySerial.get(r.serial) ?? []), r.id]);
    const multi = [...bySerial.entries()].filter(([, ids]) => ids.length >= 2);
    if (multi.length < 2) throw new IdentityError(`calibration needs at least 2 parts with 2 or more captures; the registry has ${multi.length}`, { code: 'BAD_INPUT' });
    const ids = multi.flatMap(([, v]) => v);
    const gallery = await this.galleryFor(ids);
    const items = ids.filter((id) => gallery.has(id)).map((id) => ({ id, ...gallery.get(id)! }));
    const s = await this.settings();
    const result = await scoreLabelled(items.map((i) => ({ label: i.serial, features: i.features })), { scoreKind: s.scoreKind, match: this.profile.match, maxImpostors: options.maxImpostors ?? 20_000, onProgress: this.onProgress });
    const calibration = calibrateScores(result.genuine, result.impostor, targetFmr);
    if (options.apply !== false) await this.applyCalibration(calibration, 'registry');
    return { calibration, ...result };
  }

  async applyCalibration(c: Calibration, source: string): Promise<IdentitySettings> {
    const s = await this.settings();
    const next: IdentitySettings = {
      ...s,
      threshold: c.threshold,
      calibration: {
        at: new Date().toISOString(),
        source,
        targetFmr: c.targetFmr,
        eer: c.eer,
        genuine: c.genuineCount,
        impostor: c.impostorCount,
        fnmrAt: Object.fromEntries(c.operatingPoints.map((p) => [String(p.targetFmr), p.fnmr])),
      },
    };
    await saveIdentitySettings(this.dir, next);
    return next;
  }
}

/**
 * Genuine and impostor scores over labelled fingerprints: all same-label pairs, and different-label
 * pairs (all, or an evenly spaced subset of `maxImpostors`).
 */
export async function scoreLabelled(
  items: Array<{ label: string; features: FeatureSet }>,
  options: { scoreKind?: IdentitySettings['scoreKind']; match?: Partial<MatchOptions>; maxImpostors?: number; onProgress?: ProgressListener } = {},
): Promise<{ genuine: number[]; impostor: number[] }> {
  const pairs: Array<[number, number, boolean]> = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) pairs.push([i, j, items[i].label === items[j].label]);
  const gen = pairs.filter((p) => p[2]);
  let imp = pairs.filter((p) => !p[2]);
  const max = options.maxImpostors ?? Infinity;
  if (imp.length > max) {
    const step = imp.length / max;
    imp = Array.from({ length: max }, (_, k) => imp[Math.floor(k * step)]);
  }
  const todo = [...gen, ...imp];
  const genuine: number[] = [], impostor: number[] = [];
  const progress = options.onProgress ?? noProgress;
  for (const [k, [i, j, same]] of todo.entries()) {
    if (k % 50 === 0) progress({ phase: 'score pairs', done: k, total: todo.length });
    const r = await verifyPair(items[i].features, items[j].features, { scoreKind: options.scoreKind ?? 'inlier-ratio', match: options.match ?? REGISTRY_MATCH_OPTIONS });
    (same ? genuine : impostor).push(r.score.value);
  }
  progress({ phase: 'score pairs', done: todo.length, total: todo.length });
  return { genuine, impostor };
}
