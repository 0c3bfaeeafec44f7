/** Captures: one stored image of one part, with how it was taken. */
import type { Selectable } from 'kysely';
import { RegistryError } from '../core/index.js';
import { inTransaction, nowIso, readBlob, type RepoContext, toIsoTime } from './context.js';
import { type InspectedImage, inspectImage } from './images.js';
import { checkStoredText, PartsRepo } from './parts.js';
import type { CapturesTable } from './schema.js';
import type { Capture, CaptureMeta } from './types.js';

type CaptureRow = Selectable<CapturesTable> & { serial: string };

function toCapture(r: CaptureRow): Capture {
  return {
    id: r.id,
    partId: r.part_id,
    serial: r.serial,
    blobHash: r.blob_hash,
    format: r.format,
    width: r.width,
    height: r.height,
    face: r.face,
    device: r.device,
    pixelSizeUm: r.pixel_size_um === null ? null : Number(r.pixel_size_um),
    lighting: r.lighting,
    operator: r.operator,
    capturedAt: r.captured_at,
    createdAt: r.created_at,
  };
}

/** Validates and normalises capture metadata; errors name the field. */
export function checkCaptureMeta(meta: CaptureMeta): CaptureMeta {
  const px = meta.pixelSizeUm;
  if (px !== undefined && px !== null && !(typeof px === 'number' && Number.isFinite(px) && px > 0)) {
    throw new RegistryError(`pixel_size_um: "${String(px)}" is not a positive number`, { code: 'BAD_INPUT' });
  }
  for (const field of ['face', 'device', 'lighting', 'operator'] as const) {
    const v = meta[field];
    if (typeof v === 'string') checkStoredText(field, v);
  }
  return { ...meta, capturedAt: meta.capturedAt ? toIsoTime(meta.capturedAt, 'captured_at') : meta.capturedAt };
}

export interface AddCaptureOptions {
  /** Name used in error messages when the image is given as bytes. */
  name?: string;
}

export class CapturesRepo {
  constructor(private readonly ctx: RepoContext) {}

  /**
   * Stores an image of a registered part: decodes it fully first (a corrupt, truncated, empty,
   * unsupported or oversized image is rejected and nothing is stored), writes the blob once,
   * and inserts the capture row; blob and row land together or not at all.
   * @example const cap = await reg.captures.add('A-0001', 'scans/a1-top.tif', { face: 'top', pixelSizeUm: 5.3 })
   */
  async add(serial: string, image: string | Uint8Array, meta: CaptureMeta = {}, options: AddCaptureOptions = {}): Promise<Capture> {
    const checked = checkCaptureMeta(meta);
    const inspected = await inspectImage(image, { name: options.name, maxPixels: this.ctx.maxPixels });
    return this.addInspected(serial, inspected, checked);
  }

  /** Stores an image that `inspectImage` has already checked (bulk import validates first). */
  async addInspected(serial: string, image: InspectedImage, meta: CaptureMeta): Promise<Capture> {
    return inTransaction(this.ctx, async (tx) => {
      const part = await new PartsRepo(tx).require(serial);
      const hash = await tx.staging!.put(image.bytes);
      const now = nowIso();
      const row = await tx.db
        .insertInto('captures')
        .values({
          part_id: part.id,
          blob_hash: hash,
          format: image.format,
          width: image.width,
          height: image.height,
          face: meta.face ?? null,
          device: meta.device ?? null,
          pixel_size_um: meta.pixelSizeUm ?? null,
          lighting: meta.lighting ?? null,
          operator: meta.operator ?? null,
          captured_at: meta.capturedAt ?? now,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await tx.db.updateTable('parts').set({ updated_at: now }).where('id', '=', part.id).execute();
      return toCapture({ ...row, serial: part.serial });
    });
  }

  /** Captures joined with their part's serial: the shape `toCapture` reads. */
  private selectCaptures() {
    return this.ctx.db.selectFrom('captures').innerJoin('parts', 'parts.id', 'captures.part_id').selectAll('captures').select('parts.serial');
  }

  async get(id: number): Promise<Capture | undefined> {
    const row = await this.selectCaptures().where('captures.id', '=', id).executeTakeFirst();
    return row ? toCapture(row) : undefined;
  }

  /** A part's captures, oldest first ([] for an unknown serial). */
  async listForPart(serial: string): Promise<Capture[]> {
    const rows = await this.selectCaptures().where('parts.serial', '=', serial).orderBy('captures.id').execute();
    return rows.map(toCapture);
  }

  /** The stored image file's bytes (checksum verified). */
  async readImage(capture: Pick<Capture, 'blobHash'>): Promise<Buffer> {
    return readBlob(this.ctx, capture.blobHash);
  }
}
