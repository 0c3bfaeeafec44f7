/**
 * Register, verify (1:1) and identify (1:N). A rejected capture (quality gate) is an expected
 * outcome: for verify/identify it is an answer (decision "rejected"); for registration nothing is
 * stored and the caller gets 422 with the reason.
 */
import type { Capture, CaptureMeta, Part } from '../registry/index.js';
import type { Candidate, QualityReport } from '../identity/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { CheckRecorder } from './checks.js';
import type { DecodeBudget } from './compute/pool.js';
import type { EvidenceStore } from './evidence.store.js';
import { HttpError } from './http-errors.js';
import type { IdentityRepository } from './identity.repository.js';
import type { JobsService } from './jobs.service.js';

export interface RegisterResult {
  part: Part;
  capture: Capture;
  fingerprint: { extractor: string; keypoints: number };
  quality: QualityReport;
}

export interface VerifyAnswer {
  serial: string;
  decision: 'match' | 'no-match' | 'not-registered' | 'rejected';
  same: boolean;
  threshold: number;
  reason: string;
  quality: QualityReport | null;
  best: Candidate | null;
  evidenceUrl: string | null;
  part: Part | null;
  /** The `inspected` event this check was recorded as (null: nothing to record against, or no recorder). */
  checkEventId: number | null;
}

export interface IdentifyAnswer {
  decision: 'identified' | 'not-registered' | 'rejected';
  threshold: number;
  reason: string;
  quality: QualityReport | null;
  best: Candidate | null;
  candidates: Candidate[];
  galleryCaptures: number;
  evidenceUrl: string | null;
  part: Part | null;
  checkEventId: number | null;
}

type Upload = { path: string; filename: string; pixels?: number };

function rejectedReason(q: QualityReport): string {
  return `capture rejected (${q.reason}): ${q.message}`;
}

export class IdentityService {
  constructor(
    private readonly repo: IdentityRepository,
    private readonly evidence: EvidenceStore,
    private readonly audit: AuditRepository,
    jobs: JobsService,
    private readonly checks?: CheckRecorder,
    private readonly decodeBudget?: DecodeBudget,
  ) {
    jobs.define('evaluate-identity', async (params, ctx) =>
      this.repo.calibrate(Number(params.targetFmr ?? 1e-3), Number(params.maxProbes ?? 300), params.apply === true, ctx.onProgress),
    );
    jobs.define('rebuild-index', async (_params, ctx) => this.repo.rebuildIndex(ctx.onProgress));
  }

  private async register(serial: string, image: Upload, meta: CaptureMeta, newPart: { partNumber: string | null; attributes: Record<string, string> } | null, actor: string): Promise<RegisterResult> {
    const out = await this.admit(image, () => this.repo.store(serial, image.path, image.filename, meta, newPart ? { serial, ...newPart } : null));
    if (out.status === 'rejected') {
      const q = out.fingerprint.quality;
      throw new HttpError(422, 'REJECTED', `${image.filename}: ${rejectedReason(q)}; nothing stored`, {}, { quality: q });
    }
    await this.audit.record(actor, 'identity.register', serial, { captureId: out.capture.id, newPart: newPart !== null });
    const f = out.fingerprint.features;
    return { part: out.part, capture: out.capture, fingerprint: { extractor: f.extractor, keypoints: f.sizes.length }, quality: out.fingerprint.quality };
  }

  /** Registers a new part with its first fingerprinted capture (409 if the serial exists). */
  registerNew(input: { serial: string; partNumber: string | null; attributes: Record<string, string> }, image: Upload, meta: CaptureMeta, actor: string): Promise<RegisterResult> {
    return this.register(input.serial, image, meta, { partNumber: input.partNumber, attributes: input.attributes }, actor);
  }

  /** Adds a fingerprinted capture to a registered part (404 if it is not registered). */
  addFingerprint(serial: string, image: Upload, meta: CaptureMeta, actor: string): Promise<RegisterResult> {
    return this.register(serial, image, meta, null, actor);
  }

  async verify(serial: string, upload: Upload, withEvidence: boolean, actor = 'unknown', meta: CaptureMeta = {}): Promise<VerifyAnswer> {
    const { threshold } = await this.repo.settings();
    const part = (await this.repo.getPart(serial)) ?? null;
    const base = { serial, threshold, part, best: null, evidenceUrl: null, same: false, quality: null, checkEventId: null };
    const out = part ? await this.admit(upload, () => this.repo.verify(serial, upload.path, meta)) : null;
    if (!out) return { ...base, decision: 'not-registered', reason: part ? `part "${serial}" has no usable fingerprint` : `part "${serial}" is not registered` };
    if (out.status === 'rejected') return { ...base, decision: 'rejected', quality: out.quality, reason: rejectedReason(out.quality) };
    const evidenceUrl = withEvidence ? `/api/evidence/${this.evidence.put(await this.repo.evidence(out.probe, out.gallery, out.result))}` : null;
    const same = out.status === 'match';
    const check = this.checks && out.best ? await this.checks.record({ kind: 'verify', serial, same, score: out.best.score, threshold: out.threshold, inliers: out.best.inliers ?? null }, upload, actor) : null;
    return { ...base, threshold: out.threshold, decision: out.status, same, quality: out.probe.quality, reason: out.reason, best: out.best, evidenceUrl, checkEventId: check?.id ?? null };
  }

  async identify(upload: Upload, top: number, withEvidence: boolean, actor = 'unknown', meta: CaptureMeta = {}): Promise<IdentifyAnswer> {
    const { threshold } = await this.repo.settings();
    const out = await this.admit(upload, () => this.repo.identify(upload.path, undefined, meta));
    const base = { threshold, best: null, candidates: [], galleryCaptures: 0, evidenceUrl: null, part: null, quality: null, checkEventId: null };
    if (out.status === 'rejected') return { ...base, decision: 'rejected', quality: out.quality, reason: rejectedReason(out.quality) };
    const common = { ...base, threshold: out.threshold, quality: out.probe.quality, candidates: out.candidates.slice(0, top), galleryCaptures: out.galleryCaptures, reason: out.reason };
    if (out.status === 'not-registered') return { ...common, decision: 'not-registered' };
    const best = out.candidates[0];
    const evidenceUrl = withEvidence && out.bestResult && out.bestGallery ? `/api/evidence/${this.evidence.put(await this.repo.evidence(out.probe, out.bestGallery, out.bestResult))}` : null;
    const check = this.checks ? await this.checks.record({ kind: 'identify', serial: best.serial, same: true, score: best.score, threshold: out.threshold, inliers: best.inliers ?? null }, upload, actor) : null;
    return { ...common, decision: 'identified', best, evidenceUrl, part: (await this.repo.getPart(best.serial)) ?? null, checkEventId: check?.id ?? null };
  }

  /** Runs `fn` (which decodes the upload, in the compute pool) once the decode budget has room for its pixels. */
  private admit<T>(upload: Upload, fn: () => Promise<T>): Promise<T> {
    return this.decodeBudget ? this.decodeBudget.run(upload.pixels ?? 0, fn) : fn();
  }

  async checkPhoto(hash: string): Promise<Buffer> {
    const png = this.checks ? await this.checks.photo(hash) : null;
    if (!png) throw new HttpError(404, 'NOT_FOUND', `no identity check photo ${hash}`);
    return png;
  }

  evidencePng(id: string): Buffer {
    const png = this.evidence.get(id);
    if (!png) throw new HttpError(404, 'NOT_FOUND', `evidence ${id} not found (evidence is kept for 30 minutes)`);
    return png;
  }
}
