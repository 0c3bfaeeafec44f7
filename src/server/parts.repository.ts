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
