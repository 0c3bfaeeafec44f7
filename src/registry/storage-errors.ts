/**
 * What a failed write to the database or the blob store means for the user. A full disk shows up
 * as ENOSPC/EDQUOT (files), SQLITE_FULL (SQLite) or SQLSTATE 53100 (PostgreSQL); each becomes one
 * NO_SPACE error that names the cause, instead of whatever the rollback said afterwards.
 */
import { statfsSync } from 'node:fs';
import { PartprintError, RegistryError } from '../core/index.js';

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

/** The disk-full code in an error or its causes ("ENOSPC", "SQLITE_FULL", "53100"), if any. */
export function diskFullCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && DISK_FULL_CODES.has(e.code)) return e.code;
    if (/\b(SQLITE_FULL|database or disk is full|No space left on device|could not extend file)\b/i.test(String((e as Error).message ?? ''))) return 'ENOSPC';
  }
  return undefined;
}

/**
 * Like `diskFullCode`, but also for SQLite's "disk I/O error" (SQLITE_IOERR_*, which hides the
 * errno: creating the WAL or growing its index on a full disk) when the folder `dir` is on has no
 * room left (under 1 MiB free).
 */
export function diskFullCodeAt(err: unknown, dir: string): string | undefined {
  const direct = diskFullCode(err);
  if (direct) return direct;
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^SQLITE_(IOERR|CANTOPEN)/.test(code)) return undefined;
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 2 ** 20 ? `${code}, no space left` : undefined;
  } catch {
    return undefined;
  }
}

/** A NO_SPACE error naming the cause, for a write that stored nothing. */
export function diskFullError(code: string, context: string, cause: unknown): RegistryError {
  const what = code === '53100' ? 'SQLSTATE 53100, disk_full' : code;
  return new RegistryError(`${context}: disk full (${what}); nothing was stored. Free some space and try again`, { code: 'NO_SPACE', cause });
}

/** Turns a failed file or database write into a PartprintError (NO_SPACE for a full disk). */
export function storageError(err: unknown, context: string): PartprintError {
  if (err instanceof PartprintError) return err;
  const full = diskFullCode(err);
  if (full) return diskFullError(full, context, err);
  return new RegistryError(`${context} (${(err as Error)?.message ?? String(err)})`, { cause: err });
}
