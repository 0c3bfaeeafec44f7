/**
 * Bulk import of a parts CSV (with the images it names) as a background job "import-parts".
 * The upload is checked before the job is queued: every image the CSV names must be one of the
 * uploaded files (paths relative to the CSV, no ".."), so a CSV cannot reach other server files.
 */
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PartprintError } from '../core/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { BulkUpload } from './bulk-upload.js';
import { safeRelativePath } from './bulk-upload.js';
import type { ImportRepository } from './import.repository.js';
import type { Job } from './jobs.repository.js';
import type { JobsService } from './jobs.service.js';

export const CSV_NAME = 'manifest.csv';

export class ImportService {
  constructor(
    private readonly repo: ImportRepository,
    private readonly jobs: JobsService,
    private readonly audit: AuditRepository,
  ) {
    jobs.define('import-parts', async (params, ctx) => {
      const dir = String(params.dir);
      try {
        const result = await this.repo.importCsv(path.join(dir, CSV_NAME), { dryRun: params.dryRun === true, onProgress: ctx.onProgress });
        if (!result.ok) {
          const first = result.rejected.slice(0, 3).map((r) => `row ${r.row}${r.serial ? ` (${r.serial})` : ''}: ${r.reason}`);
          throw Object.assign(new PartprintError(`${result.rejected.length} of ${result.rows} rows rejected, nothing imported: ${first.join('; ')}`, { code: 'BAD_INPUT' }), { result });
        }
        if (ctx.actor && !result.dryRun) await this.audit.record(ctx.actor, 'parts.import', null, { parts: result.parts, captures: result.captures });
        return result;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  /** Checks an uploaded CSV + images and queues the import. */
  async submit(upload: BulkUpload, dryRun: boolean, actor: string): Promise<Job> {
    try {
      if (!upload.files.csv?.length) throw new PartprintError('missing CSV: send it as multipart file field "csv"', { code: 'BAD_INPUT' });
      const text = await readFile(path.join(upload.dir, CSV_NAME), 'utf8');
      const uploaded = new Set(upload.files.images ?? []);
      // Browsers and multipart parsers drop folders from file names: "images/a.png" may arrive as
      // "a.png"; such a file is copied to the path the CSV names.
      const byBase = new Map<string, string>();
      for (const f of uploaded) byBase.set(path.posix.basename(f), byBase.has(path.posix.basename(f)) ? '' : f);
      for (const p of this.repo.imagePaths(text, 'uploaded CSV')) {
        const rel = safeRelativePath(p);
        if (rel === null) throw new PartprintError(`CSV image path "${p}" must be relative to the CSV, without ".."`, { code: 'BAD_INPUT' });
        if (uploaded.has(rel)) continue;
        const sent = byBase.get(path.posix.basename(rel));
        if (!sent) throw new PartprintError(`CSV names image "${p}" but no uploaded file has that name (send images as file field "images" with that file name)`, { code: 'BAD_INPUT' });
        await mkdir(path.dirname(path.join(upload.dir, rel)), { recursive: true });
        await copyFile(path.join(upload.dir, sent), path.join(upload.dir, rel));
        uploaded.add(rel);
      }
    } catch (err) {
      await rm(upload.dir, { recursive: true, force: true });
      throw err;
    }
    return this.jobs.submit('import-parts', { dir: upload.dir, dryRun, files: (upload.files.images ?? []).length, bytes: upload.totalBytes }, actor);
  }
}
