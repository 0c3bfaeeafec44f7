/**
 * Bulk import through the API: more than the ~58 images the multipart parts limit used to allow,
 * and a server killed (SIGKILL) during an import job: after the restart the job says what was
 * committed ("succeeded" with its counts when the COMMIT happened, "interrupted" with nothing
 * imported when not) and its upload folder is gone.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry, sha256Hex } from '../../src/registry/index.js';
import { createServer } from '../../src/server/index.js';
import { tempDir } from '../db/backends.js';
import { listFiles, writePartsCsv } from '../db/fixtures.js';
import { startHarness, type Harness } from './helpers.js';

const ADMIN = 'ppk_testadmin_0123456789abcdef0123456789';

/** The CSV and images written by writePartsCsv, as a bulk-import form. */
function bulkForm(csvFile: string): FormData {
  const dir = path.dirname(csvFile);
  const fd = new FormData();
  fd.append('csv', new Blob([readFileSync(csvFile)], { type: 'text/csv' }), 'manifest.csv');
  for (const name of readdirSync(path.join(dir, 'images')).sort()) {
    fd.append('images', new Blob([readFileSync(path.join(dir, 'images', name))], { type: 'image/png' }), `images/${name}`);
  }
  return fd;
}

let harness: Harness | undefined;
afterAll(async () => harness?.close());

describe('bulk import jobs', () => {
  it('takes 150 images in one upload (the multipart parts limit stopped at 58)', async () => {
    harness = await startHarness();
    const address = await harness.server.app.listen({ port: 0, host: '127.0.0.1' });
    const csv = await writePartsCsv(tempDir(), 150, { prefix: 'MANY', seed: 61, size: 16 });
    const res = await fetch(`${address}/api/jobs/import-parts`, { method: 'POST', headers: harness.auth('operator'), body: bulkForm(csv) });
    expect(res.status, await res.clone().text()).toBe(202);
    await harness.server.services.jobs.idle();
    const job = await harness.server.services.jobs.get(((await res.json()) as { id: number }).id);
    expect(job).toMatchObject({ status: 'succeeded', result: { ok: true, parts: 150, captures: 150 } });
  });

  it('after a kill -9 of the server mid-job, the job reports what was committed and its upload folder is removed', async () => {
    const dataDir = tempDir();
    const n = 150;
    const outcomes: string[] = [];
    // Kill once right after the COMMIT (the first image lands in the store), once before it.
    for (const [attempt, when] of (['commit', 'before-commit'] as const).entries()) {
      const csv = await writePartsCsv(tempDir(), n, { prefix: `JOB${attempt}`, seed: 70 + attempt, size: 24 });
      const first = sha256Hex(readFileSync(path.join(path.dirname(csv), 'images', `JOB${attempt}-0001.png`)));
      const firstFinal = path.join(dataDir, 'blobs', first.slice(0, 2), first.slice(2, 4), first);
      const server = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'main.ts'), 'serve', '--port', '0', '--rate-limit', '0', '--data', dataDir], {
        env: { ...process.env, PARTPRINT_ADMIN_KEY: ADMIN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const gone = new Promise((resolve) => server.on('close', resolve));
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /serving (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        server.on('close', (code) => reject(new Error(`server exited ${code}: ${out}`)));
      });
      const res = await fetch(`${address}/api/jobs/import-parts`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: bulkForm(csv) });
      expect(res.status).toBe(202);
      const jobId = ((await res.json()) as { id: number }).id;
      const upload = readdirSync(path.join(dataDir, 'tmp', 'imports')).map((d) => path.join(dataDir, 'tmp', 'imports', d));
      expect(upload).toHaveLength(1);
      // Poll about every millisecond for the moment, then SIGKILL.
      const until = Date.now() + 60_000;
      while (Date.now() < until && server.exitCode === null) {
        if (when === 'commit' ? existsSync(firstFinal) : true) break;
        await new Promise((r) => setTimeout(r, 1));
      }
      server.kill('SIGKILL');
      await gone;
      const stagedAtKill = listFiles(path.join(dataDir, 'blobs', '.staging')).length;

      // Restart (in this process): recovery, then the job table's verdict.
      const registry = await openRegistry({ dataDir });
      const restarted = await createServer({ registry, staticDir: null });
      try {
        const job = await restarted.services.jobs.get(jobId);
        const parts = (await registry.parts.list({ serialContains: `JOB${attempt}-` })).total;
        expect([0, n]).toContain(parts);
        if (parts === n) {
          expect(job).toMatchObject({ status: 'succeeded', result: { ok: true, parts: n, captures: n } });
          outcomes.push(`committed${stagedAtKill > 0 ? ' (killed while moving staged files)' : ''}`);
        } else {
          expect(job.status).toBe('interrupted');
          expect(job.error).toMatch(/nothing was imported/);
          outcomes.push('not committed');
        }
        for (const c of await registry.db.selectFrom('captures').select('blob_hash').execute()) expect(registry.blobs.has(c.blob_hash)).toBe(true);
        expect(upload.filter((d) => existsSync(d))).toEqual([]);
      } finally {
        await restarted.close();
        await registry.close();
      }
    }
    // The commit-time kill landed after the COMMIT, while the job row was not yet finished by
    // the runner: the case that used to read "failed" with every part stored.
    expect(outcomes[0]).toBe('committed (killed while moving staged files)');
  });
});
