/** Parts and captures: create, look up, list with filters, set attributes, add images. */
import { PartprintError } from '../core/index.js';
import { renderPreviewPng } from '../imaging/index.js';
import type { Capture, CaptureMeta, Part } from '../registry/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { CapturesRepository, PartsRepository, PartSummary } from './parts.repository.js';

export interface ListPartsInput {
  limit: number;
  offset: number;
  serial?: string;
  partNumber?: string;
  attributes: Record<string, string>;
}

export class PartsService {
  constructor(
    private readonly parts: PartsRepository,
    private readonly captures: CapturesRepository,
    private readonly audit: AuditRepository,
  ) {}

  async create(input: { serial: string; partNumber?: string | null; attributes?: Record<string, string> }, actor: string): Promise<Part> {
    const part = await this.parts.create({ serial: input.serial, partNumber: input.partNumber ?? null, attributes: input.attributes ?? {} });
    await this.audit.record(actor, 'part.create', part.serial, { partNumber: part.partNumber, attributes: part.attributes });
    return part;
  }

  async get(serial: string): Promise<Part & { captures: Capture[] }> {
    const part = await this.parts.get(serial);
    if (!part) throw new PartprintError(`part "${serial}" is not registered`, { code: 'NOT_FOUND' });
    return { ...part, captures: await this.captures.listForPart(serial) };
  }

  async list(input: ListPartsInput): Promise<{ items: Array<Part & PartSummary>; total: number; limit: number; offset: number }> {
    const { parts, total } = await this.parts.list({
      attributes: input.attributes,
      partNumber: input.partNumber,
      serialContains: input.serial,
      limit: input.limit,
      offset: input.offset,
    });
    const summaries = await this.parts.summaries(parts.map((p) => p.id));
    return { items: parts.map((p) => ({ ...p, ...summaries.get(p.id)! })), total, limit: input.limit, offset: input.offset };
  }

  async setAttributes(serial: string, attributes: Record<string, string | null>, actor: string): Promise<Part> {
    const part = await this.parts.setAttributes(serial, attributes);
    await this.audit.record(actor, 'part.attributes', serial, { attributes });
    return part;
  }

  async addCapture(serial: string, file: { path: string; filename: string }, meta: CaptureMeta, actor: string): Promise<Capture> {
    const capture = await this.captures.add(serial, file.path, meta, file.filename);
    await this.audit.record(actor, 'capture.add', serial, { captureId: capture.id, blobHash: capture.blobHash });
    return capture;
  }

  async getCapture(id: number): Promise<Capture> {
    const capture = await this.captures.get(id);
    if (!capture) throw new PartprintError(`no capture with id ${id}`, { code: 'NOT_FOUND' });
    return capture;
  }

  async captureImage(id: number): Promise<{ capture: Capture; bytes: Buffer }> {
    const capture = await this.getCapture(id);
    return { capture, bytes: await this.captures.readImage(capture) };
  }

  /** A downscaled greyscale PNG of a capture, for thumbnails (any stored format). */
  async capturePreview(id: number, maxSide: number): Promise<Buffer> {
    const { capture, bytes } = await this.captureImage(id);
    return renderPreviewPng(bytes, maxSide, `capture ${capture.id}`);
  }
}

/** Parses multipart capture fields (strings) into CaptureMeta. */
export function captureMetaFrom(fields: Record<string, string>): CaptureMeta {
  const opt = (k: string) => (fields[k] === undefined || fields[k] === '' ? undefined : fields[k]);
  const px = opt('pixel_size_um');
  return {
    face: opt('face'),
    device: opt('device'),
    pixelSizeUm: px === undefined ? undefined : Number(px),
    lighting: opt('lighting'),
    operator: opt('operator'),
    capturedAt: opt('captured_at'),
  };
}
