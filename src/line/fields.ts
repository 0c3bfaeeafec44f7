/**
 * Where a delivered image's serial and data come from: a file-name pattern
 * (`{serial}_{face}.png`), a sidecar beside the image (`NAME.json` or `NAME.csv`), and a MES feed
 * (CSV keyed by serial). Later sources override earlier ones; the MES feed, when given, is also the
 * list of serials the line may register ("unknown serial" otherwise).
 */
import { readFile } from 'node:fs/promises';
import { PartprintError, parseCsvTable } from '../core/index.js';
import type { CaptureMeta } from '../registry/index.js';

/** What one image delivers: the part (serial, part number, attributes) and the capture's metadata. */
export interface ItemData {
  serial: string | null;
  partNumber: string | null;
  attributes: Record<string, string>;
  meta: CaptureMeta;
}

const META_KEYS: Record<string, keyof CaptureMeta> = {
  face: 'face', device: 'device', lighting: 'lighting', operator: 'operator',
  pixel_size_um: 'pixelSizeUm', pixelSizeUm: 'pixelSizeUm', captured_at: 'capturedAt', capturedAt: 'capturedAt',
};
const IGNORED = new Set(['ext', 'image', 'file', '_']);

/**
 * Compiles a file-name pattern: `{name}` captures a field (no path separators), `*` matches
 * anything, everything else is literal; the whole name must match.
 *
 * @example compilePattern('{serial}_{face}.{ext}').exec('A-0001_top.png')?.groups // { serial: 'A-0001', face: 'top', ext: 'png' }
 */
export function compilePattern(pattern: string): RegExp {
  let src = '';
  const names = new Set<string>();
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new PartprintError(`file-name pattern "${pattern}": "{" without "}"`, { code: 'CONFIG' });
      const name = pattern.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new PartprintError(`file-name pattern "${pattern}": field name "${name}" must be letters, digits, _`, { code: 'CONFIG' });
      if (names.has(name)) throw new PartprintError(`file-name pattern "${pattern}": field "${name}" appears twice`, { code: 'CONFIG' });
      names.add(name);
      src += `(?<${name}>[^/\\\\]+?)`;
      i = end;
    } else if (c === '*') src += '.*?';
    else src += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

function emptyData(): ItemData {
  return { serial: null, partNumber: null, attributes: {}, meta: {} };
}

/** Merges name -> value pairs into item data (serial, part number, capture metadata, else attributes). */
export function mergeFields(into: ItemData, fields: Record<string, unknown>, where: string): ItemData {
  for (const [key, raw] of Object.entries(fields)) {
    if (raw === undefined || raw === null || raw === '') continue;
    if (key === 'attributes' && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (v !== null && v !== undefined && v !== '') into.attributes[k] = String(v);
      continue;
    }
    if (typeof raw === 'object') throw new PartprintError(`${where}: field "${key}" must be text or a number`, { code: 'BAD_INPUT' });
    const value = String(raw).trim();
    if (key === 'serial') into.serial = value;
    else if (key === 'part_number' || key === 'partNumber') into.partNumber = value;
    else if (key in META_KEYS) {
      const m = META_KEYS[key];
      if (m === 'pixelSizeUm') {
        const n = Number(value);
        if (!Number.isFinite(n) || n <= 0) throw new PartprintError(`${where}: pixel size "${value}" is not a positive number`, { code: 'BAD_INPUT' });
        into.meta.pixelSizeUm = n;
      } else into.meta[m] = value;
    } else if (!IGNORED.has(key)) into.attributes[key] = value;
  }
  return into;
}

/** Fields from the file name; null when the name does not match the pattern. */
export function fieldsFromName(name: string, pattern: RegExp): Record<string, string> | null {
  const m = pattern.exec(name);
  return m ? { ...(m.groups ?? {}) } : null;
}

/** A sidecar's fields: JSON object, or CSV with a header row and one data row. */
export function parseSidecar(text: string, kind: 'json' | 'csv', name: string): Record<string, unknown> {
  if (kind === 'json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new PartprintError(`sidecar ${name}: not valid JSON (${(err as Error).message})`, { code: 'BAD_INPUT', cause: err });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PartprintError(`sidecar ${name}: must be a JSON object`, { code: 'BAD_INPUT' });
    return v as Record<string, unknown>;
  }
  const rows = parseCsvTable(text, `sidecar ${name}`);
  if (rows.length !== 1) throw new PartprintError(`sidecar ${name}: expected a header row and one data row, found ${rows.length} data rows`, { code: 'BAD_INPUT' });
  return rows[0];
}

/** The MES feed: serial -> fields, re-read when the file changes. */
export class MesFeed {
  private rows = new Map<string, Record<string, string>>();
  private mtimeMs = -1;
  constructor(readonly file: string) {}

  async refresh(): Promise<void> {
    const { stat } = await import('node:fs/promises');
    const st = await stat(this.file).catch((err: unknown) => {
      throw new PartprintError(`MES feed ${this.file}: ${(err as Error).message}`, { code: 'NOT_FOUND', cause: err });
    });
    if (st.mtimeMs === this.mtimeMs) return;
    const rows = parseCsvTable(await readFile(this.file, 'utf8'), `MES feed ${this.file}`);
    if (rows.length > 0 && !('serial' in rows[0])) throw new PartprintError(`MES feed ${this.file}: no "serial" column (columns: ${Object.keys(rows[0]).join(', ')})`, { code: 'BAD_INPUT' });
    const next = new Map<string, Record<string, string>>();
    for (const r of rows) {
      const serial = (r.serial ?? '').trim();
      if (serial) next.set(serial, r);
    }
    this.rows = next;
    this.mtimeMs = st.mtimeMs;
  }

  get(serial: string): Record<string, string> | undefined {
    return this.rows.get(serial);
  }

  get size(): number {
    return this.rows.size;
  }
}

export interface ResolveSources {
  name: string;
  pattern: RegExp | null;
  sidecar: { text: string; kind: 'json' | 'csv'; name: string } | null;
  mes: MesFeed | null;
  defaults?: Partial<ItemData>;
}

export type Resolved = { ok: true; data: ItemData } | { ok: false; reason: 'no-serial' | 'unknown-serial' | 'bad-data'; detail: string };

/** Puts together what the name, the sidecar and the MES feed say about one image. */
export function resolveItem(s: ResolveSources): Resolved {
  const data = emptyData();
  if (s.defaults) {
    data.partNumber = s.defaults.partNumber ?? null;
    Object.assign(data.meta, s.defaults.meta ?? {});
    Object.assign(data.attributes, s.defaults.attributes ?? {});
  }
  try {
    if (s.pattern) {
      const f = fieldsFromName(s.name, s.pattern);
      if (f) mergeFields(data, f, `file name ${s.name}`);
      else if (!s.sidecar) return { ok: false, reason: 'no-serial', detail: `file name "${s.name}" does not match the pattern ${s.pattern.source} and there is no sidecar` };
    }
    if (s.sidecar) mergeFields(data, parseSidecar(s.sidecar.text, s.sidecar.kind, s.sidecar.name), `sidecar ${s.sidecar.name}`);
  } catch (err) {
    return { ok: false, reason: 'bad-data', detail: (err as Error).message };
  }
  if (!data.serial) return { ok: false, reason: 'no-serial', detail: `no serial for ${s.name} (from the file-name pattern or a sidecar)` };
  if (s.mes) {
    const row = s.mes.get(data.serial);
    if (!row) return { ok: false, reason: 'unknown-serial', detail: `serial ${data.serial} is not in the MES feed ${s.mes.file} (${s.mes.size} serials)` };
    try {
      mergeFields(data, row, `MES feed row ${data.serial}`);
    } catch (err) {
      return { ok: false, reason: 'bad-data', detail: (err as Error).message };
    }
  }
  return { ok: true, data };
}
