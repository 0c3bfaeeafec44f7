/** Reading stored checks back (report JSON, photos by position). */
import type { Kysely } from 'kysely';
import { PartprintError } from '../core/index.js';
import type { Database, Registry } from '../registry/index.js';
import type { PlanTables } from './tables.js';
import type { CheckReport } from './types.js';

type Db = Kysely<Database & PlanTables>;
const db = (r: Registry) => r.db as unknown as Db;

export async function getCheck(registry: Registry, id: number): Promise<CheckReport> {
  const row = await db(registry).selectFrom('inspection_checks').select('report').where('id', '=', id).executeTakeFirst();
  if (!row) throw new PartprintError(`inspection check ${id} does not exist`, { code: 'NOT_FOUND' });
  return JSON.parse(row.report) as CheckReport;
}

export interface CheckSummary {
  id: number;
  assembly: string;
  assemblyType: string;
  ok: boolean;
  checkedAt: string;
  summary: string;
}

/** Checks, newest first (of one assembly when given). */
export async function listChecks(registry: Registry, options: { assembly?: string; limit?: number } = {}): Promise<CheckSummary[]> {
  let q = db(registry).selectFrom('inspection_checks as c').innerJoin('parts as p', 'p.id', 'c.assembly_part_id').select(['c.id', 'p.serial', 'c.assembly_type', 'c.ok', 'c.checked_at', 'c.report']);
  if (options.assembly) q = q.where('p.serial', '=', options.assembly);
  const rows = await q.orderBy('c.id', 'desc').limit(options.limit ?? 100).execute();
  return rows.map((r) => ({ id: Number(r.id), assembly: r.serial, assemblyType: r.assembly_type, ok: Number(r.ok) === 1, checkedAt: r.checked_at, summary: (JSON.parse(r.report) as CheckReport).summary }));
}

/** The stored photo of one position of a check. */
export async function checkImage(registry: Registry, id: number, position: string): Promise<{ bytes: Buffer; name: string | null }> {
  const row = await db(registry).selectFrom('inspection_check_positions').select(['blob_hash', 'filename']).where('check_id', '=', id).where('position', '=', position).executeTakeFirst();
  if (!row?.blob_hash) throw new PartprintError(`inspection check ${id} has no photo at position ${position}`, { code: 'NOT_FOUND' });
  return { bytes: await registry.blobs.read(row.blob_hash), name: row.filename };
}
