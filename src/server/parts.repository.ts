/** Parts and captures through the registry's public API (the only server code that touches them). */
import type { Attributes, Capture, CaptureMeta, ListPartsQuery, NewPart, Part, Registry } from '../registry/index.js';

export class PartsRepository {
  constructor(private readonly registry: Registry) {}

  create(part: NewPart): Promise<Part> {
    return this.registry.parts.create(part);
  }

  get(serial: string): Promise<Part | undefined> {
    return this.registry.parts.get(serial);
  }

  list(query: ListPartsQuery): Promise<{ parts: Part[]; total: number }> {
    return this.registry.parts.list(query);
  }

  setAttributes(serial: string, attributes: Record<string, string | null>): Promise<Part> {
    return this.registry.parts.setAttributes(serial, attributes);
  }

  count(): Promise<number> {
    return this.registry.parts.count();
  }

  /** Per part: how many captures and events it has and its first capture (the list's thumbnail); two grouped queries for a page. */
  async summaries(partIds: number[]): Promise<Map<number, PartSummary>> {
    const out = new Map<number, PartSummary>(partIds.map((id) => [id, { captureCount: 0, eventCount: 0, thumbnailCaptureId: null }]));
    if (partIds.length === 0) return out;
    const db = this.registry.db;
    const captures = await db
      .selectFrom('captures')
      .select(['part_id', db.fn.countAll<number | string>().as('n'), db.fn.min<number>('id').as('first')])
      .where('part_id', 'in', partIds)
      .groupBy('part_id')
      .execute();
    for (const c of captures) Object.assign(out.get(c.part_id)!, { captureCount: Number(c.n), thumbnailCaptureId: c.first === null ? null : Number(c.first) });
    const events = await db.selectFrom('events').select(['part_id', db.fn.countAll<number | string>().as('n')]).where('part_id', 'in', partIds).groupBy('part_id').execute();
    for (const e of events) out.get(e.part_id)!.eventCount = Number(e.n);
    return out;
  }
}

export interface PartSummary {
  captureCount: number;
  eventCount: number;
  thumbnailCaptureId: number | null;
}

export class CapturesRepository {
  constructor(private readonly registry: Registry) {}

  add(serial: string, file: string, meta: CaptureMeta, name: string): Promise<Capture> {
    return this.registry.captures.add(serial, file, meta, { name });
  }

  get(id: number): Promise<Capture | undefined> {
    return this.registry.captures.get(id);
  }

  listForPart(serial: string): Promise<Capture[]> {
    return this.registry.captures.listForPart(serial);
  }

  readImage(capture: Capture): Promise<Buffer> {
    return this.registry.captures.readImage(capture);
  }
}

export type { Attributes };
