/**
 * Evidence images (two captures side by side with the inlier pairs drawn) kept in memory for a
 * while, so a verify/identify answer can link to its picture: `GET /api/evidence/:id`. Ids are
 * random; the newest `capacity` entries are kept, each for `ttlMs`.
 */
import { randomBytes } from 'node:crypto';

export class EvidenceStore {
  private readonly items = new Map<string, { png: Buffer; until: number }>();

  constructor(
    private readonly capacity = 500,
    private readonly ttlMs = 30 * 60_000,
  ) {}

  put(png: Buffer): string {
    const id = randomBytes(12).toString('hex');
    this.items.set(id, { png, until: Date.now() + this.ttlMs });
    while (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value as string);
    return id;
  }

  get(id: string): Buffer | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    if (item.until < Date.now()) {
      this.items.delete(id);
      return undefined;
    }
    return item.png;
  }
}
