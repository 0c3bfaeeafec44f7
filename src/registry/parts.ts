/** Parts and their free attributes. Only this file touches the parts and part_attributes tables. */
import { type Kysely, type Selectable, sql } from 'kysely';
import { RegistryError } from '../core/index.js';
import { inTransaction, isUniqueViolation, nowIso, type RepoContext } from './context.js';
import type { Database, PartsTable } from './schema.js';
import type { Attributes, ListPartsQuery, NewPart, Part } from './types.js';

type PartRow = Selectable<PartsTable>;

/** The longest serial accepted on every path (CLI, CSV import, API, EPCIS), in characters. */
export const SERIAL_MAX_LENGTH = 200;

/** A value for an error message: JSON-quoted (so NUL shows as \u0000), cut to 60 characters. */
function preview(value: string): string {
  const cut = [...value.slice(0, 120)].slice(0, 60).join('');
  return `${JSON.stringify(cut)}${cut.length < value.length ? '...' : ''}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a text cannot be stored as it is on both databases, or null: PostgreSQL refuses NUL, and a
 * lone surrogate would be stored as U+FFFD, silently turning two different values into one.
 */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL byte (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (it has a lone surrogate)';
  return null;
}

/** Why `serial` is not a valid serial, or null. The one rule for every path into the registry. */
export function serialProblem(serial: unknown): string | null {
  if (typeof serial !== 'string' || serial.trim() === '') return 'serial is missing or empty';
  const text = textProblem(serial);
  if (text) return `serial ${preview(serial)} ${text}`;
  if (serial.includes('\ufffd')) {
    return `serial ${preview(serial)} contains U+FFFD, the mark of bytes that were not valid UTF-8; re-encode the source as UTF-8`;
  }
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0001-\u001f\u007f-\u009f]/.exec(serial);
  if (control) return `serial ${preview(serial)} contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  let length = 0;
  for (let i = 0; i < serial.length; i++) if (serial.charCodeAt(i) < 0xdc00 || serial.charCodeAt(i) > 0xdfff) length++; // code points, as JSON schema's maxLength counts them
  if (length > SERIAL_MAX_LENGTH) return `serial ${preview(serial)} is ${length} characters long; at most ${SERIAL_MAX_LENGTH} are allowed`;
  if (serial !== serial.trim()) return `serial ${preview(serial)} has leading or trailing spaces`;
  return null;
}

/** Returns a valid serial, or throws BAD_INPUT naming the problem. */
export function checkSerial(serial: unknown): string {
  const problem = serialProblem(serial);
  if (problem) throw new RegistryError(problem, { code: 'BAD_INPUT' });
  return serial as string;
}

/**
 * For lookups: a serial that no registered part can have because it cannot be stored (NUL, lone
 * surrogate, U+FFFD from bytes that were not UTF-8) is BAD_INPUT, not "not registered".
 */
export function checkLookupSerial(serial: string): string {
  if (typeof serial === 'string' && (textProblem(serial) || serial.includes('\ufffd'))) checkSerial(serial);
  return serial;
}

/** Returns a storable text, or throws BAD_INPUT naming the field and the problem. */
export function checkStoredText(field: string, value: string): string {
  const problem = textProblem(value);
  if (problem) throw new RegistryError(`${field} ${preview(value)} ${problem}`, { code: 'BAD_INPUT' });
  return value;
}

function checkAttributes(attrs: Record<string, string | null>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (name.trim() === '') throw new RegistryError('attribute name is empty', { code: 'BAD_INPUT' });
    checkStoredText('attribute name', name);
    if (value !== null && typeof value !== 'string') {
      throw new RegistryError(`attribute "${name}": value must be a string`, { code: 'BAD_INPUT' });
    }
    if (value !== null) checkStoredText(`attribute "${name}"`, value);
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
    if (part.partNumber) checkStoredText('part number', part.partNumber);
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
    checkLookupSerial(serial);
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
      checkStoredText('serial filter', query.serialContains);
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
