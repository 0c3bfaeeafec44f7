import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisePng, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

function bulkForm(csv: string, images: Array<[string, Uint8Array]>, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('csv', new Blob([csv], { type: 'text/csv' }), 'parts.csv');
  for (const [name, bytes] of images) fd.append('images', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), name);
  return fd;
}

async function waitJob(id: number) {
  await h.server.services.jobs.idle();
  const res = await h.server.app.inject({ method: 'GET', url: `/api/jobs/${id}`, headers: h.auth('viewer') });
  return res.json();
}

describe('POST /api/jobs/import-parts', () => {
  it('imports a CSV with its images as a background job, recording who did it', async () => {
    const csv = ['serial,part_number,image,face,machine,tray_position', 'IMP-1,bracket,images/a.png,top,M01,A1', 'IMP-2,bracket,images/b.png;c.png,top,M02,A2', 'IMP-3,bracket,,,M01,B1'].join('\n');
    const res = await h.server.app.inject({
      method: 'POST',
      url: '/api/jobs/import-parts',
      headers: h.auth('operator'),
      payload: bulkForm(csv, [['images/a.png', await noisePng(1)], ['images/b.png', await noisePng(2)], ['c.png', await noisePng(3)]]),
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.headers.location).toBe(`/api/jobs/${res.json().id}`);
    const job = await waitJob(res.json().id);
    expect(job).toMatchObject({ kind: 'import-parts', status: 'succeeded', result: { ok: true, rows: 3, parts: 3, captures: 3 } });
    expect(job.progress.total).toBeGreaterThan(0);
    const part = await h.server.app.inject({ method: 'GET', url: '/api/parts/IMP-2', headers: h.auth('viewer') });
    expect(part.json()).toMatchObject({ partNumber: 'bracket', attributes: { machine: 'M02', tray_position: 'A2' } });
    expect(part.json().captures).toHaveLength(2);
    const audit = await h.server.app.inject({ method: 'GET', url: '/api/audit?limit=5', headers: h.auth('admin') });
    expect(audit.json().items.find((e: { action: string }) => e.action === 'parts.import')).toMatchObject({ details: { parts: 3, captures: 3 } });
  });

  it('fails the whole job, storing nothing, when one row is bad; the rejected rows are in the result', async () => {
    const csv = ['serial,image,machine', 'BAD-1,a.png,M01', 'BAD-2,corrupt.png,M01'].join('\n');
    const res = await h.server.app.inject({
      method: 'POST',
      url: '/api/jobs/import-parts',
      headers: h.auth('admin'),
      payload: bulkForm(csv, [['a.png', await noisePng(4)], ['corrupt.png', Buffer.from('not an image')]]),
    });
    expect(res.statusCode).toBe(202);
    const job = await waitJob(res.json().id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/1 of 2 rows rejected.*row 2 \(BAD-2\).*corrupt\.png/);
    expect(job.result.rejected).toHaveLength(1);
    const listed = await h.server.app.inject({ method: 'GET', url: '/api/parts?serial=BAD-', headers: h.auth('viewer') });
    expect(listed.json().total).toBe(0);
  });

  it('refuses CSVs that name files outside the upload, missing files, no CSV, and roles without parts:write', async () => {
    const post = (fd: FormData, role: 'operator' | 'inspector' = 'operator') => h.server.app.inject({ method: 'POST', url: '/api/jobs/import-parts', headers: h.auth(role), payload: fd });
    const escape = await post(bulkForm('serial,image\nESC-1,../../etc/hostname\n', []));
    expect(escape.statusCode).toBe(400);
    expect(escape.json().error.message).toMatch(/relative to the CSV/);
    const absolute = await post(bulkForm('serial,image\nESC-2,/etc/hostname\n', []));
    expect(absolute.statusCode).toBe(400);
    const missing = await post(bulkForm('serial,image\nMISS-1,nothere.png\n', [['other.png', await noisePng(5)]]));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/nothere\.png/);
    const noCsv = new FormData();
    noCsv.append('images', new Blob([new Uint8Array(await noisePng(6))]), 'x.png');
    expect((await post(noCsv)).statusCode).toBe(400);
    expect((await post(bulkForm('serial\nX-1\n', []), 'inspector')).statusCode).toBe(403);
    const jobs = await h.server.app.inject({ method: 'GET', url: '/api/jobs', headers: h.auth('viewer') });
    expect(jobs.json().total).toBe(2);
  });
});
