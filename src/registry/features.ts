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

  /** Count and largest capture id of the features of a kind and version (reads the covering index). */
  async stats(kind: string, version: string): Promise<{ count: number; maxCaptureId: number }> {
    const r = await this.ctx.db
      .selectFrom('capture_features')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('capture_id').as('m')])
      .where('kind', '=', kind)
      .where('version', '=', version)
      .executeTakeFirst();
    return { count: Number(r?.n ?? 0), maxCaptureId: Number(r?.m ?? 0) };
  }

  /**
   * The given captures with their part's serial and their feature of `kind` (data and version
   * null when there is none), in no particular order; ids that are not captures are left out.
   */
  async forCaptures(captureIds: number[], kind: string): Promise<Array<{ captureId: number; serial: string; version: string | null; data: Uint8Array | null }>> {
    if (captureIds.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('captures')
      .innerJoin('parts', 'parts.id', 'captures.part_id')
      .leftJoin('capture_features', (j) => j.onRef('capture_features.capture_id', '=', 'captures.id').on('capture_features.kind', '=', kind))
      .select(['captures.id as id', 'parts.serial as serial', 'capture_features.version as version', 'capture_features.data as data'])
      .where('captures.id', 'in', captureIds)
      .execute();
    return rows.map((r) => {
      const d = r.data as Uint8Array | null;
      return { captureId: r.id, serial: r.serial, version: r.version ?? null, data: d ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : null };
    });
  }

  /** Every capture (id order) with its part's serial and the version of its feature of `kind` (null: none). */
  async versionsByCapture(kind: string): Promise<Array<{ captureId: number; serial: string; version: string | null }>> {
    const rows = await this.ctx.db
      .selectFrom('captures')
      .innerJoin('parts', 'parts.id', 'captures.part_id')
      .leftJoin('capture_features', (j) => j.onRef('capture_features.capture_id', '=', 'captures.id').on('capture_features.kind', '=', kind))
      .select(['captures.id as id', 'parts.serial as serial', 'capture_features.version as version'])
      .orderBy('captures.id')
      .execute();
    return rows.map((r) => ({ captureId: r.id, serial: r.serial, version: r.version ?? null }));
  }

  /**
   * The same as `dataOf`, `limit` rows at a time after capture id `after` (a caller that must not
   * block for the whole table, e.g. a server rebuilding its index, reads page by page).
   */
  async dataPage(kind: string, version: string, after: number, limit: number): Promise<Array<{ captureId: number; data: Uint8Array }>> {
    const rows = await this.ctx.db.selectFrom('capture_features').select(['capture_id', 'data']).where('kind', '=', kind).where('version', '=', version).where('capture_id', '>', after).orderBy('capture_id').limit(limit).execute();
    return rows.map((r) => {
      const d = r.data as Uint8Array;
      return { captureId: r.capture_id, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
    });
  }

  /** Capture id and data of every feature of a kind and version, by capture id (for index builds: no JSON meta parsed). */
  async dataOf(kind: string, version: string): Promise<Array<{ captureId: number; data: Uint8Array }>> {
    const rows = await this.ctx.db.selectFrom('capture_features').select(['capture_id', 'data']).where('kind', '=', kind).where('version', '=', version).orderBy('capture_id').execute();
    return rows.map((r) => {
      const d = r.data as Uint8Array;
      return { captureId: r.capture_id, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
    });
  }

  async delete(captureId: number, kind: string): Promise<boolean> {
    const res = await this.ctx.db.deleteFrom('capture_features').where('capture_id', '=', captureId).where('kind', '=', kind).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
