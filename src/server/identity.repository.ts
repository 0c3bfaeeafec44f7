/**
 * Fingerprints through the identity capability's public API (`IdentityService`, the shortlist
 * index, evidence rendering). The only server code that touches fingerprints or the index.
 *
 * Registration is done here rather than with `IdentityService.register` for two reasons: a new
 * part (with its part number and attributes), its capture and its fingerprint are stored in ONE
 * transaction (so concurrent registrations of one serial give exactly one winner and a rejected
 * capture leaves no part behind), and index updates are serialised (the index files are written
 * with a per-process temp name, so two concurrent saves would collide).
 */
import { PartprintError, type ProgressListener } from '../core/index.js';
import { readGreyImage, type GreyImage } from '../imaging/index.js';
import {
  encodeFeatureSet,
  FINGERPRINT_KIND,
  IdentityService,
  renderDetSvg,
  renderEvidencePng,
  renderHistogramSvg,
  type FeatureSet,
  type FingerprintResult,
  type IdentifyOutcome,
  type IdentitySettings,
  type VerifyOutcome,
  type VerifyResult,
} from '../identity/index.js';
import type { Capture, CaptureMeta, NewPart, Part, Registry } from '../registry/index.js';

export type StoreOutcome = { status: 'registered'; part: Part; capture: Capture; fingerprint: FingerprintResult & { features: FeatureSet } } | { status: 'rejected'; fingerprint: FingerprintResult };

export class IdentityRepository {
  private readonly service: IdentityService;
  /** Serialises index updates (see the file comment). */
  private indexLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: Registry,
    private readonly maxPixels: number,
  ) {
    this.service = new IdentityService(registry);
  }

  settings(): Promise<IdentitySettings> {
    return this.service.settings();
  }

  /** Decodes an uploaded image (errors name the client's file name). */
  decode(file: string | Uint8Array, name: string): Promise<GreyImage> {
    return readGreyImage(file, { maxPixels: this.maxPixels, name });
  }

  getPart(serial: string): Promise<Part | undefined> {
    return this.registry.parts.get(serial);
  }

  /**
   * Fingerprints `file` and, unless the quality gate rejects it, stores (the new part,) the capture
   * and the fingerprint in one transaction, then adds it to the shortlist index.
   */
  async store(serial: string, file: string, name: string, meta: CaptureMeta, newPart: NewPart | null): Promise<StoreOutcome> {
    const image = await this.decode(file, name);
    const fp = await this.service.fingerprint(image, meta, name);
    if (!fp.quality.ok || !fp.features) return { status: 'rejected', fingerprint: fp };
    const features = fp.features;
    const { part, capture } = await this.withIndexLock(async () => {
      // The index as it is before this capture (loaded, or rebuilt from the database when stale).
      const index = await this.service.shortlistIndex();
      const stored = await this.registry.transaction(async (_trx, scope) => {
        if (newPart) await scope.parts.create(newPart);
        else if (!(await scope.parts.get(serial))) throw new PartprintError(`part "${serial}" is not registered`, { code: 'NOT_FOUND' });
        const cap = await scope.captures.add(serial, file, meta, { name });
        await scope.features.put({ captureId: cap.id, kind: FINGERPRINT_KIND, version: this.service.version, data: encodeFeatureSet(features), meta: { keypoints: features.sizes.length, quality: fp.quality.metrics } });
        return { part: (await scope.parts.get(serial))!, capture: cap };
      });
      // As IdentityService.register: add to the index (a full rebuild when there is none yet).
      if (index) {
        index.add(stored.capture.id, features);
        await index.save(this.service.dir);
      } else await this.service.rebuildShortlist();
      return stored;
    });
    return { status: 'registered', part, capture, fingerprint: { ...fp, features } };
  }

  /** The identity service whose shortlist index this repository keeps (shared with line registration). */
  get identityService(): IdentityService {
    return this.service;
  }

  /** Runs `fn` with index updates serialised against this repository's identify and register. */
  withIndexLock<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.indexLock.then(fn, fn);
    this.indexLock = next.catch(() => undefined);
    return next;
  }

  /** 1:1 (null when the part is missing or has no usable fingerprint). */
  async verify(serial: string, image: GreyImage): Promise<VerifyOutcome | null> {
    try {
      return await this.service.verify(serial, image);
    } catch (err) {
      if (err instanceof PartprintError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  identify(image: GreyImage, shortlistSize?: number): Promise<IdentifyOutcome> {
    return this.withIndexLock(() => this.service.identify(image, {}, { shortlistSize }));
  }

  /** Side-by-side PNG of the probe and a gallery capture with the inlier pairs drawn. */
  async evidence(probe: FingerprintResult, gallery: { captureId: number; features: FeatureSet }, result: VerifyResult): Promise<Buffer> {
    return renderEvidencePng(probe.normalised.image, await this.service.normalisedImage(gallery.captureId), probe.features!, gallery.features, result);
  }

  /** Rebuilds the shortlist index from the database (re-extracting stale fingerprints). */
  async rebuildIndex(onProgress: ProgressListener): Promise<{ captures: number }> {
    const svc = new IdentityService(this.registry, { onProgress });
    return this.withIndexLock(async () => {
      const index = await svc.rebuildShortlist();
      // the long-lived service reloads the saved index on its next freshness check
      return { captures: index?.size ?? 0 };
    });
  }

  /** Genuine/impostor scores over the registry, calibration, DET and histogram SVGs. */
  async calibrate(targetFmr: number, maxImpostors: number, apply: boolean, onProgress: ProgressListener): Promise<Record<string, unknown>> {
    const svc = new IdentityService(this.registry, { onProgress });
    const { calibration, genuine, impostor } = await svc.calibrateFromRegistry(targetFmr, { maxImpostors, apply });
    const { curve: _curve, ...summary } = calibration;
    return {
      ...summary,
      applied: apply,
      detSvg: renderDetSvg(calibration, 'DET curve (registered parts)'),
      histogramSvg: renderHistogramSvg(genuine, impostor, calibration.threshold, 'Genuine vs impostor scores'),
    };
  }
}
