/**
 * Fingerprints through the identity capability's public API: extraction, storage as the capture's
 * 'fingerprint' feature (in the same transaction as the part and capture), 1:1 comparison, the
 * gallery for 1:N, and evidence pictures. The only server code that touches fingerprints.
 */
import { createRng } from '../core/index.js';
import { readGreyImage } from '../imaging/index.js';
import {
  decodeFeatureSet,
  DEFAULT_VERIFY_OPTIONS,
  encodeFeatureSet,
  fingerprintImage,
  renderEvidencePng,
  verifyPair,
  type FeatureSet,
  type FingerprintResult,
  type VerifyResult,
} from '../identity/index.js';
import type { Capture, CaptureMeta, NewPart, Part, Registry } from '../registry/index.js';

export const FINGERPRINT_KIND = 'fingerprint';

export interface GalleryEntry {
  captureId: number;
  serial: string;
  features: FeatureSet;
}

export interface Comparison {
  entry: GalleryEntry;
  result: VerifyResult;
}

export class IdentityRepository {
  constructor(
    private readonly registry: Registry,
    private readonly maxPixels: number,
  ) {}

  get threshold(): number {
    return DEFAULT_VERIFY_OPTIONS.threshold;
  }

  /** Decodes an image file and fingerprints it (quality gate included). */
  async fingerprint(file: string, name: string, pixelSizeUm: number | null): Promise<FingerprintResult> {
    const img = await readGreyImage(file, { maxPixels: this.maxPixels, name });
    return fingerprintImage(img, { normalise: { pixelSizeUm } });
  }

  /**
   * Stores (optionally a new part,) the capture and its fingerprint in one transaction:
   * all or nothing. A duplicate serial for a new part is a CONFLICT.
   */
  async store(serial: string, file: string, name: string, meta: CaptureMeta, features: FeatureSet, newPart: NewPart | null): Promise<{ part: Part; capture: Capture }> {
    return this.registry.transaction(async (_trx, scope) => {
      if (newPart) await scope.parts.create(newPart);
      const capture = await scope.captures.add(serial, file, meta, { name });
      await scope.features.put({ captureId: capture.id, kind: FINGERPRINT_KIND, version: features.extractor, data: encodeFeatureSet(features), meta: { keypoints: features.sizes.length } });
      const part = await scope.parts.get(serial);
      return { part: part!, capture };
    });
  }

  getPart(serial: string): Promise<Part | undefined> {
    return this.registry.parts.get(serial);
  }

  /** The fingerprints of one part's captures. */
  async galleryOf(serial: string): Promise<GalleryEntry[]> {
    const out: GalleryEntry[] = [];
    for (const c of await this.registry.captures.listForPart(serial)) {
      const f = await this.registry.features.get(c.id, FINGERPRINT_KIND);
      if (f) out.push({ captureId: c.id, serial, features: decodeFeatureSet(f.data, `fingerprint of capture ${c.id}`) });
    }
    return out;
  }

  /** Every stored fingerprint (the 1:N gallery). */
  async gallery(): Promise<GalleryEntry[]> {
    const rows = await this.registry.db
      .selectFrom('capture_features as f')
      .innerJoin('captures as c', 'c.id', 'f.capture_id')
      .innerJoin('parts as p', 'p.id', 'c.part_id')
      .select(['f.capture_id as captureId', 'p.serial as serial', 'f.data as data'])
      .where('f.kind', '=', FINGERPRINT_KIND)
      .orderBy('f.capture_id')
      .execute();
    return rows.map((r) => ({ captureId: Number(r.captureId), serial: r.serial, features: decodeFeatureSet(r.data as Uint8Array, `fingerprint of capture ${r.captureId}`) }));
  }

  async compare(probe: FeatureSet, entries: GalleryEntry[]): Promise<Comparison[]> {
    const out: Comparison[] = [];
    for (const entry of entries) out.push({ entry, result: await verifyPair(probe, entry.features, { threshold: this.threshold }) });
    return out.sort((a, b) => b.result.score.value - a.result.score.value || b.result.geometry.inliers - a.result.geometry.inliers);
  }

  /** Side-by-side PNG of the probe and a gallery capture with the inlier pairs drawn. */
  async evidence(probe: FingerprintResult, comparison: Comparison): Promise<Buffer> {
    const capture = await this.registry.captures.get(comparison.entry.captureId);
    const bytes = await this.registry.captures.readImage(capture!);
    const gallery = await fingerprintImage(await readGreyImage(bytes, { maxPixels: this.maxPixels, name: `capture ${capture!.id}` }), { normalise: { pixelSizeUm: capture!.pixelSizeUm } });
    return renderEvidencePng(probe.normalised.image, gallery.normalised.image, probe.features!, comparison.entry.features, comparison.result);
  }
}

/** Genuine (same serial) and impostor (different serials) score samples over the gallery. */
export async function scoreSamples(
  repo: IdentityRepository,
  gallery: GalleryEntry[],
  options: { maxImpostor: number; seed: number; onPair: (done: number, total: number) => void },
): Promise<{ genuine: number[]; impostor: number[] }> {
  const genuinePairs: Array<[GalleryEntry, GalleryEntry]> = [];
  const bySerial = new Map<string, GalleryEntry[]>();
  for (const e of gallery) bySerial.set(e.serial, [...(bySerial.get(e.serial) ?? []), e]);
  for (const list of bySerial.values()) for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) genuinePairs.push([list[i], list[j]]);
  const impostorPairs: Array<[GalleryEntry, GalleryEntry]> = [];
  const rng = createRng(options.seed);
  const distinct = bySerial.size;
  for (let tries = 0; distinct > 1 && impostorPairs.length < options.maxImpostor && tries < options.maxImpostor * 20; tries++) {
    const a = gallery[rng.int(gallery.length)];
    const b = gallery[rng.int(gallery.length)];
    if (a.serial !== b.serial) impostorPairs.push([a, b]);
  }
  const total = genuinePairs.length + impostorPairs.length;
  const score = async ([a, b]: [GalleryEntry, GalleryEntry]) => (await repo.compare(a.features, [b]))[0].result.score.value;
  const genuine: number[] = [];
  const impostor: number[] = [];
  let done = 0;
  for (const p of genuinePairs) {
    genuine.push(await score(p));
    options.onPair(++done, total);
  }
  for (const p of impostorPairs) {
    impostor.push(await score(p));
    options.onPair(++done, total);
  }
  return { genuine, impostor };
}
