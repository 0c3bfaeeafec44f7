/**
 * Bulk import of a parts CSV (with the images it names) as a background job "import-parts".
 * The upload is checked before the job is queued: every image the CSV names must be one of the
 * uploaded files (paths relative to the CSV, no ".."), so a CSV cannot reach other server files.
 */
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
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
    /** Where uploads wait for their job (DATA/tmp/imports). */
    readonly uploadsDir: string,
  ) {
    const interruptedMessage = (job: Job) =>
      job.params.dryRun === true
        ? 'interrupted: the server stopped before the check finished (a dry run stores nothing)'
        : 'interrupted: the server stopped before the import committed; nothing was imported (all rows commit at once), submit it again';
    jobs.define('import-parts', async (params, ctx) => {
      const dir = String(params.dir);
      try {
        // The job row turns "succeeded" in the import's own transaction: a kill after the COMMIT
        // cannot leave committed parts behind a job that reads as failed.
        const result = await this.repo.importCsv(path.join(dir, CSV_NAME), { dryRun: params.dryRun === true, onProgress: ctx.onProgress, beforeCommit: (trx, r) => ctx.succeedIn(trx, r) });
        if (!result.ok) {
          const first = result.rejected.slice(0, 3).map((r) => `row ${r.row}${r.serial ? ` (${r.serial})` : ''}: ${r.reason}`);
          throw Object.assign(new PartprintError(`${result.rejected.length} of ${result.rows} rows rejected, nothing imported: ${first.join('; ')}`, { code: 'BAD_INPUT' }), { result });
        }
        if (ctx.actor && !result.dryRun) await this.audit.record(ctx.actor, 'parts.import', null, { parts: result.parts, captures: result.captures });
        return result;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, { interruptedMessage, onInterrupted: (job) => this.removeUpload(job.params.dir) });
  }

  /** Removes an upload folder, if it is one of ours (under `uploadsDir`). */
  private async removeUpload(dir: unknown): Promise<void> {
    if (typeof dir !== 'string') return;
    const rel = path.relative(this.uploadsDir, dir);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * At start, after interrupted jobs are marked: removes every upload folder no queued or running
   * job names (one server runs the jobs of a data folder, so at start none is in use; a job that
   * committed just before a kill never reached the clean-up in its handler). Returns how many.
   */
  async removeStaleUploads(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.uploadsDir);
    } catch {
      return 0;
    }
    const active = new Set((await this.jobs.list(1000, 0)).items.filter((j) => j.status === 'queued' || j.status === 'running').map((j) => String(j.params.dir)));
    let removed = 0;
    for (const name of names) {
      const dir = path.join(this.uploadsDir, name);
      if (active.has(dir)) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
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
