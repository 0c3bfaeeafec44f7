/**
 * Multipart uploads: one file streamed to a temporary file under the data folder (bounded by the
 * byte limit, never held whole in memory by this code), plus form fields checked against a JSON
 * schema. The caller deletes the file with `cleanup()` when done.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { PartprintError } from '../core/index.js';
import { probeImage } from '../imaging/index.js';

export interface UploadedFile {
  path: string;
  filename: string;
  mimetype: string;
  bytes: number;
}

export interface Upload {
  fields: Record<string, string>;
  file: UploadedFile | null;
  cleanup(): Promise<void>;
}

export interface UploadOptions {
  tmpDir: string;
  maxBytes: number;
  /** JSON schema for the fields object. */
  fieldsSchema: Record<string, unknown>;
  /** Name of the file field (default "image"). */
  fileField?: string;
  fileRequired?: boolean;
  /** When set, the file must be an image of at most this many pixels (header probe). */
  maxPixels?: number;
}

export async function readUpload(request: FastifyRequest, options: UploadOptions): Promise<Upload> {
  if (!request.isMultipart()) throw new PartprintError('expected a multipart/form-data body', { code: 'UNSUPPORTED' });
  const fileField = options.fileField ?? 'image';
  await mkdir(options.tmpDir, { recursive: true });
  const fields: Record<string, string> = {};
  let file: UploadedFile | null = null;
  const temps: string[] = [];
  const cleanup = async () => {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== fileField) throw new PartprintError(`unexpected file field "${part.fieldname}" (send the image as "${fileField}")`, { code: 'BAD_INPUT' });
        if (file) throw new PartprintError(`more than one file in "${fileField}"`, { code: 'BAD_INPUT' });
        const tmp = path.join(options.tmpDir, `upload-${randomBytes(8).toString('hex')}`);
        temps.push(tmp);
        await pipeline(part.file, createWriteStream(tmp));
        if (part.file.truncated) throw tooLarge(part.filename, options.maxBytes);
        file = { path: tmp, filename: part.filename || 'upload', mimetype: part.mimetype, bytes: part.file.bytesRead };
      } else {
        fields[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
      }
    }
  } catch (err) {
    await cleanup();
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(file?.filename ?? 'upload', options.maxBytes);
    throw err;
  }
  if (!file && options.fileRequired !== false) {
    await cleanup();
    throw new PartprintError(`missing image file: send it as multipart field "${fileField}"`, { code: 'BAD_INPUT' });
  }
  const validate = request.compileValidationSchema(options.fieldsSchema);
  if (!validate(fields)) {
    await cleanup();
    const first = validate.errors?.[0];
    const where = first ? `${first.instancePath || '(form)'} ${first.message ?? ''}`.trim() : 'invalid form fields';
    throw new PartprintError(`form field ${where.replace(/^\//, '')}`, { code: 'BAD_INPUT' });
  }
  if (file && options.maxPixels !== undefined) {
    try {
      await probeImage(file.path, { maxPixels: options.maxPixels, name: file.filename });
    } catch (err) {
      await cleanup();
      throw err;
    }
  }
  return { fields, file, cleanup };
}

function tooLarge(name: string, max: number): PartprintError {
  return new PartprintError(`${name}: upload is larger than the limit of ${max} bytes`, { code: 'TOO_LARGE' });
}

/** At start: removes temporary upload files a killed server left behind (older than `minAgeMs`). */
export async function removeStaleTemps(tmpDir: string, minAgeMs = 60 * 60 * 1000): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.startsWith('upload-'))) {
    const file = path.join(tmpDir, name);
    const st = await stat(file).catch(() => null);
    if (!st || Date.now() - st.mtimeMs < minAgeMs) continue;
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}
