/**
 * Fingerprints through the identity capability's public API (`IdentityService`, the shortlist
 * index, evidence rendering). The only server code that touches fingerprints or the index.
 *
 * Registration goes through `IdentityService.register` (one transaction for the new part, its
 * capture and its fingerprint; index updates serialised by the identity capability's index lock).
 */
import { PartprintError, type ProgressListener } from '../core/index.js';
import { readGreyImage, type GreyImage } from '../imaging/index.js';
import {
  IdentityService,
  type ShortlistThread,
  renderDetSvg,
  renderEvidencePng,
  renderHistogramSvg,
  type FeatureSet,
  type FingerprintFailure,
  type FingerprintResult,
  type IdentifyOutcome,
  type IdentitySettings,
  type VerifyOutcome,
  type VerifyResult,
} from '../identity/index.js';
import type { Capture, CaptureMeta, NewPart, Part, Registry } from '../registry/index.js';
import type { IdentityCompute } from './compute/pool.js';

export type StoreOutcome = { status: 'registered'; part: Part; capture: Capture; fingerprint: FingerprintResult & { features: FeatureSet } } | { status: 'rejected'; fingerprint: FingerprintResult };

export class IdentityRepository {
  private readonly service: IdentityService;

  constructor(
    private readonly registry: Registry,
    private readonly maxPixels: number,
    private readonly compute?: IdentityCompute,
    private readonly shortlistThread?: ShortlistThread,
  ) {
    this.service = new IdentityService(registry, { compute, shortlistThread });
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
   * and the fingerprint in one transaction, then adds it to the shortlist index: through
   * `IdentityService.register`, the registration path the CLI uses too.
   */
  async store(serial: string, file: string, name: string, meta: CaptureMeta, newPart: NewPart | null): Promise<StoreOutcome> {
    // the upload's header was checked against the pixel limit; the decode runs in the compute pool
    const out = await this.service.register(serial, file, meta, { name, ...(newPart ? { newPart } : {}) });
    if (out.status === 'rejected') return { status: 'rejected', fingerprint: out.fingerprint };
    return { status: 'registered', part: out.part, capture: out.capture, fingerprint: out.fingerprint };
  }

  /** The identity service whose shortlist index this repository keeps (shared with line registration and plan checks). */
  get identityService(): IdentityService {
    return this.service;
  }

  /** 1:1 (null when the part is missing or has no usable fingerprint); `image` decoded, or a file the compute pool decodes. */
  async verify(serial: string, image: GreyImage | string, meta: CaptureMeta = {}): Promise<VerifyOutcome | null> {
    try {
      return await this.service.verify(serial, image, meta);
    } catch (err) {
      if (err instanceof PartprintError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  identify(image: GreyImage | string, shortlistSize?: number, meta: CaptureMeta = {}): Promise<IdentifyOutcome> {
    return this.service.identify(image, meta, { shortlistSize });
  }

  /** Side-by-side PNG of the probe and a gallery capture with the inlier pairs drawn. */
  async evidence(probe: FingerprintResult, gallery: { captureId: number; features: FeatureSet }, result: VerifyResult): Promise<Buffer> {
    return renderEvidencePng(probe.normalised.image, await this.service.normalisedImage(gallery.captureId), probe.features!, gallery.features, result);
  }

  /** Rebuilds the shortlist index from the database (re-extracting stale fingerprints). */
  async rebuildIndex(onProgress: ProgressListener): Promise<{ captures: number; failures: FingerprintFailure[] }> {
    const svc = new IdentityService(this.registry, { onProgress, compute: this.compute, shortlistThread: this.shortlistThread });
    const refreshed = await svc.refreshFingerprints();
    const index = await svc.rebuildShortlist();
    // the long-lived service reloads the saved index on its next freshness check
    return { captures: index?.size ?? 0, failures: refreshed.failures };
  }

  /** Genuine/impostor scores over the registry, calibration, DET and histogram SVGs. */
  async calibrate(targetFmr: number, maxProbes: number, apply: boolean, onProgress: ProgressListener): Promise<Record<string, unknown>> {
    const svc = new IdentityService(this.registry, { onProgress, compute: this.compute, shortlistThread: this.shortlistThread });
    const { calibration, genuine, impostor, probes } = await svc.calibrateFromRegistry(targetFmr, { maxProbes, apply });
    const { curve: _curve, ...summary } = calibration;
    return {
      ...summary,
      probes,
      applied: apply,
      detSvg: renderDetSvg(calibration, 'DET curve (registered parts)'),
      histogramSvg: renderHistogramSvg(genuine, impostor, calibration.threshold, 'Genuine vs impostor scores'),
    };
  }
}
