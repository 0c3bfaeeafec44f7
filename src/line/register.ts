/**
 * One delivered image, registered exactly once. The journal (one row per file name + SHA-256 of its
 * bytes) says what became of every file; a file found again after a restart is recognised by its
 * row and only moved on, and one registered just before a kill (row not yet written) by its
 * capture, whose blob is these very bytes.
 */
import type { Kysely } from 'kysely';
import { PartprintError } from '../core/index.js';
import type { IdentityService } from '../identity/index.js';
import { sha256Hex, type Database, type Registry } from '../registry/index.js';
import type { ItemData } from './fields.js';
import { crashPoint } from './faults.js';
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
  /** Registers through identity's one registration path (its shortlist index and lock); share the server's instance there. */
  identity: IdentityService;
  /** A part already registered may get another capture of a face it has none of (default true); same face again = duplicate. */
  allowNewFace?: boolean;
}

async function journalRegistered(registry: Registry, source: string, sha256: string, serial: string, captureId: number): Promise<void> {
  await lineDb(registry.db).insertInto('line_items').values({ source, sha256, serial, status: 'registered', reason: null, detail: null, capture_id: captureId, processed_at: new Date().toISOString() }).execute();
}

/**
 * Registers (or rejects, with the reason) one image whose data has been resolved. `resolved`
 * carries the rejection found before (no serial, unknown serial).
 *
 * Exactly once: registration (part, capture, fingerprint: one transaction in identity) commits
 * first, the journal row after. A process killed between the two leaves a capture whose blob is
 * these very bytes: found again, the file is recognised by its SHA-256 as registered (for the same
 * serial) and only journalled, never registered twice.
 */
export async function registerLineItem(o: RegisterLineOptions, source: string, bytes: Uint8Array, resolved: { ok: true; data: ItemData } | { ok: false; reason: RejectReason; detail: string }): Promise<LineOutcome> {
  const { registry, identity } = o;
  const sha256 = sha256Hex(bytes);
  if (!resolved.ok) return journalReject(registry, source, sha256, null, resolved.reason, resolved.detail);
  const d = resolved.data;
  const serial = d.serial!;
  const face = d.meta.face ?? null;
  const stored = await registry.db.selectFrom('captures').innerJoin('parts', 'parts.id', 'captures.part_id').select(['parts.serial', 'captures.id']).where('captures.blob_hash', '=', sha256).executeTakeFirst();
  if (stored && stored.serial === serial) {
    // Registered before a kill, journal row missing: record it now.
    await journalRegistered(registry, source, sha256, serial, Number(stored.id));
    return { status: 'registered', serial, captureId: Number(stored.id), keypoints: 0, newPart: false };
  }
  if (stored) return journalReject(registry, source, sha256, serial, 'duplicate', `the same image is stored already as capture #${stored.id} of ${stored.serial}`);
  const dup = await duplicateOf(registry, serial, face, o.allowNewFace !== false);
  if (dup) return journalReject(registry, source, sha256, serial, 'duplicate', dup);
  const isNew = !(await registry.parts.get(serial));
  let out;
  try {
    out = await identity.register(serial, bytes, d.meta, { name: source, ...(isNew ? { newPart: { serial, partNumber: d.partNumber, attributes: d.attributes } } : {}) });
  } catch (err) {
    if (err instanceof PartprintError && err.code === 'CONFLICT') return journalReject(registry, source, sha256, serial, 'duplicate', err.message);
    if (err instanceof PartprintError && ['CORRUPT', 'UNSUPPORTED', 'TOO_LARGE', 'BAD_INPUT'].includes(err.code)) return journalReject(registry, source, sha256, serial, 'corrupt', err.message);
    throw err;
  }
  if (out.status === 'rejected') return journalReject(registry, source, sha256, serial, 'quality', `${out.quality.reason}: ${out.quality.message}`);
  crashPoint('AFTER_COMMIT');
  await journalRegistered(registry, source, sha256, serial, out.capture.id);
  return { status: 'registered', serial, captureId: out.capture.id, keypoints: out.keypoints, newPart: isNew };
}

/** Why this image would be a duplicate (null when it is not): the part has a capture of this face already. */
async function duplicateOf(registry: Registry, serial: string, face: string | null, allowNewFace: boolean): Promise<string | null> {
  const part = await registry.parts.get(serial);
  if (!part) return null;
  if (!allowNewFace) return `part ${serial} is registered already`;
  const caps = await registry.captures.listForPart(serial);
  const clash = caps.find((c) => (c.face ?? null) === face);
  return clash ? `part ${serial} is registered already with a capture of ${face === null ? 'no named face' : `face ${face}`} (#${clash.id})` : null;
}
