/**
 * Worker-thread side of the server's compute pool (./pool.ts): the CPU-heavy identity stages, so
 * the event loop only routes requests. Each task is a plain record in and out (structured clone).
 */
import { lowerThreadPriority } from '../../core/index.js';
import { readGreyImage, type GreyImage } from '../../imaging/index.js';
import {
  decodeFeatureSet,
  extractNormalised,
  fingerprintNormalised,
  normaliseCapture,
  rankGallery,
  relitFingerprint,
  resolveFingerprintFor,
  SHORTLIST_PROBE_EXTRACT,
  syntheticRecapture,
  type FeatureSet,
  type FingerprintResult,
  type GalleryRanking,
  type IdentitySettings,
  type NormalisedCapture,
  type PartialFingerprintOptions,
  type RankEntry,
  type RankProfile,
  type RankOptions,
} from '../../identity/index.js';
import type { CaptureMeta } from '../../registry/index.js';
import { loadSourceModel, predictSource, type SourceModel, type SourcePrediction } from '../../source/index.js';

// Below the event loop: under load, requests that need little CPU are answered first (pool.ts).
lowerThreadPriority(Number(process.env.PARTPRINT_COMPUTE_NICE ?? 5));

export type ComputeTask =
  | { kind: 'probe'; image: string | Uint8Array | GreyImage; fingerprint: PartialFingerprintOptions; meta: CaptureMeta; name: string | undefined; maxPixels: number }
  | { kind: 'rank'; probe: FeatureSet; entries: RankEntry[]; settings: IdentitySettings; profile: RankProfile; options: RankOptions }
  | { kind: 'recapture'; image: GreyImage; seed: number }
  | { kind: 'relit'; normalised: NormalisedCapture; turnDeg: number; fingerprint: PartialFingerprintOptions }
  | { kind: 'source'; modelDir: string; modelKey: string; imageFile: string; name: string; k: number; seed: number; maxPixels: number };

export type ComputeAnswer = { fp: FingerprintResult; dense: FeatureSet | null } | { view: FeatureSet | null } | GalleryRanking | SourcePrediction | GreyImage | { error: { message: string; code: string } };

/** Source models loaded on this thread (an onnxruntime session each), by name and folder. */
const sessions = new Map<string, Promise<SourceModel>>();

/** Decode, ROI sampling and inference of a source prediction (what SourceRepository.predict does in-process). */
async function source(t: Extract<ComputeTask, { kind: 'source' }>): Promise<SourcePrediction> {
  let session = sessions.get(t.modelKey);
  if (!session) {
    session = loadSourceModel(t.modelDir);
    sessions.set(t.modelKey, session);
    session.catch(() => sessions.delete(t.modelKey));
  }
  const image = await readGreyImage(t.imageFile, { maxPixels: t.maxPixels, name: t.name });
  return predictSource(await session, image, { k: t.k, seed: t.seed, name: t.name });
}

/** What IdentityService.probe does in its own thread (see IdentityCompute in identity/service.ts). */
async function probe(t: Extract<ComputeTask, { kind: 'probe' }>): Promise<{ fp: FingerprintResult; dense: FeatureSet | null }> {
  const grey = typeof t.image === 'object' && 'width' in t.image ? t.image : await readGreyImage(t.image, { name: t.name, maxPixels: t.maxPixels });
  const options = resolveFingerprintFor(t.fingerprint, { width: grey.width, height: grey.height }, t.meta.pixelSizeUm ?? null);
  const normalised = await normaliseCapture(grey, options.normalise);
  const fp = await fingerprintNormalised(normalised, options);
  const dense = fp.quality.ok && fp.features ? await extractNormalised(normalised, { ...options.extract, ...SHORTLIST_PROBE_EXTRACT }) : null;
  return { fp, dense };
}

/** Errors come back as data: a thrown error crossing the thread boundary would lose its code (and the HTTP status it maps to). */
export default async function run(task: ComputeTask): Promise<ComputeAnswer> {
  try {
    if (task.kind === 'probe') return await probe(task);
    if (task.kind === 'source') return await source(task);
    if (task.kind === 'recapture') return await syntheticRecapture(task.image, task.seed);
    if (task.kind === 'relit') return { view: await relitFingerprint(task.normalised, task.turnDeg, task.fingerprint) };
    // the stored fingerprints arrive encoded (less to copy between threads) and are decoded here
    const entries = task.entries.map((e) => ({ serial: e.serial, captureId: e.captureId, similarity: e.similarity, features: e.features ?? decodeFeatureSet(e.encoded, `fingerprint of capture ${e.captureId}`) }));
    return await rankGallery(task.probe, entries, task.settings, task.profile, task.options);
  } catch (err) {
    const e = err as { message?: string; code?: unknown };
    return { error: { message: e.message ?? String(err), code: typeof e.code === 'string' ? e.code : 'INTERNAL' } };
  }
}
