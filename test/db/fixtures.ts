/** Test images and registry snapshots shared by the database tests. */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createRng } from '../../src/core/index.js';
import { exportRegistry, type Registry } from '../../src/registry/index.js';
import { tempDir } from './backends.js';

/** A grey PNG of seeded noise (distinct seeds give distinct files). */
export async function noisePng(width: number, height: number, seed: number): Promise<Buffer> {
  const rng = createRng(seed);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer();
}

/** A 16-bit greyscale TIFF (sharp takes the sample depth from the Uint16Array). */
export async function tiff16(width: number, height: number): Promise<Buffer> {
  const data = new Uint16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 977) & 0xffff;
  // sharp's default TIFF compression is JPEG, which is 8-bit only; LZW keeps 16 bits.
  return sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'lzw' }).toBuffer();
}

/** A colour JPEG whose EXIF orientation asks for a 90-degree rotation (stored size w x h). */
export async function rotatedJpeg(width: number, height: number, orientation = 6): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3, 0);
  for (let i = 0; i < rgb.length; i += 3) rgb[i] = 200;
  return sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).withMetadata({ orientation }).toBuffer();
}

/** A live process's staging owner lock (blobs/.staging/<token>.lock): there while a registry is open. */
const OWNER_LOCK = /^o[0-9a-f]{16}\.lock$/;

/**
 * Every file under a folder (relative paths, sorted), including staging areas and temp files,
 * but not the owner lock files of open registries (see src/registry/blobs.ts).
 */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!(OWNER_LOCK.test(name) && path.basename(dir) === '.staging')) out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

export interface Snapshot {
  /** tables/<name>.jsonl contents from an export. */
  tables: Record<string, string>;
  /** Every file in the blob store (staging included). */
  blobFiles: string[];
}

/** Every table (as exported) and every file of the blob store. */
export async function snapshot(reg: Registry): Promise<Snapshot> {
  const dir = path.join(tempDir('pp-snap-'), 'x');
  const manifest = await exportRegistry(reg, dir);
  const tables: Record<string, string> = {};
  for (const t of manifest.tables) tables[t.name] = readFileSync(path.join(dir, 'tables', `${t.name}.jsonl`), 'utf8');
  return { tables, blobFiles: listFiles(path.join(reg.dataDir, 'blobs')) };
}

/** Writes a parts CSV with `n` rows (serials PREFIX-0001...), one distinct noise image each. */
export async function writePartsCsv(dir: string, n: number, options: { prefix?: string; seed?: number; size?: number } = {}): Promise<string> {
  const prefix = options.prefix ?? 'P';
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const lines = ['serial,part_number,image,face,pixel_size_um,captured_at,machine,build'];
  for (let i = 1; i <= n; i++) {
    const serial = `${prefix}-${String(i).padStart(4, '0')}`;
    const file = `images/${serial}.png`;
    writeFileSync(path.join(dir, file), await noisePng(options.size ?? 48, options.size ?? 48, (options.seed ?? 1) * 100_000 + i));
    lines.push(`${serial},bracket,${file},top,5.3,2026-01-0${1 + (i % 9)}T08:00:00Z,M0${i % 3},B${Math.ceil(i / 10)}`);
  }
  const csv = path.join(dir, 'manifest.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  return csv;
}
