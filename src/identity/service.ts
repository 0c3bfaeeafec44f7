/**
 * Identity over the registry: register a capture with its fingerprint (one transaction, then the
 * shortlist index), verify a probe against a part (1:1), identify a probe among all parts (1:N),
 * keep fingerprints and the index current, calibrate the threshold. The stages live in
 * fingerprint/, verify/, shortlist/ and evaluate/; this file composes them.
 *
 * Decisions use the cohort-normalised score (verify/cohort.ts) by default: a probe is compared with
 * the claimed or best part AND with the other parts the shortlist finds most similar, and only the
 * inliers it does not share with them count.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { deriveSeed, IdentityError, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage, type GreyImage } from '../imaging/index.js';
import type { Capture, CaptureMeta, NewPart, Part, Registry } from '../registry/index.js';
import { calibrateScores, type Calibration } from './evaluate/calibrate.js';
import { syntheticRecapture } from './evaluate/synthetic-recapture.js';
import { extractNormalised, fingerprintNormalised, fingerprintVersion, type FingerprintResult, type PartialFingerprintOptions } from './fingerprint/fingerprint.js';
import { normaliseCapture, type NormalisedCapture } from './fingerprint/normalise.js';
import { decodeFeatureSet, encodeFeatureSet } from './fingerprint/serialise.js';
import { relitFingerprint } from './fingerprint/relight.js';
import { IDENTITY_PROFILES, resolveFingerprintFor, resolveProfile, type IdentityProfile } from './profiles.js';
import { loadIdentitySettings, readProfileNameSync, saveIdentitySettings, type IdentitySettings } from './settings.js';
import { ShortlistStore, type Shortlist } from './shortlist/store.js';
import type { ShortlistThread } from './shortlist/thread.js';
import { pairOptions, rankVerified, SMALL_COHORT, SMALL_COHORT_MIN_INLIERS, thinEvidence, verifyGallery, type Candidate, type GalleryEntry, type GalleryRanking, type RankProfile } from './rank.js';
import type { FeatureSet, QualityReport } from './types.js';
import type { MatchOptions } from './verify/match.js';
import type { VerifyResult } from './verify/verify.js';

export type { Candidate } from './rank.js';

export const FINGERPRINT_KIND = 'fingerprint';

/** Stored fingerprints read per query when verifying a shortlist (see galleryFor). */
const GALLERY_READ_SLICE = 20;

/** Stored fingerprints per query when an index thread rebuilds the shortlist (~40 KB each). */
const INDEX_READ_PAGE = 200;

/** Fingerprint settings of the default registry profile `parts` (see profiles.ts for why). */
export const REGISTRY_FINGERPRINT_OPTIONS: PartialFingerprintOptions = IDENTITY_PROFILES.parts.fingerprint;

/** Matching of the default registry profile `parts`. */
export const REGISTRY_MATCH_OPTIONS: Partial<MatchOptions> = IDENTITY_PROFILES.parts.match;

/**
 * Extraction for the probe's shortlist search only (the decision still uses the registry
 * fingerprint): a lower AKAZE threshold gives the probe about 2.7x the keypoints, so more of a
 * gallery capture's keypoints find their counterpart and the true part collects more votes.
 */
export const SHORTLIST_PROBE_EXTRACT = { akazeThreshold: 0.0002 };

/** The answers, used verbatim by the CLI's JSON, the API and the web UI. */
export type IdentifyDecision = 'identified' | 'not-registered' | 'rejected';
export type VerifyDecision = 'match' | 'no-match' | 'rejected';
export type Decision = IdentifyDecision | VerifyDecision;

export type RegisterOutcome =
  | { status: 'registered'; part: Part; capture: Capture; keypoints: number; quality: QualityReport; fingerprint: FingerprintResult & { features: FeatureSet } }
  | { status: 'rejected'; quality: QualityReport; fingerprint: FingerprintResult };

export type VerifyOutcome =
  | { status: 'match' | 'no-match'; serial: string; best: Candidate; result: VerifyResult; probe: FingerprintResult; gallery: { captureId: number; features: FeatureSet }; threshold: number; reason: string }
  | { status: 'rejected'; quality: QualityReport; probe: FingerprintResult };

export type IdentifyOutcome =
  | { status: 'identified' | 'not-registered'; candidates: Candidate[]; threshold: number; galleryCaptures: number; reason: string; probe: FingerprintResult; bestResult: VerifyResult | null; bestGallery: { captureId: number; features: FeatureSet } | null }
  | { status: 'rejected'; quality: QualityReport; probe: FingerprintResult };

export interface FingerprintFailure {
  captureId: number;
  serial: string;
  reason: string;
  message: string;
}

export interface IdentityServiceOptions {
  /** Profile name; default: the one in DATA/identity/settings.json, else `parts`. */
  profile?: string;
  /** Overrides the profile's fingerprint options. */
  fingerprint?: PartialFingerprintOptions;
  onProgress?: ProgressListener;
  /** Where the CPU-heavy stages run; default: this thread. The server passes worker threads. */
  compute?: IdentityCompute;
  /** Where the shortlist index lives; default: this thread. The server passes its index thread (shared by its services). */
  shortlistThread?: ShortlistThread;
}

type ImageInput = string | Uint8Array | GreyImage;

/**
 * The CPU-heavy stages, injectable so that a server can run them on worker threads and keep its
 * event loop free. `probe` must do what `IdentityService` does in this thread: decode (a path or
 * bytes), take the options of `resolveFingerprintFor(fingerprint, size, meta.pixelSizeUm)`,
 * normalise, gate and fingerprint, and, when the gate passes, the denser shortlist extraction
 * (SHORTLIST_PROBE_EXTRACT) of the same normalisation. `rank` must answer what `rankGallery`
 * (rank.ts) answers for the entries (stored fingerprints still encoded, to be decoded there).
 */
export interface IdentityCompute {
  probe(image: ImageInput, fingerprint: PartialFingerprintOptions, meta: CaptureMeta, name: string | undefined): Promise<{ fp: FingerprintResult; dense: FeatureSet | null }>;
  rank(probe: FeatureSet, entries: RankEntry[], settings: IdentitySettings, profile: RankProfile, options: RankOptions): Promise<GalleryRanking>;
  /** `relitFingerprint(normalised, turnDeg, fingerprint)` (fingerprint/relight.ts); optional. */
  relit?(normalised: NormalisedCapture, turnDeg: number, fingerprint: PartialFingerprintOptions): Promise<FeatureSet | null>;
  /** `syntheticRecapture(image, seed)` (calibration's probes of parts with one capture); optional. */
  recapture?(image: GreyImage, seed: number): Promise<GreyImage>;
}

/** A gallery capture for `IdentityCompute.rank`: its stored fingerprint as stored (`encoded`) or decoded. */
export type RankEntry = Omit<GalleryEntry, 'features'> & ({ encoded: Uint8Array; features?: undefined } | { features: FeatureSet; encoded?: undefined });

export interface RankOptions {
  /** Parts whose pair results the caller needs (besides the top candidate's). */
  resultsFor?: string[];
}

/** Which fingerprint of the probe answered: as captured (turn 0) or a relit view; and the views tried. */
interface ProbeView {
  view: FeatureSet;
  turnDeg: number;
  tried: number[];
}

/** A ranking with the verified pair of the parts asked for (result and the gallery fingerprint). */
interface Ranked {
  candidates: Candidate[];
  pair(serial: string): { captureId: number; features: FeatureSet; result: VerifyResult } | undefined;
}

function isGrey(image: ImageInput): image is GreyImage {
  return typeof image === 'object' && 'width' in image && 'data' in image;
}

async function toGrey(image: ImageInput, name?: string): Promise<GreyImage> {
  if (isGrey(image)) return image;
  return readGreyImage(image, { name });
}

/** Gallery captures to verify a probe against, in shortlist order. */
type Hits = Array<{ captureId: number; similarity: number | null }>;

/** A probe normalised and gated once; its denser shortlist extraction and relit views reuse the normalisation. */
interface Probe {
  fp: FingerprintResult;
  shortlistFeatures(): Promise<FeatureSet>;
  /** The probe's fingerprint relit by `turnDeg` (fingerprint/relight.ts); null when that view fails the gate. */
  relit(turnDeg: number): Promise<FeatureSet | null>;
}

export class IdentityService {
  readonly dir: string;
  readonly version: string;
  readonly profile: IdentityProfile;
  private readonly fpOptions: PartialFingerprintOptions;
  private readonly index: ShortlistStore;
  private readonly onProgress: ProgressListener;
  private readonly compute: IdentityCompute | undefined;

  constructor(readonly registry: Registry, options: IdentityServiceOptions = {}) {
    this.compute = options.compute;
    this.dir = path.join(registry.dataDir, 'identity');
    this.profile = resolveProfile(options.profile ?? readProfileNameSync(this.dir));
    this.fpOptions = options.fingerprint ?? this.profile.fingerprint;
    this.version = fingerprintVersion(this.fpOptions);
    this.onProgress = options.onProgress ?? noProgress;
    const refresh = () => this.refreshFingerprints();
    const version = this.version;
    const onProgress = this.onProgress;
    this.index = new ShortlistStore(this.dir, this.version, {
      stats: () => registry.features.stats(FINGERPRINT_KIND, this.version),
      entries: async () => {
        await this.refreshFingerprints();
        const rows = await registry.features.dataOf(FINGERPRINT_KIND, this.version);
        this.onProgress({ phase: 'index', done: 0, total: rows.length });
        const entries = rows.map((r) => ({ captureId: r.captureId, features: decodeFeatureSet(r.data, `fingerprint of capture ${r.captureId}`) }));
        this.onProgress({ phase: 'index', done: rows.length, total: rows.length });
        return entries;
      },
      encodedPages: async function* (this: void) {
        await refresh();
        const total = (await registry.features.stats(FINGERPRINT_KIND, version)).count;
        let after = 0, done = 0;
        for (;;) {
          onProgress({ phase: 'index', done, total });
          const rows = await registry.features.dataPage(FINGERPRINT_KIND, version, after, INDEX_READ_PAGE);
          if (rows.length === 0) break;
          done += rows.length;
          after = rows[rows.length - 1].captureId;
          yield rows.map((r) => ({ captureId: r.captureId, encoded: r.data }));
          await new Promise((r) => setImmediate(r));
        }
      },
    }, options.shortlistThread);
  }

  settings(): Promise<IdentitySettings> {
    return loadIdentitySettings(this.dir);
  }

  /** What of the profile the verification and decision use (rank.ts). */
  private get rankProfile(): RankProfile {
    return { match: this.profile.match, align: this.profile.align, steered: this.profile.steered };
  }

  /** The fingerprint options for a capture of this size and stated pixel size (profiles.ts picks the working resolution). */
  private optionsFor(image: GreyImage, meta: CaptureMeta): PartialFingerprintOptions {
    return resolveFingerprintFor(this.fpOptions, { width: image.width, height: image.height }, meta.pixelSizeUm ?? null);
  }

  private async probe(image: ImageInput, meta: CaptureMeta, name?: string): Promise<Probe> {
    const compute = this.compute;
    if (compute) {
      const { fp, dense } = await compute.probe(image, this.fpOptions, meta, name);
      const options = this.optionsFor(fp.normalised.image, meta);
      return {
        fp,
        shortlistFeatures: async () => dense ?? extractNormalised(fp.normalised, { ...options.extract, ...SHORTLIST_PROBE_EXTRACT }),
        relit: (turnDeg) => (compute.relit ? compute.relit(fp.normalised, turnDeg, options) : relitFingerprint(fp.normalised, turnDeg, options)),
      };
    }
    const grey = await toGrey(image, name);
    const options = this.optionsFor(grey, meta);
    const normalised = await normaliseCapture(grey, options.normalise);
    const fp = await fingerprintNormalised(normalised, options);
    let dense: Promise<FeatureSet> | null = null;
    return {
      fp,
      shortlistFeatures: () => (dense ??= extractNormalised(normalised, { ...options.extract, ...SHORTLIST_PROBE_EXTRACT })),
      relit: (turnDeg) => relitFingerprint(normalised, turnDeg, options),
    };
  }

  /** Fingerprints a capture image (no storage). */
  async fingerprint(image: ImageInput, meta: CaptureMeta = {}, name?: string): Promise<FingerprintResult> {
    return (await this.probe(image, meta, name)).fp;
  }

  /** The denser extraction a probe is searched with in the shortlist (SHORTLIST_PROBE_EXTRACT). */
  async shortlistProbe(image: ImageInput, meta: CaptureMeta = {}, name?: string): Promise<FeatureSet | null> {
    const p = await this.probe(image, meta, name);
    return p.fp.features ? p.shortlistFeatures() : null;
  }

  /**
   * Stores a capture of `serial` with its fingerprint in one transaction (creating the part first
   * when `newPart` is given, or when `createPart` is set and it is missing), then adds it to the
   * shortlist index. A capture that fails the quality gate is returned as rejected; nothing is
   * stored. The one registration path of the CLI, the server and line registration.
   *
   * @example
   *   const r = await new IdentityService(reg).register('A-0001', 'a1.png', {}, { createPart: true });
   */
  async register(
    serial: string,
    image: string | Uint8Array,
    meta: CaptureMeta = {},
    options: { createPart?: boolean; newPart?: NewPart; name?: string } = {},
  ): Promise<RegisterOutcome> {
    const bytes = typeof image === 'string' ? new Uint8Array(await readFile(image)) : image;
    const name = options.name ?? (typeof image === 'string' ? path.basename(image) : 'image');
    const fp = await this.fingerprint(bytes, meta, name);
    if (!fp.quality.ok || !fp.features) return { status: 'rejected', quality: fp.quality, fingerprint: fp };
    const features = fp.features;
    const stored = await this.index.addAfter(features, () =>
      this.registry.transaction(async (_trx, scope) => {
        if (options.newPart) await scope.parts.create(options.newPart);
        else if (!(await scope.parts.get(serial))) {
          if (!options.createPart) throw new IdentityError(`part "${serial}" is not in the registry (create it first, or pass --create-part)`, { code: 'NOT_FOUND' });
          await scope.parts.create({ serial });
        }
        const capture = await scope.captures.add(serial, typeof image === 'string' ? image : bytes, meta, { name });
        await scope.features.put({ captureId: capture.id, kind: FINGERPRINT_KIND, version: this.version, data: encodeFeatureSet(features), meta: { keypoints: features.sizes.length, quality: fp.quality.metrics } });
        return { captureId: capture.id, capture, part: (await scope.parts.get(serial))! };
      }),
    );
    return { status: 'registered', part: stored.part, capture: stored.capture, keypoints: features.sizes.length, quality: fp.quality, fingerprint: { ...fp, features } };
  }

  /**
   * Stored fingerprints of the given captures in `hits` order (stale ones re-extracted), still
   * encoded when `encoded` (a compute pool decodes them on its thread).
   */
  private async galleryFor(hits: Array<{ captureId: number; similarity: number | null }>, encoded: boolean): Promise<RankEntry[]> {
    // Read in slices, yielding between them: SQLite reads block the thread, and 100 fingerprints
    // are ~4 MB; a server's event loop answers other requests in between.
    const rows = new Map<number, Awaited<ReturnType<Registry['features']['forCaptures']>>[number]>();
    for (let i = 0; i < hits.length; i += GALLERY_READ_SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      for (const r of await this.registry.features.forCaptures(hits.slice(i, i + GALLERY_READ_SLICE).map((h) => h.captureId), FINGERPRINT_KIND)) rows.set(r.captureId, r);
    }
    const out: RankEntry[] = [];
    for (const h of hits) {
      const r = rows.get(h.captureId);
      if (!r) continue;
      const current = r.data && r.version === this.version ? r.data : null;
      const base = { serial: r.serial, captureId: r.captureId, similarity: h.similarity };
      if (current && encoded) out.push({ ...base, encoded: current });
      else {
        const features = current ? decodeFeatureSet(current, `fingerprint of capture ${r.captureId}`) : (await this.reextract(r.captureId)).features;
        if (features) out.push({ ...base, features });
      }
    }
    return out;
  }

  /** A stored capture's decoded image. */
  private async captureImage(captureId: number): Promise<{ capture: Capture; image: GreyImage }> {
    const capture = await this.registry.captures.get(captureId);
    if (!capture) throw new IdentityError(`capture ${captureId} does not exist`, { code: 'NOT_FOUND' });
    return { capture, image: await readGreyImage(await this.registry.captures.readImage(capture), { name: `capture ${captureId}` }) };
  }

  /** A stored capture's image, normalised as for fingerprinting (for evidence pictures). */
  async normalisedImage(captureId: number): Promise<GreyImage> {
    const { capture, image } = await this.captureImage(captureId);
    return (await normaliseCapture(image, this.optionsFor(image, capture).normalise)).image;
  }

  /** Re-extracts one capture's fingerprint from its stored image; features null (with the reason) when it cannot be fingerprinted. */
  private async reextract(captureId: number): Promise<{ features: FeatureSet | null; reason: string; message: string }> {
    let loaded;
    try {
      loaded = await this.captureImage(captureId);
    } catch (err) {
      return { features: null, reason: 'unreadable', message: (err as Error).message };
    }
    const fp = await this.fingerprint(loaded.image, loaded.capture);
    if (!fp.features || !fp.quality.ok) return { features: null, reason: fp.quality.reason ?? 'rejected', message: fp.quality.message };
    await this.registry.features.put({ captureId, kind: FINGERPRINT_KIND, version: this.version, data: encodeFeatureSet(fp.features), meta: { keypoints: fp.features.sizes.length, quality: fp.quality.metrics } });
    return { features: fp.features, reason: 'ok', message: 'ok' };
  }

  /**
   * Brings every capture's fingerprint to the current version (missing or stale ones are
   * re-extracted from the stored images, with progress). Returns the counts and, for each capture
   * that could not be fingerprinted, why.
   */
  async refreshFingerprints(): Promise<{ checked: number; extracted: number; rejected: number; failures: FingerprintFailure[] }> {
    const rows = await this.registry.features.versionsByCapture(FINGERPRINT_KIND);
    const stale = rows.filter((r) => r.version !== this.version);
    let extracted = 0;
    const failures: FingerprintFailure[] = [];
    for (const [i, r] of stale.entries()) {
      this.onProgress({ phase: 'fingerprint stored captures', done: i, total: stale.length, detail: `capture ${r.captureId}` });
      const out = await this.reextract(r.captureId);
      if (out.features) extracted++;
      else failures.push({ captureId: r.captureId, serial: r.serial, reason: out.reason, message: out.message });
    }
    if (stale.length > 0) this.onProgress({ phase: 'fingerprint stored captures', done: stale.length, total: stale.length });
    return { checked: rows.length, extracted, rejected: failures.length, failures };
  }

  /** The shortlist index, loaded from DATA/identity or rebuilt from the database when missing or stale; null when nothing is registered. */
  shortlistIndex(): Promise<Shortlist | null> {
    return this.index.current();
  }

  /** Rebuilds the shortlist index from every current fingerprint in the database. */
  rebuildShortlist(): Promise<Shortlist | null> {
    return this.index.rebuild();
  }

  /**
   * Verifies the probe against the hits (best capture per part) and ranks the parts by decision
   * score (rank.ts): on the compute pool's thread when there is one, else here. A capture listed
   * twice counts once per listing, as before.
   */
  private async rankHits(probe: FeatureSet, hits: Array<{ captureId: number; similarity: number | null }>, s: IdentitySettings, options: RankOptions = {}): Promise<Ranked> {
    const compute = this.compute;
    const entries = await this.galleryFor(hits, compute !== undefined);
    if (compute) {
      // (the entries' stored bytes may be moved to the compute thread: not used here after this)
      const r = await compute.rank(probe, entries, s, this.rankProfile, options);
      const pairs = new Map(r.results.map((x) => [x.serial, x]));
      return { candidates: r.candidates, pair: (serial) => pairs.get(serial) };
    }
    const verified = await verifyGallery(probe, entries as GalleryEntry[], pairOptions(s, this.profile.match));
    const r = await rankVerified(probe, verified, s, this.rankProfile, options);
    const bySerial = new Map(verified.map((v) => [v.serial, v]));
    return { candidates: r.candidates, pair: (serial) => bySerial.get(serial) };
  }

  /**
   * `rankHits` for a probe, with its relit views when its own fingerprint matches too little for a
   * pose (profile `relight`): each view is checked against the first `check` of its own hits, the
   * view with the most inliers with some candidate is ranked over all of them, and it answers when
   * it has more inliers than the probe as captured (one choice for every candidate, so no part is
   * favoured). `view` is the fingerprint that answered, `turnDeg` its relighting (0 = as captured).
   */
  private async rankProbe(
    probe: Probe,
    hits: Hits,
    s: IdentitySettings,
    options: RankOptions = {},
    viewHits: (view: FeatureSet) => Promise<Hits> = async () => hits,
  ): Promise<Ranked & ProbeView> {
    const own = probe.fp.features!;
    const tried: number[] = [];
    const best = { ...(await this.rankHits(own, hits, s, options)), view: own, turnDeg: 0, tried };
    const relight = this.profile.relight;
    const most = (r: Ranked) => Math.max(0, ...r.candidates.map((c) => c.inliers));
    const asCaptured = most(best);
    const unidentified = relight?.whenUnidentified === true && best.candidates[0]?.same !== true;
    if (!relight || hits.length === 0 || (asCaptured >= relight.below && !unidentified)) return best;
    let chosen: { view: FeatureSet; turnDeg: number; hits: Hits; inliers: number } | null = null;
    for (const turnDeg of relight.turnsDeg) {
      const view = await probe.relit(turnDeg);
      if (!view) continue;
      tried.push(turnDeg);
      const mine = await viewHits(view);
      const inliers = most(await this.rankHits(view, mine.slice(0, relight.check), s));
      if (inliers > (chosen?.inliers ?? asCaptured)) chosen = { view, turnDeg, hits: mine, inliers };
      if (inliers >= relight.enough) break;
    }
    return chosen ? { ...(await this.rankHits(chosen.view, chosen.hits, s, options)), view: chosen.view, turnDeg: chosen.turnDeg, tried } : best;
  }

  /** What the reason adds when a relit view of the probe answered. */
  private static viewNote({ turnDeg, tried }: ProbeView): string {
    if (turnDeg !== 0) return ` (probe relit by ${turnDeg} degrees: lit too differently from the registration to match as captured)`;
    return tried.length > 0 ? ` (views relit by ${tried.join(', ')} degrees tried: none matched better than the probe as captured)` : '';
  }

  private static reasonOf(c: Candidate, threshold: number, minInliers: number): string {
    const what = c.scoreKind === 'residual' ? `${c.inliers} inliers; fine-texture correlation with the cohort's mean texture removed, ${c.score.toFixed(3)} above the best of ${c.cohortSize} other parts (residual)` : c.scoreKind === 'individual' ? `${c.individualInliers} individual inliers of ${c.inliers} (cohort of ${c.cohortSize} other parts), score ${c.score.toFixed(4)} (individual)` : `${c.inliers} inliers, score ${c.score.toFixed(4)} (${c.scoreKind})`;
    if (c.same) return `${what} >= threshold ${threshold}`;
    if ((c.scoreKind === 'residual' ? c.inliers : c.individualInliers) < minInliers) return `${what}: fewer than ${minInliers} inliers`;
    if (c.scoreKind === 'residual' && thinEvidence(c.inliers, c.cohortSize)) return `${what}: with fewer than ${SMALL_COHORT} other parts to compare, ${SMALL_COHORT_MIN_INLIERS} inliers are needed to tell the part's own relief from its mould's (texture score not counted)`;
    return `${what} < threshold ${threshold}`;
  }

  /** Shortlist hits for a probe (every capture for small galleries). */
  private async shortlistHits(probe: Probe, index: Shortlist, k: number, exhaustive: boolean) {
    return index.search(exhaustive ? probe.fp.features! : await probe.shortlistFeatures(), k);
  }

  /**
   * 1:1: is the probe image the registered part `serial`? Compared with every capture of the part
   * and, for the cohort-normalised score, with the `cohortSize` most similar other parts.
   */
  async verify(serial: string, image: ImageInput, meta: CaptureMeta = {}): Promise<VerifyOutcome> {
    const part = await this.registry.parts.get(serial);
    if (!part) throw new IdentityError(`part "${serial}" is not registered`, { code: 'NOT_FOUND' });
    const own = (await this.registry.captures.listForPart(serial)).map((c) => c.id);
    const s = await this.settings();
    const probe = await this.probe(image, meta, typeof image === 'string' ? path.basename(image) : undefined);
    if (!probe.fp.quality.ok || !probe.fp.features) return { status: 'rejected', quality: probe.fp.quality, probe: probe.fp };
    const hits: Array<{ captureId: number; similarity: number | null }> = own.map((id) => ({ captureId: id, similarity: null }));
    if (s.scoreKind === 'individual' || s.scoreKind === 'residual') {
      const index = await this.shortlistIndex();
      if (index) {
        const ownSet = new Set(own);
        const exhaustive = index.size <= s.exhaustiveUpTo;
        for (const h of await this.shortlistHits(probe, index, s.cohortSize + own.length, exhaustive)) if (!ownSet.has(h.captureId)) hits.push(h);
      }
    }
    const ranked = await this.rankProbe(probe, hits, s, { resultsFor: [serial] });
    const mine = ranked.pair(serial);
    if (!mine) throw new IdentityError(`part "${serial}" has no capture with a usable fingerprint; register an image first`, { code: 'NOT_FOUND' });
    const best = ranked.candidates.find((c) => c.serial === serial)!;
    const reason = IdentityService.reasonOf(best, s.threshold, s.minInliers) + IdentityService.viewNote(ranked);
    const result = { ...mine.result, same: best.same, threshold: s.threshold, reason };
    return { status: best.same ? 'match' : 'no-match', serial, best, result, probe: { ...probe.fp, features: ranked.view }, gallery: { captureId: mine.captureId, features: mine.features }, threshold: s.threshold, reason };
  }

  /**
   * 1:N: which registered part is this? Shortlist from the index, geometric verification of each
   * candidate, cohort-normalised scores, ranked; `identified` when the best passes the threshold.
   */
  async identify(image: ImageInput, meta: CaptureMeta = {}, options: { shortlistSize?: number; excludeCaptures?: number[] } = {}): Promise<IdentifyOutcome> {
    const probe = await this.probe(image, meta, typeof image === 'string' ? path.basename(image) : undefined);
    if (!probe.fp.quality.ok || !probe.fp.features) return { status: 'rejected', quality: probe.fp.quality, probe: probe.fp };
    const s = await this.settings();
    const index = await this.shortlistIndex();
    if (!index) return { status: 'not-registered', candidates: [], threshold: s.threshold, galleryCaptures: 0, reason: 'the registry holds no fingerprints', probe: probe.fp, bestResult: null, bestGallery: null };
    const ranked = await this.rankAgainstIndex(probe, index, s, options);
    const top = ranked.candidates[0];
    const topPair = top ? ranked.pair(top.serial)! : undefined;
    const identified = top !== undefined && top.same;
    const reason = top ? `${identified ? top.serial : `no candidate passes: best ${top.serial}`}: ${IdentityService.reasonOf(top, s.threshold, s.minInliers)}${IdentityService.viewNote(ranked)}` : 'no candidate from the shortlist';
    const bestResult = topPair && top ? { ...topPair.result, same: top.same, threshold: s.threshold, reason } : null;
    return { status: identified ? 'identified' : 'not-registered', candidates: ranked.candidates, threshold: s.threshold, galleryCaptures: index.size, reason, probe: { ...probe.fp, features: ranked.view }, bestResult, bestGallery: topPair ? { captureId: topPair.captureId, features: topPair.features } : null };
  }

  private async rankAgainstIndex(probe: Probe, index: Shortlist, s: IdentitySettings, options: { shortlistSize?: number; excludeCaptures?: number[] }): Promise<Ranked & ProbeView> {
    const exhaustive = index.size <= s.exhaustiveUpTo;
    const exclude = new Set(options.excludeCaptures ?? []);
    const k = exhaustive ? index.size : (options.shortlistSize ?? s.shortlistSize) + exclude.size;
    const hits = (await this.shortlistHits(probe, index, k, exhaustive)).filter((h) => !exclude.has(h.captureId));
    // A relit view searches the shortlist itself: the probe as captured matched too little to find its part there.
    const viewHits = async (view: FeatureSet) => (await index.search(view, k)).filter((h) => !exclude.has(h.captureId));
    return this.rankProbe(probe, hits, s, {}, viewHits);
  }

  /**
   * Calibrates the threshold on the decision score as 1:N is used: for up to `maxProbes` registered
   * parts, a probe (another real capture of the part when it has one, else a synthetic recapture of
   * its registered image) is identified twice: with the part in the gallery (genuine: its own
   * score) and with the part's captures left out of the shortlist (impostor: the best score of
   * another part, i.e. the part as an unregistered look-alike of its cohort, relit views and all).
   * `lookalikes` (image files of parts that are not registered) add impostor scores. Works for a
   * registry with one capture per part.
   */
  async calibrateFromRegistry(
    targetFmr: number,
    options: { maxProbes?: number; lookalikes?: string[]; apply?: boolean; seed?: number } = {},
  ): Promise<{ calibration: Calibration; genuine: number[]; impostor: number[]; probes: { real: number; synthetic: number; lookalikes: number } }> {
    const rows = await this.registry.features.versionsByCapture(FINGERPRINT_KIND);
    const bySerial = new Map<string, number[]>();
    for (const r of rows) bySerial.set(r.serial, [...(bySerial.get(r.serial) ?? []), r.captureId]);
    const serials = [...bySerial.keys()];
    if (serials.length < 2) throw new IdentityError(`calibration needs at least 2 registered parts; the registry has ${serials.length}`, { code: 'BAD_INPUT' });
    const s = { ...(await this.settings()), exhaustiveUpTo: 0 };
    const index = await this.shortlistIndex();
    if (!index) throw new IdentityError('calibration needs registered fingerprints; none are usable', { code: 'BAD_INPUT' });
    const seed = options.seed ?? 1;
    const max = options.maxProbes ?? 300;
    const step = Math.max(1, serials.length / max);
    const picked = Array.from({ length: Math.min(max, serials.length) }, (_, i) => serials[Math.floor(i * step)]);
    const genuine: number[] = [], impostor: number[] = [];
    const probes = { real: 0, synthetic: 0, lookalikes: 0 };
    const todo = picked.length + (options.lookalikes?.length ?? 0);
    for (const [i, serial] of picked.entries()) {
      this.onProgress({ phase: 'calibrate', done: i, total: todo, detail: serial });
      const ids = bySerial.get(serial)!;
      let probeImage: GreyImage, probeMeta: CaptureMeta, exclude: number[];
      if (ids.length >= 2) {
        const { capture, image } = await this.captureImage(ids[ids.length - 1]);
        probeImage = image;
        probeMeta = capture;
        exclude = [capture.id];
        probes.real++;
      } else {
        const { capture, image } = await this.captureImage(ids[0]);
        probeImage = this.compute?.recapture ? await this.compute.recapture(image, deriveSeed(seed, serial)) : await syntheticRecapture(image, deriveSeed(seed, serial));
        probeMeta = capture;
        exclude = [];
        probes.synthetic++;
      }
      const probe = await this.probe(probeImage, probeMeta);
      if (!probe.fp.features || !probe.fp.quality.ok) continue;
      const k = s.shortlistSize + exclude.length + 1;
      const hits = (await this.shortlistHits(probe, index, k, false)).filter((h) => !exclude.includes(h.captureId));
      const viewHits = async (view: FeatureSet) => (await index.search(view, k)).filter((h) => !exclude.includes(h.captureId));
      const ranked = await this.rankProbe(probe, hits, s, {}, viewHits);
      genuine.push(ranked.candidates.find((c) => c.serial === serial)?.score ?? 0);
      // The impostor: the same probe identified as if its part were not registered, by the same
      // path as a real look-alike (relit views included when nothing is identified), not the
      // ranking above less the part (whose views were chosen with the part present).
      const own = new Set(ids);
      const others = (h: Hits) => h.filter((x) => !own.has(x.captureId));
      const without = await this.rankProbe(probe, others(hits), s, {}, async (view) => others(await viewHits(view)));
      impostor.push(without.candidates[0]?.score ?? 0);
    }
    for (const [j, file] of (options.lookalikes ?? []).entries()) {
      this.onProgress({ phase: 'calibrate', done: picked.length + j, total: todo, detail: path.basename(file) });
      const probe = await this.probe(file, {}, path.basename(file));
      if (!probe.fp.features || !probe.fp.quality.ok) continue;
      const ranked = await this.rankAgainstIndex(probe, index, s, {});
      impostor.push(ranked.candidates[0]?.score ?? 0);
      probes.lookalikes++;
    }
    this.onProgress({ phase: 'calibrate', done: todo, total: todo });
    if (genuine.length === 0) throw new IdentityError('calibration: no probe passed the quality gate', { code: 'BAD_INPUT' });
    const calibration = calibrateScores(genuine, impostor, targetFmr);
    if (options.apply !== false) await this.applyCalibration(calibration, `registry (${probes.real} real, ${probes.synthetic} synthetic recaptures, ${probes.lookalikes} look-alikes)`);
    return { calibration, genuine, impostor, probes };
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
