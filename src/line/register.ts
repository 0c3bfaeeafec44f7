/**
 * One delivered image, registered exactly once: the journal row (file name + SHA-256 of its bytes)
 * is written in the same transaction as the part, capture and fingerprint, so a process killed at
 * any point either registered the part and journalled it, or did neither. A file found again after
 * a restart is recognised by its row and only moved on.
 */
import type { Kysely } from 'kysely';
import { PartprintError } from '../core/index.js';
import { encodeFeatureSet, FINGERPRINT_KIND, type IdentityService } from '../identity/index.js';
import { sha256Hex, type Database, type Registry } from '../registry/index.js';
import type { ItemData } from './fields.js';
import type { LineTables } from './tables.js';

export const REJECT_REASONS = ['quality', 'duplicate', 'unknown-serial', 'no-serial', 'bad-data', 'corrupt'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type LineOutcome =
  | { status: 'registered'; serial: string; captureId: number; keypoints: number; newPart: boolean }
  | { status: 'rejected'; serial: string | null; reason: RejectReason; detail: string };

export interface JournalEntry {
  status: 'registered' | 'rejected';
  serial: string | null;
  reason: string | null;
  detail: string | null;
  captureId: number | null;
  processedAt: string;
}

type Db = Kysely<Database & LineTables>;
const lineDb = (db: unknown) => db as Db;

/** The journal's entry for this file (name and bytes), if it was processed before. */
export async function journalEntry(registry: Registry, source: string, sha256: string): Promise<JournalEntry | null> {
  const r = await lineDb(registry.db).selectFrom('line_items').selectAll().where('source', '=', source).where('sha256', '=', sha256).executeTakeFirst();
  if (!r) return null;
  return { status: r.status as JournalEntry['status'], serial: r.serial, reason: r.reason, detail: r.detail, captureId: r.capture_id === null ? null : Number(r.capture_id), processedAt: r.processed_at };
}

/** Counts of the journal: registered, and rejected by reason. */
export async function journalCounts(registry: Registry): Promise<{ registered: number; rejected: Record<string, number> }> {
  const rows = await lineDb(registry.db).selectFrom('line_items').select(['status', 'reason', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['status', 'reason']).execute();
  const out = { registered: 0, rejected: {} as Record<string, number> };
  for (const r of rows) {
    if (r.status === 'registered') out.registered += Number(r.n);
    else out.rejected[r.reason ?? 'unknown'] = (out.rejected[r.reason ?? 'unknown'] ?? 0) + Number(r.n);
  }
  return out;
}

async function journalReject(registry: Registry, source: string, sha256: string, serial: string | null, reason: RejectReason, detail: string): Promise<LineOutcome> {
  await lineDb(registry.db).insertInto('line_items').values({ source, sha256, serial, status: 'rejected', reason, detail, capture_id: null, processed_at: new Date().toISOString() }).execute();
  return { status: 'rejected', serial, reason, detail };
}

export interface RegisterLineOptions {
  registry: Registry;
  identity: IdentityService;
  /** Serialises index updates with other writers of this process (the server's identify and register). */
  withIndexLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** A part already registered may get another capture of a face it has none of (default true); same face again = duplicate. */
  allowNewFace?: boolean;
}

const noLock = <T>(fn: () => Promise<T>) => fn();

/**
 * Registers (or rejects, with the reason) one image whose data has been resolved. `resolved`
 * carries the rejection found before (no serial, unknown serial).
 */
export async function registerLineItem(o: RegisterLineOptions, source: string, bytes: Uint8Array, resolved: { ok: true; data: ItemData } | { ok: false; reason: RejectReason; detail: string }): Promise<LineOutcome> {
  const { registry, identity } = o;
  const sha256 = sha256Hex(bytes);
  if (!resolved.ok) return journalReject(registry, source, sha256, null, resolved.reason, resolved.detail);
  const d = resolved.data;
  const serial = d.serial!;
  const face = d.meta.face ?? null;
  const dup = await duplicateOf(registry, serial, face, sha256, o.allowNewFace !== false);
  if (dup) return journalReject(registry, source, sha256, serial, 'duplicate', dup);
  let fp;
  try {
    fp = await identity.fingerprint(bytes, d.meta, source);
  } catch (err) {
    if (err instanceof PartprintError && ['CORRUPT', 'UNSUPPORTED', 'BAD_INPUT', 'TOO_LARGE'].includes(err.code)) return journalReject(registry, source, sha256, serial, 'corrupt', err.message);
    throw err;
  }
  if (!fp.quality.ok || !fp.features) return journalReject(registry, source, sha256, serial, 'quality', `${fp.quality.reason}: ${fp.quality.message}`);
  const features = fp.features;
  const lock = o.withIndexLock ?? noLock;
  return lock(async () => {
    const index = await identity.shortlistIndex();
    let newPart = false;
    let capture;
    try {
      capture = await registry.transaction(async (trx, scope) => {
        if (!(await scope.parts.get(serial))) {
          await scope.parts.create({ serial, partNumber: d.partNumber, attributes: d.attributes });
          newPart = true;
        }
        const cap = await scope.captures.add(serial, bytes, d.meta, { name: source });
        await scope.features.put({ captureId: cap.id, kind: FINGERPRINT_KIND, version: identity.version, data: encodeFeatureSet(features), meta: { keypoints: features.sizes.length, quality: fp.quality.metrics } });
        await lineDb(trx).insertInto('line_items').values({ source, sha256, serial, status: 'registered', reason: null, detail: null, capture_id: cap.id, processed_at: new Date().toISOString() }).execute();
        return cap;
      });
    } catch (err) {
      if (err instanceof PartprintError && err.code === 'CONFLICT') return journalReject(registry, source, sha256, serial, 'duplicate', err.message);
      if (err instanceof PartprintError && ['CORRUPT', 'UNSUPPORTED', 'TOO_LARGE'].includes(err.code)) return journalReject(registry, source, sha256, serial, 'corrupt', err.message);
      throw err;
    }
    if (index) {
      index.add(capture.id, features);
      await index.save(identity.dir);
    } else await identity.rebuildShortlist();
    return { status: 'registered', serial, captureId: capture.id, keypoints: features.sizes.length, newPart } as LineOutcome;
  });
}

/** Why this image would be a duplicate (null when it is not): the same bytes stored already, or the part has this face already. */
async function duplicateOf(registry: Registry, serial: string, face: string | null, sha256: string, allowNewFace: boolean): Promise<string | null> {
  const same = await registry.db.selectFrom('captures').innerJoin('parts', 'parts.id', 'captures.part_id').select(['parts.serial', 'captures.id']).where('captures.blob_hash', '=', sha256).executeTakeFirst();
  if (same) return `the same image is stored already as capture #${same.id} of ${same.serial}`;
  const part = await registry.parts.get(serial);
  if (!part) return null;
  if (!allowNewFace) return `part ${serial} is registered already`;
  const caps = await registry.captures.listForPart(serial);
  const clash = caps.find((c) => (c.face ?? null) === face);
  return clash ? `part ${serial} is registered already with a capture of ${face === null ? 'no named face' : `face ${face}`} (#${clash.id})` : null;
}
