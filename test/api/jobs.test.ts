import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // A real job: registers `count` parts through the registry, reporting progress after each.
  h.server.services.jobs.define('test-register', async (params, ctx) => {
    const count = Number(params.count);
    for (let i = 0; i < count; i++) {
      await h.registry.parts.create({ serial: `JOB-${params.prefix}-${i}` });
      ctx.onProgress({ phase: 'register', done: i + 1, total: count });
      await new Promise((r) => setTimeout(r, 15));
    }
    if (params.fail) throw new Error(`asked to fail after ${count} parts`);
    return { registered: count };
  });
});
afterAll(async () => h?.close());

interface SseEvent {
  event: string;
  data: { id: number; status: string; progress: { done: number; total: number } | null; result: unknown; error: string | null };
}

async function readSse(url: string, key: string): Promise<SseEvent[]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text(); // the server ends the stream when the job finishes
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const lines = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      return { event: lines.event, data: JSON.parse(lines.data) } as SseEvent;
    });
}

describe('jobs', () => {
  it('runs a job in the background, exposes its progress, and streams it as Server-Sent Events until it finishes', async () => {
    const address = await h.server.app.listen({ port: 0, host: '127.0.0.1' });
    const job = await h.server.services.jobs.submit('test-register', { count: 20, prefix: 'A' }, 'key:test (test)');
    expect(job.status).toBe('queued');
    const events = await readSse(`${address}/api/jobs/${job.id}/events`, h.keys.viewer);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.event === 'job' && e.data.id === job.id)).toBe(true);
    const last = events.at(-1)!.data;
    expect(last.status).toBe('succeeded');
    expect(last.result).toEqual({ registered: 20 });
    expect(last.progress).toMatchObject({ done: 20, total: 20 });
    const dones = events.map((e) => e.data.progress?.done ?? 0);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(events.some((e) => e.data.status === 'running' && (e.data.progress?.done ?? 0) > 0 && (e.data.progress?.done ?? 0) < 20)).toBe(true);

    const got = await h.server.app.inject({ method: 'GET', url: `/api/jobs/${job.id}`, headers: h.auth('viewer') });
    expect(got.json()).toMatchObject({ id: job.id, kind: 'test-register', status: 'succeeded', createdBy: 'key:test (test)' });
    expect(got.json().startedAt <= got.json().finishedAt).toBe(true);
    expect((await h.registry.parts.list({ serialContains: 'JOB-A-' })).total).toBe(20);
  });

  it('records a failing job with its error, and a finished job streams once and ends', async () => {
    const job = await h.server.services.jobs.submit('test-register', { count: 2, prefix: 'B', fail: true }, null);
    await h.server.services.jobs.idle();
    const got = await h.server.app.inject({ method: 'GET', url: `/api/jobs/${job.id}`, headers: h.auth('viewer') });
    expect(got.json()).toMatchObject({ status: 'failed', error: 'asked to fail after 2 parts' });
    const address = h.server.app.server.address() as { port: number };
    const events = await readSse(`http://127.0.0.1:${address.port}/api/jobs/${job.id}/events`, h.keys.viewer);
    expect(events.map((e) => e.data.status)).toEqual(['failed']);
    const list = await h.server.app.inject({ method: 'GET', url: '/api/jobs?limit=1', headers: h.auth('viewer') });
    expect(list.json().items[0].id).toBe(job.id);
    const missing = await h.server.app.inject({ method: 'GET', url: '/api/jobs/99999', headers: h.auth('viewer') });
    expect(missing.statusCode).toBe(404);
    await expect(h.server.services.jobs.submit('no-such-kind', {}, null)).rejects.toThrow(/unknown job kind/);
  });

  it('marks jobs a stopped server left behind as interrupted on start', async () => {
    const { JobsRepository } = await import('../../src/server/jobs.repository.js');
    const { serverDb } = await import('../../src/server/index.js');
    const repo = new JobsRepository(serverDb(h.registry.db));
    const orphan = await repo.insert('test-register', { count: 1 }, null);
    await repo.markRunning(orphan.id);
    expect(await h.server.services.jobs.start()).toBe(1);
    expect((await repo.get(orphan.id))!.status).toBe('interrupted');
    expect((await repo.get(orphan.id))!.error).toMatch(/interrupted/);
  });
});

describe('shutdown', () => {
  it('closes the server while a client is still listening to a job stream', async () => {
    const { startHarness: start } = await import('./helpers.js');
    const other = await start();
    other.server.services.jobs.define('slow', async (_p, ctx) => {
      for (let i = 0; i < 50; i++) {
        ctx.onProgress({ phase: 'wait', done: i, total: 50 });
        await new Promise((r) => setTimeout(r, 20));
      }
      return null;
    });
    const address = await other.server.app.listen({ port: 0, host: '127.0.0.1' });
    const job = await other.server.services.jobs.submit('slow', {}, null);
    const res = await fetch(`${address}/api/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${other.keys.viewer}` } });
    expect(res.status).toBe(200);
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    await res.text().catch(() => '');
  });
});
