/**
 * Dataset export for the trainer (docs/source-spec.md section 1): `dataset.json` plus 8-bit
 * greyscale PNGs already downscaled. Candidates come from the registry (source-registry.ts) or
 * from a synth manifest CSV. The folder appears whole or not at all (written aside, then renamed).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SourceError, noProgress, type ProgressListener } from '../core/index.js';
import { readGreyImage, writeGreyPng } from '../imaging/index.js';
import { parseCsv } from './csv.js';
import { downscaleBox } from './roi.js';
import { checkNoLeak, type DatasetCandidate, type SplitName, type SplitPlan } from './split.js';

export interface DatasetItem {
  id: string;
  serial: string;
  captureId: number | null;
  /** Relative to the dataset folder. */
  file: string;
  label: number;
  split: SplitName;
}

export interface DatasetFile {
  schemaVersion: 1;
  attribute: string;
  classes: string[];
  /** Native pixel size in micrometres (before downscaling), null when unknown or mixed. */
  pixelSizeUm: number | null;
  downscale: number;
  seed: number;
  items: DatasetItem[];
  [key: string]: unknown;
}

/**
 * Reads a synth parts manifest (contracts: parts CSV): one candidate per image of every row that
 * has the attribute. Image paths are relative to the manifest's folder.
 */
export async function candidatesFromManifest(file: string, attribute: string): Promise<DatasetCandidate[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SourceError(`manifest ${file} cannot be read`, { code: 'NOT_FOUND', cause: err });
  }
  const rows = parseCsv(text, file);
  if (rows.length > 0 && !('serial' in rows[0])) throw new SourceError(`manifest ${file} has no "serial" column`, { code: 'BAD_INPUT' });
  if (rows.length > 0 && !(attribute in rows[0])) throw new SourceError(`manifest ${file} has no "${attribute}" column`, { code: 'BAD_INPUT' });
  const base = path.dirname(file);
  const out: DatasetCandidate[] = [];
  for (const row of rows) {
    const label = row[attribute]?.trim();
    const images = (row.image ?? '').split(';').map((s) => s.trim()).filter(Boolean);
    if (!label || images.length === 0) continue;
    const px = row.pixel_size_um ? Number(row.pixel_size_um) : NaN;
    for (const img of images) {
      out.push({ serial: row.serial, label, captureId: null, image: path.resolve(base, img), pixelSizeUm: Number.isFinite(px) ? px : null, attributes: row });
    }
  }
  return out;
}

function commonPixelSize(items: DatasetCandidate[]): number | null {
  const sizes = new Set(items.map((i) => i.pixelSizeUm));
  return sizes.size === 1 ? [...sizes][0] : null;
}

function itemId(c: DatasetCandidate, n: number): string {
  const safe = c.serial.replace(/[^A-Za-z0-9._-]/g, '_');
  return c.captureId !== null ? `${safe}-c${c.captureId}` : `${safe}-i${n}`;
}

export interface WriteDatasetOptions {
  out: string;
  attribute: string;
  downscale: number;
  seed: number;
  /** Replace an existing dataset folder. */
  force?: boolean;
  onProgress?: ProgressListener;
}

/**
 * Writes the planned split: every image read, downscaled (box mean, rounded to 8 bit) and saved
 * as `images/<id>.png`; `dataset.json` last. Bad images fail the whole export, naming the file.
 */
export async function writeDataset(plan: SplitPlan, options: WriteDatasetOptions): Promise<DatasetFile> {
  const { out } = options;
  checkNoLeak(plan.items);
  if (existsSync(out) && (await readdir(out)).length > 0 && !options.force) {
    throw new SourceError(`${out} exists and is not empty (use --force to replace it)`, { code: 'CONFLICT' });
  }
  const tmp = `${out.replace(/[\\/]+$/, '')}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(path.join(tmp, 'images'), { recursive: true });
  const onProgress = options.onProgress ?? noProgress;
  const counters = new Map<string, number>();
  const items: DatasetItem[] = plan.items.map((c) => {
    const n = (counters.get(c.serial) ?? 0) + 1;
    counters.set(c.serial, n);
    const id = itemId(c, n);
    return { id, serial: c.serial, captureId: c.captureId, file: `images/${id}.png`, label: plan.classes.indexOf(c.label), split: c.split };
  });
  try {
    let done = 0;
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < items.length && !failed) {
        const i = next++;
        try {
          const img = await readGreyImage(plan.items[i].image);
          await writeGreyPng(downscaleBox(img, options.downscale), path.join(tmp, items[i].file));
        } catch (err) {
          failed = true;
          throw err;
        }
        onProgress({ phase: 'export', done: ++done, total: items.length, detail: items[i].id });
      }
    };
    // Wait for both workers before cleaning up, so nothing writes into a removed folder.
    const settled = await Promise.allSettled([worker(), worker()]);
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    const dataset: DatasetFile = {
      schemaVersion: 1,
      attribute: options.attribute,
      classes: plan.classes,
      pixelSizeUm: commonPixelSize(plan.items),
      downscale: options.downscale,
      seed: options.seed,
      items,
      unusedParts: plan.unused,
    };
    await writeFile(path.join(tmp, 'dataset.json'), `${JSON.stringify(dataset, null, 1)}\n`);
    if (existsSync(out)) await rm(out, { recursive: true, force: true });
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await rename(tmp, out);
    return dataset;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads and checks `DIR/dataset.json` (labels in range, no part on two splits). */
export async function readDataset(dir: string): Promise<DatasetFile> {
  const file = path.join(dir, 'dataset.json');
  let data: DatasetFile;
  try {
    data = JSON.parse(await readFile(file, 'utf8')) as DatasetFile;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SourceError(missing ? `dataset ${dir} has no dataset.json` : `${file} is not valid JSON`, { code: missing ? 'NOT_FOUND' : 'CORRUPT', cause: err });
  }
  if (data.schemaVersion !== 1 || !Array.isArray(data.classes) || !Array.isArray(data.items)) {
    throw new SourceError(`${file}: not a partprint dataset (schemaVersion 1 with classes and items)`, { code: 'CORRUPT' });
  }
  for (const it of data.items) {
    if (!Number.isInteger(it.label) || it.label < 0 || it.label >= data.classes.length) {
      throw new SourceError(`${file}: item ${it.id} has label ${it.label}, outside 0..${data.classes.length - 1}`, { code: 'CORRUPT' });
    }
  }
  checkNoLeak(data.items);
  return data;
}
