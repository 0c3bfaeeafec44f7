import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/server/index.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

interface Probe {
  group: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  allowed: Role[];
  /** sent without its (multipart) body: allowed roles get a 4xx about the body */
  bodyless?: boolean;
}

/** One request per route group; `allowed` is the contract of roles.ts. */
export const PROBES: Probe[] = [
  { group: 'read parts', method: 'GET', url: '/api/parts', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'read jobs', method: 'GET', url: '/api/jobs', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'metrics', method: 'GET', url: '/metrics', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'whoami', method: 'GET', url: '/api/whoami', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'write parts', method: 'POST', url: '/api/parts', payload: { serial: 'AUTH-?' }, allowed: ['admin', 'operator'] },
  { group: 'set attributes', method: 'PATCH', url: '/api/parts/AUTH-BASE/attributes', payload: { attributes: { x: '1' } }, allowed: ['admin', 'operator'] },
  { group: 'read events', method: 'GET', url: '/api/parts/AUTH-BASE/events', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'analytics', method: 'GET', url: '/api/analytics/events?groupBy=type', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'epcis query', method: 'GET', url: '/api/epcis/events', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'record inspection', method: 'POST', url: '/api/parts/AUTH-BASE/events', payload: { type: 'inspected', occurredAt: '2026-11-21T10:00:00Z', fields: { result: 'pass' } }, allowed: ['admin', 'operator', 'inspector'] },
  { group: 'record installation', method: 'POST', url: '/api/parts/AUTH-BASE/events', payload: { type: 'installed', occurredAt: '2026-11-21T10:00:00Z' }, allowed: ['admin', 'operator'] },
  { group: 'epcis capture', method: 'POST', url: '/api/epcis/capture', payload: { type: 'EPCISDocument', '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'], schemaVersion: '2.0', creationDate: '2026-11-21T10:00:00Z', epcisBody: { eventList: [] } }, allowed: ['admin', 'operator'] },
  { group: 'import job', method: 'POST', url: '/api/jobs/import-parts', allowed: ['admin', 'operator'], bodyless: true },
  { group: 'models', method: 'GET', url: '/api/models', allowed: ['admin', 'operator', 'inspector', 'viewer'] },
  { group: 'activate model', method: 'POST', url: '/api/models/none/activate', allowed: ['admin'], bodyless: true },
  { group: 'source predict', method: 'POST', url: '/api/source/predict', allowed: ['admin', 'inspector'], bodyless: true },
  { group: 'register', method: 'POST', url: '/api/register', allowed: ['admin', 'operator'], bodyless: true },
  { group: 'add fingerprint', method: 'POST', url: '/api/parts/AUTH-BASE/fingerprints', allowed: ['admin', 'operator'], bodyless: true },
  { group: 'verify', method: 'POST', url: '/api/verify', allowed: ['admin', 'inspector'], bodyless: true },
  { group: 'identify', method: 'POST', url: '/api/identify', allowed: ['admin', 'inspector'], bodyless: true },
  { group: 'evidence', method: 'GET', url: '/api/evidence/000000000000000000000000', allowed: ['admin', 'operator', 'inspector', 'viewer'], bodyless: true },
  { group: 'evaluate identity job', method: 'POST', url: '/api/jobs/evaluate-identity', payload: { maxImpostor: 10 }, allowed: ['admin'] },
  { group: 'rebuild index job', method: 'POST', url: '/api/jobs/rebuild-index', allowed: ['admin'] },
  { group: 'keys', method: 'GET', url: '/api/keys', allowed: ['admin'] },
  { group: 'make keys', method: 'POST', url: '/api/keys', payload: { role: 'viewer', name: 'made in test' }, allowed: ['admin'] },
  { group: 'audit', method: 'GET', url: '/api/audit', allowed: ['admin'] },
];

let counter = 0;
function request(p: Probe, headers: Record<string, string>) {
  const payload = p.payload && JSON.parse(JSON.stringify(p.payload).replace('?', String(++counter)));
  return h.server.app.inject({ method: p.method, url: p.url, headers, ...(payload ? { payload } : {}) });
}

describe('auth', () => {
  it('lets each role reach exactly the route groups its permissions allow', async () => {
    await h.server.app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('admin'), payload: { serial: 'AUTH-BASE' } });
    for (const p of PROBES) {
      for (const role of ['admin', 'operator', 'inspector', 'viewer'] as const) {
        const res = await request(p, h.auth(role));
        if (p.allowed.includes(role)) {
          // allowed: past auth; a probe without a body may still be refused as a bad request
          expect([401, 403, 429], `${role} ${p.group}: ${res.body}`).not.toContain(res.statusCode);
          expect(res.statusCode, `${role} ${p.group}: ${res.body}`).toBeLessThan(p.bodyless ? 500 : 400);
        }
        else {
          expect(res.statusCode, `${role} ${p.group}`).toBe(403);
          expect(res.json().error.code).toBe('FORBIDDEN');
          expect(res.json().error.message).toContain(role);
        }
      }
    }
  });

  it('answers 401 to every protected route without a key, with a wrong key, a malformed header or a revoked key', async () => {
    const made = await h.server.services.keys.create({ role: 'admin', name: 'soon revoked' });
    const revoked = await h.server.app.inject({ method: 'DELETE', url: `/api/keys/${made.key.id}`, headers: h.auth('admin') });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    const variants: Array<[string, Record<string, string>]> = [
      ['missing', {}],
      ['wrong', { authorization: 'Bearer ppk_000000000000_not-a-real-secret' }],
      ['malformed', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['revoked', { authorization: `Bearer ${made.secret}` }],
      ['wrong x-api-key', { 'x-api-key': 'nope' }],
    ];
    for (const p of PROBES) {
      for (const [what, headers] of variants) {
        const res = await request(p, headers);
        expect(res.statusCode, `${what} key on ${p.group}`).toBe(401);
        expect(res.json().error.code).toBe('UNAUTHORIZED');
      }
    }
    // nothing was written by the refused requests
    const listed = await h.server.app.inject({ method: 'GET', url: '/api/parts?serial=AUTH-', headers: h.auth('viewer') });
    expect(listed.json().items.map((p: { serial: string }) => p.serial).every((s: string) => /^AUTH-(BASE|\d+)$/.test(s))).toBe(true);
  });

  it('accepts X-API-Key, reports the caller, and keys made through the API work once with the right role', async () => {
    const who = await h.server.app.inject({ method: 'GET', url: '/api/whoami', headers: { 'x-api-key': h.keys.inspector } });
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({ role: 'inspector', name: 'test inspector' });
    expect(who.json().permissions).toContain('verify');
    expect(who.json().permissions).not.toContain('parts:write');
    const made = await h.server.app.inject({ method: 'POST', url: '/api/keys', headers: h.auth('admin'), payload: { role: 'operator', name: 'line 3' } });
    expect(made.statusCode).toBe(201);
    const { secret, key } = made.json();
    expect(secret).toMatch(new RegExp(`^ppk_${key.id}_[A-Za-z0-9_-]{43}$`));
    const listed = await h.server.app.inject({ method: 'GET', url: '/api/keys', headers: h.auth('admin') });
    expect(JSON.stringify(listed.json())).not.toContain(secret);
    expect(JSON.stringify(listed.json())).not.toContain('secret_hash');
    const created = await h.server.app.inject({ method: 'POST', url: '/api/parts', headers: { authorization: `Bearer ${secret}` }, payload: { serial: 'BY-NEW-KEY' } });
    expect(created.statusCode).toBe(201);
    const badRole = await h.server.app.inject({ method: 'POST', url: '/api/keys', headers: h.auth('admin'), payload: { role: 'root', name: 'x' } });
    expect(badRole.statusCode).toBe(400);
  });

  it('leaves health and the OpenAPI document public', async () => {
    const health = await h.server.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
    expect((await h.server.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    const unknown = await h.server.app.inject({ method: 'GET', url: '/api/nothing-here', headers: h.auth('admin') });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
    // without a key, /api does not even say which routes exist
    expect((await h.server.app.inject({ method: 'GET', url: '/api/nothing-here' })).statusCode).toBe(401);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a key has spent its bucket, per key', async () => {
    const limited = await startHarness({ rateLimit: { perSecond: 0.5, burst: 3 } });
    try {
      const get = (role: Role) => limited.server.app.inject({ method: 'GET', url: '/api/parts', headers: limited.auth(role) });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await get('viewer')).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const refused = await get('viewer');
      expect(refused.json().error.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(2);
      // another key is not affected
      expect((await get('operator')).statusCode).toBe(200);
      // metrics counted the refusals
      const metrics = await limited.server.app.inject({ method: 'GET', url: '/metrics', headers: limited.auth('admin') });
      expect(metrics.body).toMatch(/partprint_http_requests_total\{method="GET",route="\/api\/parts",status="429"\} 3/);
    } finally {
      await limited.close();
    }
  });
});
