import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

type Json = Record<string, unknown>;

/** The API's route list (the contract the web UI codes against). */
const EXPECTED_ROUTES = [
  'GET /openapi.json',
  'GET /api/health',
  'GET /metrics',
  'GET /api/whoami',
  'GET /api/keys',
  'POST /api/keys',
  'DELETE /api/keys/:id',
  'GET /api/audit',
  'GET /api/jobs',
  'GET /api/jobs/:id',
  'GET /api/jobs/:id/events',
  'POST /api/jobs/import-parts',
  'POST /api/jobs/evaluate-identity',
  'POST /api/jobs/rebuild-index',
  'POST /api/jobs/evaluate-source',
  'POST /api/parts',
  'GET /api/parts',
  'GET /api/parts/:serial',
  'PATCH /api/parts/:serial/attributes',
  'POST /api/parts/:serial/captures',
  'GET /api/captures/:id',
  'GET /api/captures/:id/image',
  'POST /api/parts/:serial/events',
  'GET /api/parts/:serial/events',
  'GET /api/epcis/events',
  'POST /api/epcis/capture',
  'GET /api/analytics/events',
  'GET /api/models',
  'POST /api/models',
  'POST /api/models/:name/activate',
  'POST /api/source/predict',
  'POST /api/register',
  'POST /api/parts/:serial/fingerprints',
  'POST /api/verify',
  'POST /api/identify',
  'GET /api/evidence/:id',
];

function resolveRef(doc: Json, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}

function walk(node: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Json);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

describe('GET /openapi.json', () => {
  it('is public, OpenAPI 3.1, and lists every registered API route with responses and security', async () => {
    const res = await h.server.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as Json & { paths: Record<string, Record<string, Json>> };
    expect(doc.openapi).toBe('3.1.0');
    expect((doc.info as Json).title).toBe('partprint');

    const documented = new Set<string>();
    const operationIds = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        documented.add(`${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
        expect(typeof op.operationId).toBe('string');
        expect(operationIds.has(op.operationId as string)).toBe(false);
        operationIds.add(op.operationId as string);
        expect(Object.keys(op.responses as Json).length).toBeGreaterThan(0);
        // path parameters are declared for every {name} in the path
        for (const name of [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
          expect((op.parameters as Json[]).some((x) => x.name === name && x.in === 'path' && x.required === true)).toBe(true);
        }
        if (p.startsWith('/api/') && p !== '/api/health') {
          expect(op.security).toEqual([{ bearer: [] }]);
          expect((op.responses as Json)['401']).toBeDefined();
          expect((op.responses as Json)['403']).toBeDefined();
        }
      }
    }
    // Every documented operation is a route the server has, and every route group is documented.
    for (const op of documented) {
      const [method, url] = op.split(' ');
      expect(h.server.app.hasRoute({ method: method as 'GET', url }), op).toBe(true);
    }
    for (const r of EXPECTED_ROUTES) expect(documented, `route ${r} missing from /openapi.json`).toContain(r);

    // Every $ref resolves.
    walk(doc, (n) => {
      if (typeof n.$ref === 'string') expect(resolveRef(doc, n.$ref), n.$ref).toBeDefined();
    });
  });
});
