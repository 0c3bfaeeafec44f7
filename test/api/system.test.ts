import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
const staticDir = path.join(os.tmpdir(), `pp-static-${process.pid}`);
beforeAll(async () => {
  mkdirSync(path.join(staticDir, 'js'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>partprint</title>');
  writeFileSync(path.join(staticDir, 'js', 'app.js'), 'console.log(1)');
  h = await startHarness({ staticDir });
});
afterAll(async () => h?.close());

describe('metrics', () => {
  it('exposes request counters, latency histograms and registry sizes in Prometheus text format', async () => {
    const app = h.server.app;
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'M-1' } });
    for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/api/parts/M-1', headers: h.auth('viewer') });
    await app.inject({ method: 'GET', url: '/api/parts/NOPE', headers: h.auth('viewer') });
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: h.auth('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('partprint_http_requests_total{method="GET",route="/api/parts/:serial",status="200"} 3');
    expect(text).toContain('partprint_http_requests_total{method="GET",route="/api/parts/:serial",status="404"} 1');
    expect(text).toContain('partprint_http_requests_total{method="POST",route="/api/parts",status="201"} 1');
    expect(text).toMatch(/partprint_registry_rows\{table="parts"\} 1\n/);
    expect(text).toMatch(/partprint_registry_rows\{table="api_keys"\} 4\n/);
    // histogram buckets are cumulative and end with +Inf == count
    const buckets = [...text.matchAll(/partprint_http_request_duration_seconds_bucket\{method="GET",route="\/api\/parts\/:serial",le="([^"]+)"\} (\d+)/g)].map((m) => Number(m[2]));
    expect(buckets.length).toBe(13);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.at(-1)).toBe(4);
    expect(text).toMatch(/partprint_http_request_duration_seconds_count\{method="GET",route="\/api\/parts\/:serial"\} 4/);
    // every line is a comment or `name{labels} value`
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+)$/);
  });
});

describe('static web UI', () => {
  it('serves the UI files without a key while every /api route still needs one', async () => {
    const app = h.server.app;
    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('<title>partprint</title>');
    expect((await app.inject({ method: 'GET', url: '/js/app.js' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/parts' })).statusCode).toBe(401);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths).every((p: string) => p.startsWith('/api/') || p === '/epcis' || p.startsWith('/epcis/') || p === '/metrics' || p === '/openapi.json')).toBe(true);
  });
});
