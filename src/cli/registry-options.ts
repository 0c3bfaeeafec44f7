/** `--data` / `--db` for every command that uses the registry. */
import type { Command } from 'commander';
import { PartprintError } from '../core/index.js';
import { type CaptureMeta, openRegistry, type Registry } from '../registry/index.js';

export interface RegistryCliOptions {
  data?: string;
  db?: string;
  maxPixels?: number;
}

function positiveInteger(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new PartprintError(`${name} "${v}": not a positive whole number`, { code: 'CONFIG' });
    return n;
  };
}

/**
 * Adds `--data <dir>`, `--db <url>` and `--max-pixels <n>` (defaults: PARTPRINT_DATA /
 * PARTPRINT_DB / PARTPRINT_MAX_PIXELS, ./partprint-data, imaging's limit).
 */
export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory: SQLite file and image blobs (env PARTPRINT_DATA, default ./partprint-data)')
    .option('--db <url>', 'database URL, postgres://... (env PARTPRINT_DB; default: SQLite file in the data directory)')
    .option('--max-pixels <n>', 'largest image accepted, width x height (env PARTPRINT_MAX_PIXELS; default 400000000)', positiveInteger('--max-pixels'));
}

export function openRegistryFromOptions(opts: RegistryCliOptions): Promise<Registry> {
  const envMax = process.env.PARTPRINT_MAX_PIXELS;
  return openRegistry({
    dataDir: opts.data ?? process.env.PARTPRINT_DATA ?? 'partprint-data',
    databaseUrl: opts.db ?? (process.env.PARTPRINT_DB || undefined),
    maxPixels: opts.maxPixels ?? (envMax ? positiveInteger('PARTPRINT_MAX_PIXELS')(envMax) : undefined),
  });
}

/** Opens the registry, runs `fn`, and closes it whatever happens. */
export async function withRegistry<T>(opts: RegistryCliOptions, fn: (reg: Registry) => Promise<T>): Promise<T> {
  const reg = await openRegistryFromOptions(opts);
  try {
    return await fn(reg);
  } finally {
    await reg.close();
  }
}

export interface CaptureCliOptions {
  face?: string;
  device?: string;
  pixelSizeUm?: number;
  lighting?: string;
  operator?: string;
  capturedAt?: string;
}

/** Adds the capture metadata options (--face, --device, --pixel-size-um, --lighting, --operator, --captured-at). */
export function addCaptureOptions(cmd: Command): Command {
  return cmd
    .option('--face <face>', 'face or side of the part shown, e.g. top')
    .option('--device <device>', 'camera or scanner')
    .option('--pixel-size-um <um>', 'micrometres per pixel', (v: string) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new PartprintError(`--pixel-size-um "${v}": not a positive number`, { code: 'CONFIG' });
      return n;
    })
    .option('--lighting <lighting>', 'lighting set-up')
    .option('--operator <name>', 'who took the picture')
    .option('--captured-at <time>', 'when it was taken, ISO 8601 (default: now)');
}

export function captureMetaFromOptions(opts: CaptureCliOptions): CaptureMeta {
  return {
    face: opts.face ?? null,
    device: opts.device ?? null,
    pixelSizeUm: opts.pixelSizeUm ?? null,
    lighting: opts.lighting ?? null,
    operator: opts.operator ?? null,
    capturedAt: opts.capturedAt ?? null,
  };
}
