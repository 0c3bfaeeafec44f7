/**
 * Register, verify (1:1) and identify (1:N). A rejected capture (quality gate) is an expected
 * outcome: for verify/identify it is an answer (decision "rejected"); for registration nothing is
 * stored and the caller gets 422 with the reason.
 */
import type { Capture, CaptureMeta, Part } from '../registry/index.js';
import type { FingerprintResult, QualityReport, Score } from '../identity/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { EvidenceStore } from './evidence.store.js';
import { HttpError } from './http-errors.js';
import { calibrateScores, renderDetSvg, renderHistogramSvg } from '../identity/index.js';
import { scoreSamples, type Comparison, type IdentityRepository } from './identity.repository.js';
import type { JobsService } from './jobs.service.js';

export interface RegisterResult {
  part: Part;
  capture: Capture;
  fingerprint: { extractor: string; keypoints: number };
  quality: QualityReport;
}

export interface Candidate {
  serial: string;
  captureId: number;
  same: boolean;
  score: Score;
  reason: string;
}

export interface VerifyAnswer {
  serial: string;
  decision: 'match' | 'no-match' | 'not-registered' | 'rejected';
  same: boolean;
  threshold: number;
  reason: string;
  quality: QualityReport;
  best: Candidate | null;
  evidenceUrl: string | null;
  part: Part | null;
}

export interface IdentifyAnswer {
  decision: 'identified' | 'not-registered' | 'rejected';
  threshold: number;
  reason: string;
  quality: QualityReport;
  best: Candidate | null;
  candidates: Candidate[];
  galleryCaptures: number;
  evidenceUrl: string | null;
  part: Part | null;
}

type Upload = { path: string; filename: string };

function candidate(c: Comparison): Candidate {
  return { serial: c.entry.serial, captureId: c.entry.captureId, same: c.result.same, score: c.result.score, reason: c.result.reason };
}

export class IdentityService {
  constructor(
    private readonly repo: IdentityRepository,
    private readonly evidence: EvidenceStore,
    private readonly audit: AuditRepository,
    jobs: JobsService,
  ) {
    jobs.define('evaluate-identity', async (params, ctx) => {
      const gallery = await this.repo.gallery();
      const { genuine, impostor } = await scoreSamples(this.repo, gallery, {
        maxImpostor: Number(params.maxImpostor ?? 2000),
        seed: Number(params.seed ?? 1),
        onPair: (done, total) => ctx.onProgress({ phase: 'score pairs', done, total }),
      });
      if (genuine.length === 0 || impostor.length === 0) {
        throw new Error(`cannot evaluate: ${genuine.length} genuine and ${impostor.length} impostor pairs (register at least two parts, one of them with two or more fingerprinted captures)`);
      }
      const targetFmr = Number(params.targetFmr ?? 1e-3);
      const c = calibrateScores(genuine, impostor, targetFmr);
      const { curve: _curve, ...summary } = c;
      return {
        ...summary,
        currentThreshold: this.repo.threshold,
        galleryCaptures: gallery.length,
        detSvg: renderDetSvg(c, 'DET curve (registered parts)'),
        histogramSvg: renderHistogramSvg(genuine, impostor, c.threshold, 'Genuine vs impostor scores'),
      };
    });
  }

  private async fingerprintOrReject(image: Upload, pixelSizeUm: number | null): Promise<FingerprintResult & { features: NonNullable<FingerprintResult['features']> }> {
    const fp = await this.repo.fingerprint(image.path, image.filename, pixelSizeUm);
    if (!fp.quality.ok || !fp.features) throw new HttpError(422, 'REJECTED', `${image.filename}: capture rejected (${fp.quality.reason}): ${fp.quality.message}; nothing stored`, {}, { quality: fp.quality });
    return fp as FingerprintResult & { features: NonNullable<FingerprintResult['features']> };
  }

  /** Registers a new part with its first fingerprinted capture (409 if the serial exists). */
  async registerNew(input: { serial: string; partNumber: string | null; attributes: Record<string, string> }, image: Upload, meta: CaptureMeta, actor: string): Promise<RegisterResult> {
    const fp = await this.fingerprintOrReject(image, meta.pixelSizeUm ?? null);
    const { part, capture } = await this.repo.store(input.serial, image.path, image.filename, meta, fp.features, { serial: input.serial, partNumber: input.partNumber, attributes: input.attributes });
    await this.audit.record(actor, 'identity.register', input.serial, { captureId: capture.id, new: true });
    return { part, capture, fingerprint: { extractor: fp.features.extractor, keypoints: fp.features.sizes.length }, quality: fp.quality };
  }

  /** Adds a fingerprinted capture to a registered part. */
  async addFingerprint(serial: string, image: Upload, meta: CaptureMeta, actor: string): Promise<RegisterResult> {
    const fp = await this.fingerprintOrReject(image, meta.pixelSizeUm ?? null);
    const { part, capture } = await this.repo.store(serial, image.path, image.filename, meta, fp.features, null);
    await this.audit.record(actor, 'identity.register', serial, { captureId: capture.id, new: false });
    return { part, capture, fingerprint: { extractor: fp.features.extractor, keypoints: fp.features.sizes.length }, quality: fp.quality };
  }

  async verify(serial: string, image: Upload, withEvidence: boolean): Promise<VerifyAnswer> {
    const threshold = this.repo.threshold;
    const part = (await this.repo.getPart(serial)) ?? null;
    const fp = await this.repo.fingerprint(image.path, image.filename, null);
    const base = { serial, threshold, quality: fp.quality, part, best: null, evidenceUrl: null, same: false };
    if (!fp.quality.ok || !fp.features) return { ...base, decision: 'rejected', reason: `capture rejected (${fp.quality.reason}): ${fp.quality.message}` };
    const gallery = part ? await this.repo.galleryOf(serial) : [];
    if (!part || gallery.length === 0) return { ...base, decision: 'not-registered', reason: part ? `part "${serial}" has no fingerprint registered` : `part "${serial}" is not registered` };
    const [top] = await this.repo.compare(fp.features, gallery);
    const evidenceUrl = withEvidence ? `/api/evidence/${this.evidence.put(await this.repo.evidence(fp, top))}` : null;
    return { ...base, decision: top.result.same ? 'match' : 'no-match', same: top.result.same, reason: top.result.reason, best: candidate(top), evidenceUrl };
  }

  async identify(image: Upload, top: number, withEvidence: boolean): Promise<IdentifyAnswer> {
    const threshold = this.repo.threshold;
    const fp = await this.repo.fingerprint(image.path, image.filename, null);
    const base = { threshold, quality: fp.quality, best: null, candidates: [], galleryCaptures: 0, evidenceUrl: null, part: null };
    if (!fp.quality.ok || !fp.features) return { ...base, decision: 'rejected', reason: `capture rejected (${fp.quality.reason}): ${fp.quality.message}` };
    const gallery = await this.repo.gallery();
    const ranked = await this.repo.compare(fp.features, gallery);
    // one candidate per part: its best capture
    const seen = new Set<string>();
    const perPart = ranked.filter((c) => (seen.has(c.entry.serial) ? false : (seen.add(c.entry.serial), true)));
    const candidates = perPart.slice(0, top).map(candidate);
    const winner = perPart[0]?.result.same ? perPart[0] : null;
    if (!winner) {
      return { ...base, candidates, galleryCaptures: gallery.length, decision: 'not-registered', reason: gallery.length === 0 ? 'the gallery is empty' : `no registered part matches (best: ${perPart[0].entry.serial}, ${perPart[0].result.reason})` };
    }
    const evidenceUrl = withEvidence ? `/api/evidence/${this.evidence.put(await this.repo.evidence(fp, winner))}` : null;
    return {
      ...base,
      decision: 'identified',
      reason: winner.result.reason,
      best: candidate(winner),
      candidates,
      galleryCaptures: gallery.length,
      evidenceUrl,
      part: (await this.repo.getPart(winner.entry.serial)) ?? null,
    };
  }

  evidencePng(id: string): Buffer {
    const png = this.evidence.get(id);
    if (!png) throw new HttpError(404, 'NOT_FOUND', `evidence ${id} not found (evidence is kept for 30 minutes)`);
    return png;
  }
}
