/** Derived data per capture (identity's fingerprints, ...), keyed by (capture, kind). */
import type { Selectable } from 'kysely';
import { RegistryError } from '../core/index.js';
import { nowIso, type RepoContext } from './context.js';
import type { CaptureFeaturesTable } from './schema.js';
import type { CaptureFeature } from './types.js';

function toFeature(r: Selectable<CaptureFeaturesTable>): CaptureFeature {
  const data = r.data as Uint8Array;
  return {
    captureId: r.capture_id,
    kind: r.kind,
    version: r.version,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    meta: JSON.parse(r.meta) as Record<string, unknown>,
    createdAt: r.created_at,
  };
}

export type NewCaptureFeature = Omit<CaptureFeature, 'createdAt' | 'meta'> & { meta?: Record<string, unknown> };

export class FeaturesRepo {
  constructor(private readonly ctx: RepoContext) {}

  /**
   * Stores (or replaces) the feature of this kind for a capture.
   * @example await reg.features.put({ captureId: cap.id, kind: 'fingerprint', version: 'orb-1', data: bytes, meta: { n: 812 } })
   */
  async put(feature: NewCaptureFeature): Promise<CaptureFeature> {
    if (!feature.kind) throw new RegistryError('feature kind is empty', { code: 'BAD_INPUT' });
    const capture = await this.ctx.db.selectFrom('captures').select('id').where('id', '=', feature.captureId).executeTakeFirst();
    if (!capture) throw new RegistryError(`capture ${feature.captureId} does not exist`, { code: 'NOT_FOUND' });
    const row = {
      capture_id: feature.captureId,
      kind: feature.kind,
      version: feature.version,
      data: Buffer.from(feature.data.buffer, feature.data.byteOffset, feature.data.byteLength),
      meta: JSON.stringify(feature.meta ?? {}),
      created_at: nowIso(),
    };
    const saved = await this.ctx.db
      .insertInto('capture_features')
      .values(row)
      .onConflict((oc) => oc.columns(['capture_id', 'kind']).doUpdateSet({ version: row.version, data: row.data, meta: row.meta, created_at: row.created_at }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toFeature(saved);
  }

  async get(captureId: number, kind: string): Promise<CaptureFeature | undefined> {
    const row = await this.ctx.db.selectFrom('capture_features').selectAll().where('capture_id', '=', captureId).where('kind', '=', kind).executeTakeFirst();
    return row ? toFeature(row) : undefined;
  }

  /** Every feature of a kind (optionally of one version), ordered by capture id. */
  async list(kind: string, options: { version?: string } = {}): Promise<CaptureFeature[]> {
    let q = this.ctx.db.selectFrom('capture_features').selectAll().where('kind', '=', kind);
    if (options.version !== undefined) q = q.where('version', '=', options.version);
    return (await q.orderBy('capture_id').execute()).map(toFeature);
  }

  async delete(captureId: number, kind: string): Promise<boolean> {
    const res = await this.ctx.db.deleteFrom('capture_features').where('capture_id', '=', captureId).where('kind', '=', kind).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
