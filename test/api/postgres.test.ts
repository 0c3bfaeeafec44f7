/**
 * The API on PostgreSQL (`partprint serve --db postgres://...`): keys, concurrent registration of
 * one serial, jobs, events and metrics against a throwaway cluster (skips where PostgreSQL is absent,
 * fails instead under PARTPRINT_REQUIRE_ALL=1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { postgresBackend } from '../db/backends.js';
import { makeTexture, recapture } from '../helpers/test-images.js';
import { encodeGreyPng } from '../../src/imaging/index.js';
import { form, noisePng, startHarness, type Harness } from './helpers.js';

const backend = postgresBackend();
let h: Harness | undefined;
afterAll(async () => h?.close());

describe.skipIf(backend.skip !== undefined)('API on PostgreSQL', () => {
  it('serves parts, captures, events, jobs and metrics; one of many concurrent creations of a serial wins', async () => {
    h = await startHarness({}, await backend.fresh());
    const app = h.server.app;
    const health = await app.inject({ method: 'GET', url: '/api/health' });
    expect(health.json().database).toBe('postgres');

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => app.inject({ method: 'POST', url: '/api/parts', headers: h!.auth('operator'), payload: { serial: 'PG-RACE', attributes: { attempt: String(i) } } })));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(9);
    const stored = await app.inject({ method: 'GET', url: '/api/parts/PG-RACE', headers: h.auth('viewer') });
    expect(stored.json().attributes).toEqual(results.find((r) => r.statusCode === 201)!.json().attributes);

    const cap = await app.inject({ method: 'POST', url: '/api/parts/PG-RACE/captures', headers: h.auth('operator'), payload: form({ face: 'top' }, { name: 'a.png', bytes: await noisePng(11) }) });
    expect(cap.statusCode, cap.body).toBe(201);
    const ev = await app.inject({ method: 'POST', url: '/api/parts/PG-RACE/events', headers: h.auth('inspector'), payload: { type: 'inspected', occurredAt: '2026-11-21T10:00:00Z', fields: { result: 'fail' } } });
    expect(ev.statusCode, ev.body).toBe(201);
    const agg = await app.inject({ method: 'GET', url: '/api/analytics/events?groupBy=type', headers: h.auth('viewer') });
    expect(agg.json().rows).toEqual([{ key: 'inspected', events: 1, parts: 1 }]);

    const fd = new FormData();
    fd.append('csv', new Blob(['serial,machine\nPG-IMP-1,M01\nPG-IMP-2,M02\n']), 'parts.csv');
    const job = await app.inject({ method: 'POST', url: '/api/jobs/import-parts', headers: h.auth('operator'), payload: fd });
    expect(job.statusCode, job.body).toBe(202);
    await h.server.services.jobs.idle();
    const done = await app.inject({ method: 'GET', url: `/api/jobs/${job.json().id}`, headers: h.auth('viewer') });
    expect(done.json()).toMatchObject({ status: 'succeeded', result: { parts: 2 } });

    // identity: register (part + capture + fingerprint in one transaction) and verify
    const tex = await makeTexture(77, 320, 320);
    const reg = await app.inject({ method: 'POST', url: '/api/register', headers: h.auth('operator'), payload: form({ serial: 'PG-ID', attributes: '{"machine":"M09"}' }, { name: 'id.png', bytes: await encodeGreyPng(tex) }) });
    expect(reg.statusCode, reg.body).toBe(201);
    const again = await encodeGreyPng(await recapture(tex, { angleDeg: 5, seed: 2 }));
    const ver = await app.inject({ method: 'POST', url: '/api/verify', headers: h.auth('inspector'), payload: form({ serial: 'PG-ID', evidence: 'false' }, { name: 'probe.png', bytes: again }) });
    expect(ver.json()).toMatchObject({ decision: 'match', same: true });

    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: h.auth('viewer') });
    expect(metrics.body).toMatch(/partprint_registry_rows\{table="parts"\} 4/);
    expect(metrics.body).toMatch(/partprint_jobs\{status="succeeded"\} 1/);
  });
});
