/** Parts and their free attributes. Only this file touches the parts and part_attributes tables. */
import { type Kysely, type Selectable, sql } from 'kysely';
import { RegistryError } from '../core/index.js';
import { inTransaction, isUniqueViolation, nowIso, type RepoContext } from './context.js';
import type { Database, PartsTable } from './schema.js';
import type { Attributes, ListPartsQuery, NewPart, Part } from './types.js';

type PartRow = Selectable<PartsTable>;

export function checkSerial(serial: unknown): string {
  if (typeof serial !== 'string' || serial.trim() === '') throw new RegistryError('serial is missing or empty', { code: 'BAD_INPUT' });
  if (serial !== serial.trim()) throw new RegistryError(`serial "${serial}" has leading or trailing spaces`, { code: 'BAD_INPUT' });
  return serial;
}

function checkAttributes(attrs: Record<string, string | null>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (name.trim() === '') throw new RegistryError('attribute name is empty', { code: 'BAD_INPUT' });
    if (value !== null && typeof value !== 'string') {
      throw new RegistryError(`attribute "${name}": value must be a string`, { code: 'BAD_INPUT' });
    }
  }
}

async function attributesOf(db: Kysely<Database>, ids: number[]): Promise<Map<number, Attributes>> {
  const out = new Map<number, Attributes>(ids.map((id) => [id, {}]));
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db.selectFrom('part_attributes').select(['part_id', 'name', 'value']).where('part_id', 'in', chunk).orderBy('name').execute();
    for (const r of rows) out.get(r.part_id)![r.name] = r.value;
  }
  return out;
}

function toPart(row: PartRow, attributes: Attributes): Part {
  return { id: row.id, serial: row.serial, partNumber: row.part_number, attributes, createdAt: row.created_at, updatedAt: row.updated_at };
}

export class PartsRepo {
  constructor(private readonly ctx: RepoContext) {}

  /**
   * Registers a part. A serial that exists already is a CONFLICT error.
   * @example await reg.parts.create({ serial: 'A-0001', partNumber: 'bracket', attributes: { machine: 'M03' } })
   */
  async create(part: NewPart): Promise<Part> {
    const serial = checkSerial(part.serial);
    const attributes = part.attributes ?? {};
    checkAttributes(attributes);
    return inTransaction(this.ctx, async (tx) => {
      const existing = await tx.db.selectFrom('parts').select('id').where('serial', '=', serial).executeTakeFirst();
      if (existing) throw new RegistryError(`serial "${serial}" is already registered`, { code: 'CONFLICT' });
      const now = nowIso();
      let row: PartRow;
      try {
        row = await tx.db
          .insertInto('parts')
          .values({ serial, part_number: part.partNumber ?? null, created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err)) throw new RegistryError(`serial "${serial}" is already registered`, { code: 'CONFLICT', cause: err });
        throw err;
      }
      const names = Object.keys(attributes).sort();
      if (names.length > 0) {
        await tx.db.insertInto('part_attributes').values(names.map((name) => ({ part_id: row.id, name, value: attributes[name] }))).execute();
      }
      return toPart(row, Object.fromEntries(names.map((n) => [n, attributes[n]])));
    });
  }

  /** The part with this serial, or undefined when it is not registered (one query). */
  async get(serial: string): Promise<Part | undefined> {
    const rows = await this.ctx.db
      .selectFrom('parts')
      .leftJoin('part_attributes as pa', 'pa.part_id', 'parts.id')
      .selectAll('parts')
      .select(['pa.name as attr_name', 'pa.value as attr_value'])
      .where('parts.serial', '=', serial)
      .orderBy('pa.name')
      .execute();
    if (rows.length === 0) return undefined;
    const attributes: Attributes = {};
    for (const r of rows) if (r.attr_name !== null && r.attr_value !== null) attributes[r.attr_name] = r.attr_value;
    return toPart(rows[0], attributes);
  }

  async getById(id: number): Promise<Part | undefined> {
    const row = await this.ctx.db.selectFrom('parts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return toPart(row, (await attributesOf(this.ctx.db, [row.id])).get(row.id)!);
  }

  /** Like get, but a missing serial is a NOT_FOUND error (for commands that act on a part). */
  async require(serial: string): Promise<Part> {
    const part = await this.get(serial);
    if (!part) throw new RegistryError(`part "${serial}" is not registered`, { code: 'NOT_FOUND' });
    return part;
  }

  /** Parts matching every filter, ordered by id, with the total count before limit/offset. */
  async list(query: ListPartsQuery = {}): Promise<{ parts: Part[]; total: number }> {
    const { db } = this.ctx;
    let q = db.selectFrom('parts');
    // Each filter is driven by the (name, value) index: parts.id IN (matching part ids).
    for (const [name, value] of Object.entries(query.attributes ?? {})) {
      q = q.where('parts.id', 'in', (eb) => eb.selectFrom('part_attributes').select('part_id').where('name', '=', name).where('value', '=', value));
    }
    if (query.partNumber !== undefined) q = q.where('part_number', '=', query.partNumber);
    if (query.serialContains) {
      // Case-sensitive substring on both databases (LIKE differs in case handling between them).
      const fn = this.ctx.dialect === 'postgres' ? 'strpos' : 'instr';
      q = q.where(sql<boolean>`${sql.raw(fn)}(serial, ${query.serialContains}) > 0`);
    }
    const countRow = await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    let rowsQ = q.selectAll('parts').orderBy('parts.id');
    if (query.limit !== undefined) rowsQ = rowsQ.limit(query.limit);
    else if (query.offset !== undefined && this.ctx.dialect === 'sqlite') rowsQ = rowsQ.limit(-1);
    if (query.offset !== undefined) rowsQ = rowsQ.offset(query.offset);
    const rows = await rowsQ.execute();
    const attrs = await attributesOf(db, rows.map((r) => r.id));
    return { parts: rows.map((r) => toPart(r, attrs.get(r.id)!)), total: Number(countRow.n) };
  }

  async count(): Promise<number> {
    const row = await this.ctx.db.selectFrom('parts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Sets attributes of a registered part (other attributes stay); a null value removes one.
   * @example await reg.parts.setAttributes('A-0001', { build: 'B7', tray_position: null })
   */
  async setAttributes(serial: string, attributes: Record<string, string | null>): Promise<Part> {
    checkAttributes(attributes);
    return inTransaction(this.ctx, async (tx) => {
      const part = await new PartsRepo(tx).require(serial);
      for (const [name, value] of Object.entries(attributes)) {
        await tx.db.deleteFrom('part_attributes').where('part_id', '=', part.id).where('name', '=', name).execute();
        if (value !== null) await tx.db.insertInto('part_attributes').values({ part_id: part.id, name, value }).execute();
      }
      await tx.db.updateTable('parts').set({ updated_at: nowIso() }).where('id', '=', part.id).execute();
      return (await new PartsRepo(tx).get(serial))!;
    });
  }
}
