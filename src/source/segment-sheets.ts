/**
 * `source segment`: sheets + a positions manifest -> one PNG per part and a parts manifest CSV
 * (contracts: parts CSV) that `source dataset --from-manifest` or `parts import` reads.
 * Positions: synth's sheet manifest (sheet, serial, x0, y0, x1, y1, centre_x, centre_y, ...) or
 * a plain `serial,x,y[,width,height][,sheet]` CSV, in pixels on the sheet. A `serial_region`
 * column ("x0 y0 x1 y1" on the sheet) blanks the debossed serial so no model ever learns it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SourceError, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage, writeGreyPng, type GreyImage } from '../imaging/index.js';
import { formatCsv, parseCsv } from './csv.js';
import { cropImage, matchSheetPositions, segmentSheet, type SegmentOptions, type SheetPosition } from './segment.js';

const POSITION_COLUMNS = new Set(['sheet', 'serial', 'image', 'x', 'y', 'width', 'height', 'x0', 'y0', 'x1', 'y1', 'centre_x', 'centre_y', 'rotation_deg', 'serial_region', 'pixel_size_um']);

export interface SegmentSheetsOptions extends SegmentOptions {
  /** The positions CSV. */
  positions: string;
  /** Only this sheet image (default: every sheet named in the CSV, relative to its folder). */
  sheet?: string;
  out: string;
  /** Native pixel size for the output manifest (default: synth.json's pixelUm beside the CSV). */
  pixelSizeUm?: number;
  /** Keep pixels of other parts/background inside each box (default: masked to 0). */
  noMask?: boolean;
  onProgress?: ProgressListener;
}

export interface SegmentSheetsResult {
  parts: number;
  missing: string[];
  extraBlobs: number;
  manifest: string;
}

function positionOf(r: Record<string, string>, file: string, line: number): SheetPosition {
  const n = (k: string) => (r[k] === undefined || r[k].trim() === '' ? undefined : Number(r[k]));
  const bad = (what: string) => new SourceError(`${file}: row ${line} (${r.serial ?? '?'}): ${what}`, { code: 'BAD_INPUT' });
  if (!r.serial) throw bad('no serial');
  let pos: SheetPosition;
  if (n('centre_x') !== undefined && n('centre_y') !== undefined) pos = { serial: r.serial, x: n('centre_x') as number, y: n('centre_y') as number };
  else if (n('x0') !== undefined && n('y0') !== undefined && n('x1') !== undefined && n('y1') !== undefined) {
    pos = { serial: r.serial, x: n('x0') as number, y: n('y0') as number, width: (n('x1') as number) - (n('x0') as number), height: (n('y1') as number) - (n('y0') as number) };
  } else if (n('x') !== undefined && n('y') !== undefined) pos = { serial: r.serial, x: n('x') as number, y: n('y') as number, width: n('width'), height: n('height') };
  else throw bad('needs centre_x,centre_y or x0,y0,x1,y1 or x,y');
  if (![pos.x, pos.y, pos.width ?? 0, pos.height ?? 0].every(Number.isFinite)) throw bad('position is not a number');
  return pos;
}

/** Sets the debossed serial's box (`serial_region` = "x0 y0 x1 y1" on the sheet) to 0: the model must never see serials. */
function hideSerial(crop: GreyImage, at: { x: number; y: number }, region: string | undefined): void {
  const b = region?.trim().split(/[\s,;]+/).map(Number);
  if (!b || b.length !== 4 || !b.every(Number.isFinite)) return;
  const x0 = Math.max(0, Math.floor(b[0]) - at.x);
  const y0 = Math.max(0, Math.floor(b[1]) - at.y);
  const x1 = Math.min(crop.width, Math.ceil(b[2]) - at.x);
  const y1 = Math.min(crop.height, Math.ceil(b[3]) - at.y);
  for (let y = y0; y < y1; y++) crop.data.fill(0, y * crop.width + x0, y * crop.width + Math.max(x0, x1));
}

async function pixelSizeFrom(csv: string): Promise<number | undefined> {
  const info = path.join(path.dirname(csv), 'synth.json');
  if (!existsSync(info)) return undefined;
  try {
    const px = (JSON.parse(await readFile(info, 'utf8')) as { pixelUm?: unknown }).pixelUm;
    return typeof px === 'number' ? px : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cuts every sheet into part images and writes `out/images/<serial>.png` and `out/manifest.csv`.
 *
 * @example
 *   await segmentSheets({ positions: 'sheets/manifest.csv', out: 'parts' });
 */
export async function segmentSheets(o: SegmentSheetsOptions): Promise<SegmentSheetsResult> {
  let text: string;
  try {
    text = await readFile(o.positions, 'utf8');
  } catch (err) {
    throw new SourceError(`positions file ${o.positions} cannot be read`, { code: 'NOT_FOUND', cause: err });
  }
  const rows = parseCsv(text, o.positions);
  const hasSheet = rows.length > 0 && 'sheet' in rows[0];
  const groups = new Map<string, Array<{ row: Record<string, string>; pos: SheetPosition }>>();
  rows.forEach((row, i) => {
    let sheet: string;
    if (o.sheet) {
      if (hasSheet && path.basename(row.sheet) !== path.basename(o.sheet)) return;
      sheet = o.sheet;
    } else {
      if (!hasSheet || !row.sheet) throw new SourceError(`${o.positions}: row ${i + 2} names no sheet; give the sheet image on the command line`, { code: 'BAD_INPUT' });
      sheet = path.resolve(path.dirname(o.positions), row.sheet);
    }
    groups.set(sheet, [...(groups.get(sheet) ?? []), { row, pos: positionOf(row, o.positions, i + 2) }]);
  });
  if (groups.size === 0) throw new SourceError(`${o.positions}: no rows for ${o.sheet ?? 'any sheet'}`, { code: 'BAD_INPUT' });
  const pixelSize = o.pixelSizeUm ?? (await pixelSizeFrom(o.positions));
  const extraCols = Object.keys(rows[0]).filter((k) => !POSITION_COLUMNS.has(k));
  const header = ['serial', 'image', ...(pixelSize !== undefined ? ['pixel_size_um'] : []), ...extraCols];
  const lines: Array<Array<string | number>> = [];
  const missing: string[] = [];
  let extraBlobs = 0;
  const onProgress = o.onProgress ?? noProgress;
  let done = 0;
  await mkdir(path.join(o.out, 'images'), { recursive: true });
  for (const [sheet, entries] of groups) {
    const img = await readGreyImage(sheet);
    const match = matchSheetPositions(segmentSheet(img, o), entries.map((e) => e.pos));
    missing.push(...match.missing);
    extraBlobs += match.extra.length;
    for (const { serial, component } of match.matched) {
      const file = `images/${serial.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;
      const row = entries.find((e) => e.row.serial === serial)?.row ?? {};
      const crop = cropImage(img, o.noMask ? { ...component, mask: undefined } : component);
      hideSerial(crop, component, row.serial_region);
      await writeGreyPng(crop, path.join(o.out, file));
      lines.push([serial, file, ...(pixelSize !== undefined ? [pixelSize] : []), ...extraCols.map((c) => row[c] ?? '')]);
    }
    onProgress({ phase: 'segment', done: ++done, total: groups.size, detail: path.basename(sheet) });
  }
  const manifest = path.join(o.out, 'manifest.csv');
  await writeFile(`${manifest}.tmp`, formatCsv(header, lines));
  await rename(`${manifest}.tmp`, manifest);
  return { parts: lines.length, missing, extraBlobs, manifest };
}
