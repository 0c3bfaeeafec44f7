/**
 * Multipart upload of several files into one fresh folder (bulk import: a CSV plus the images it
 * names). File names keep safe relative sub-paths ("images/p1.png"); anything else is refused.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { PartprintError } from '../core/index.js';

export interface BulkUpload {
  dir: string;
  /** Uploaded files by field: relative paths inside `dir`. */
  files: Record<string, string[]>;
  fields: Record<string, string>;
  totalBytes: number;
}

/** A relative path with no "..", no absolute root, no backslashes or control characters. */
export function safeRelativePath(name: string): string | null {
  const clean = name.replace(/^\.\/+/, '');
  if (clean === '' || clean.length > 300 || clean.includes('\\') || [...clean].some((c) => c.charCodeAt(0) < 32) || clean.startsWith('/')) return null;
  const parts = clean.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return parts.join('/');
}

export async function readBulkUpload(
  request: FastifyRequest,
  options: { rootDir: string; maxBytes: number; maxFiles: number; fileFields: Record<string, string | null> },
): Promise<BulkUpload> {
  if (!request.isMultipart()) throw new PartprintError('expected a multipart/form-data body', { code: 'UNSUPPORTED' });
  const dir = path.join(options.rootDir, `bulk-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  const out: BulkUpload = { dir, files: {}, fields: {}, totalBytes: 0 };
  try {
    // `parts` counts files and fields together; the app-wide default (60) is for single uploads.
    for await (const part of request.parts({ limits: { files: options.maxFiles, fileSize: options.maxBytes, parts: options.maxFiles + 50 } })) {
      if (part.type !== 'file') {
        out.fields[part.fieldname] = String(part.value);
        continue;
      }
      if (!(part.fieldname in options.fileFields)) throw new PartprintError(`unexpected file field "${part.fieldname}" (expected ${Object.keys(options.fileFields).join(', ')})`, { code: 'BAD_INPUT' });
      // A fixed name (e.g. the CSV is always manifest.csv) or the client's file name.
      const fixed = options.fileFields[part.fieldname];
      const rel = fixed ?? safeRelativePath(part.filename);
      if (rel === null) throw new PartprintError(`file name "${part.filename}" is not a safe relative path`, { code: 'BAD_INPUT' });
      if (Object.values(out.files).some((l) => l.includes(rel))) throw new PartprintError(`file "${rel}" was sent twice`, { code: 'BAD_INPUT' });
      const target = path.join(dir, rel);
      await mkdir(path.dirname(target), { recursive: true });
      await pipeline(part.file, createWriteStream(target));
      if (part.file.truncated) throw new PartprintError(`${part.filename}: file is larger than the limit of ${options.maxBytes} bytes`, { code: 'TOO_LARGE' });
      out.totalBytes += part.file.bytesRead;
      (out.files[part.fieldname] ??= []).push(rel);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new PartprintError(`a file is larger than the limit of ${options.maxBytes} bytes`, { code: 'TOO_LARGE', cause: err });
    if (code === 'FST_PARTS_LIMIT') throw new PartprintError(`more than ${options.maxFiles} files (plus 50 fields) in one upload`, { code: 'TOO_LARGE', cause: err });
    if (code === 'FST_FILES_LIMIT') throw new PartprintError(`more than ${options.maxFiles} files in one upload`, { code: 'TOO_LARGE', cause: err });
    throw err;
  }
  return out;
}
