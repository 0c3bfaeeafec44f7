/**
 * `parts import`: registers parts (attributes and images) from a CSV (format in docs: serial,
 * part_number, image, capture metadata, every other column an attribute). Every row is checked
 * first (images fully decoded); if any row is rejected nothing is stored and the result lists
 * each rejected row with its reason. Otherwise all parts and captures land in one transaction.
 */
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import path from 'node:path';
import { noProgress, RegistryError } from '../core/index.js';
import { sha256Hex } from './blobs.js';
import { checkCaptureMeta } from './captures.js';
import { parseCsv } from './csv.js';
import { inspectImage, readImageBytes } from './images.js';
import { refreshStatistics } from './introspect.js';
import { checkStoredText, serialProblem } from './parts.js';
import type { Registry } from './registry.js';
import type { Database } from './schema.js';
import type { Attributes, BulkOptions, CaptureMeta } from './types.js';

const CAPTURE_COLUMNS = ['face', 'device', 'pixel_size_um', 'lighting', 'operator', 'captured_at'] as const;
const RESERVED = new Set<string>(['serial', 'part_number', 'image', ...CAPTURE_COLUMNS]);

export interface CsvRejection {
  /** 1-based data row (the header is row 0). */
  row: number;
  /** Line in the file where the row starts. */
  line: number;
  serial: string | null;
  reason: string;
  /**
   * "conflict" when the row's only problem is its serial being registered already or repeated
   * in the file (exit 5), else "invalid" (exit 3).
   */
  kind: 'conflict' | 'invalid';
}

export interface CsvImportResult {
  /** True when every row passed and everything was stored (or would be, with dryRun). */
  ok: boolean;
  rows: number;
  parts: number;
  captures: number;
  rejected: CsvRejection[];
  dryRun: boolean;
}

export interface CsvImportOptions extends BulkOptions {
  /** Check every row but store nothing. */
  dryRun?: boolean;
  /** Stops the import (the transaction rolls back) when aborted. */
  signal?: AbortSignal;
  /**
   * Runs inside the import's transaction after every row is stored, just before the COMMIT, with
   * the result: what is written there commits with the import or not at all (e.g. a job's state).
   */
  beforeCommit?: (trx: Kysely<Database>, result: CsvImportResult) => Promise<void>;
}

interface PlannedImage {
  file: string;
  hash: string;
  format: string;
  width: number;
  height: number;
  bitDepth: 8 | 16;
}

interface PlannedRow {
  serial: string;
  partNumber: string | null;
  attributes: Attributes;
  meta: CaptureMeta;
  images: PlannedImage[];
}

function metaOf(get: (c: string) => string | undefined, problems: string[]): CaptureMeta {
  const pxText = get('pixel_size_um');
  let pixelSizeUm: number | null = null;
  if (pxText !== undefined) {
    pixelSizeUm = Number(pxText);
    if (!Number.isFinite(pixelSizeUm) || pixelSizeUm <= 0) {
      problems.push(`pixel_size_um "${pxText}" is not a positive number`);
      pixelSizeUm = null;
    }
  }
  const meta: CaptureMeta = { face: get('face') ?? null, device: get('device') ?? null, pixelSizeUm, lighting: get('lighting') ?? null, operator: get('operator') ?? null, capturedAt: get('captured_at') ?? null };
  try {
    return checkCaptureMeta(meta);
  } catch (err) {
    problems.push((err as Error).message);
    return meta;
  }
}

/**
 * Imports parts from a CSV file into the registry, all or nothing.
 * @example
 *   const r = await importPartsCsv(reg, 'parts/manifest.csv', { onProgress });
 *   if (!r.ok) for (const x of r.rejected) console.log(`row ${x.row}: ${x.reason}`);
 */
export async function importPartsCsv(reg: Registry, csvFile: string, options: CsvImportOptions = {}): Promise<CsvImportResult> {
  const onProgress = options.onProgress ?? noProgress;
  let bytes: Buffer;
  try {
    bytes = await readFile(csvFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new RegistryError(`${csvFile}: cannot read file (${code}${code === 'EISDIR' ? ': a folder, not a CSV file' : ''})`, { code: code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_INPUT', cause: err });
  }
  // Bytes that are not UTF-8 would become U+FFFD silently (two serials could become one): such
  // a file is decoded leniently only to name every row that has them, and those rows are refused.
  let text: string;
  let validUtf8 = true;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    validUtf8 = false;
    text = new TextDecoder('utf-8').decode(bytes);
  }
  const records = parseCsv(text, csvFile);
  if (records.length === 0) throw new RegistryError(`${csvFile}: file is empty (a header row is required)`, { code: 'BAD_INPUT' });
  const header = records[0].fields.map((h) => h.trim());
  if (!header.includes('serial')) throw new RegistryError(`${csvFile}: the header has no "serial" column`, { code: 'BAD_INPUT' });
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) throw new RegistryError(`${csvFile}: column "${dup}" appears twice in the header`, { code: 'BAD_INPUT' });
  if (header.some((h) => h === '')) throw new RegistryError(`${csvFile}: the header has an empty column name`, { code: 'BAD_INPUT' });
  const baseDir = path.dirname(path.resolve(csvFile));
  const rows = records.slice(1);

  // Pass 1: check every row, decoding every image once.
  const rejected: CsvRejection[] = [];
  const planned: PlannedRow[] = [];
  const seen = new Map<string, number>();
  for (const [i, rec] of rows.entries()) {
    options.signal?.throwIfAborted();
    onProgress({ phase: 'check', done: i, total: rows.length, detail: rec.fields[header.indexOf('serial')] });
    const problems: string[] = [];
    /** Problems that are conflicts with other serials (stored or in this file), not bad data. */
    const conflicts: string[] = [];
    if (!validUtf8) {
      const bad = rec.fields.findIndex((f) => f.includes('\ufffd'));
      if (bad >= 0) problems.push(`column "${header[bad] ?? bad + 1}" has bytes that are not valid UTF-8 (save the CSV as UTF-8)`);
    }
    if (rec.fields.length !== header.length) problems.push(`has ${rec.fields.length} fields, the header has ${header.length}`);
    const get = (col: string): string | undefined => {
      const v = rec.fields[header.indexOf(col)];
      return v === undefined || v === '' ? undefined : v;
    };
    const serial = get('serial')?.trim() ?? null;
    const badSerial = serial === null ? 'serial is empty' : serialProblem(serial);
    if (badSerial !== null) {
      if (validUtf8 || !serial?.includes('\ufffd')) problems.push(badSerial);
    } else if (seen.has(serial!)) conflicts.push(`serial "${serial}" also on row ${seen.get(serial!)}`);
    else seen.set(serial!, i + 1);
    const attributes: Attributes = {};
    for (const [c, col] of header.entries()) {
      if (!RESERVED.has(col) && rec.fields[c] !== undefined && rec.fields[c] !== '') {
        try {
          attributes[col] = checkStoredText(`attribute "${col}"`, rec.fields[c]);
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
    }
    const meta = metaOf(get, problems);
    const partNumber = get('part_number');
    if (partNumber !== undefined) {
      try {
        checkStoredText('part_number', partNumber);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    const images: PlannedImage[] = [];
    for (const rel of (get('image') ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
      const file = path.resolve(baseDir, rel);
      try {
        const img = await inspectImage(file, { name: rel, maxPixels: reg.maxPixels });
        images.push({ file, hash: sha256Hex(img.bytes), format: img.format, width: img.width, height: img.height, bitDepth: img.bitDepth });
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length + conflicts.length > 0) {
      rejected.push({ row: i + 1, line: rec.line, serial, reason: [...conflicts, ...problems].join('; '), kind: problems.length > 0 ? 'invalid' : 'conflict' });
    }
    else planned.push({ serial: serial!, partNumber: get('part_number') ?? null, attributes, meta, images });
  }
  // Serials already registered (checked for every row that has one).
  const serials = [...seen.keys()];
  for (let i = 0; i < serials.length; i += 500) {
    const found = await reg.db.selectFrom('parts').select('serial').where('serial', 'in', serials.slice(i, i + 500)).execute();
    for (const { serial } of found) {
      const row = seen.get(serial)!;
      const reason = `serial "${serial}" is already registered`;
      const earlier = rejected.find((r) => r.row === row);
      if (earlier) earlier.reason = `${reason}; ${earlier.reason}`;
      else rejected.push({ row, line: rows[row - 1].line, serial, reason, kind: 'conflict' });
    }
  }
  onProgress({ phase: 'check', done: rows.length, total: rows.length });
  rejected.sort((a, b) => a.row - b.row);
  const nImages = planned.reduce((n, p) => n + p.images.length, 0);
  const result: CsvImportResult = { ok: rejected.length === 0, rows: rows.length, parts: 0, captures: 0, rejected, dryRun: options.dryRun === true };
  if (!result.ok || options.dryRun) return { ...result, parts: result.ok ? planned.length : 0, captures: result.ok ? nImages : 0 };

  // Pass 2: store everything in one transaction; any fault rolls all of it back.
  const stored: CsvImportResult = { ...result, parts: planned.length, captures: nImages };
  await reg.transaction(async (trx, scope) => {
    let done = 0;
    for (const p of planned) {
      options.signal?.throwIfAborted();
      onProgress({ phase: 'import', done, total: planned.length, detail: p.serial });
      await scope.parts.create({ serial: p.serial, partNumber: p.partNumber, attributes: p.attributes });
      for (const img of p.images) {
        const bytes = await readImageBytes(img.file);
        if (sha256Hex(bytes) !== img.hash) throw new RegistryError(`${img.file}: file changed during the import`, { code: 'CONFLICT' });
        await scope.captures.addInspected(p.serial, { bytes, name: img.file, format: img.format, width: img.width, height: img.height, bitDepth: img.bitDepth }, p.meta);
      }
      done++;
    }
    onProgress({ phase: 'import', done, total: planned.length });
    await options.beforeCommit?.(trx, stored);
  });
  if (planned.length >= 1000) await refreshStatistics(reg.db, reg.dialect);
  return stored;
}
