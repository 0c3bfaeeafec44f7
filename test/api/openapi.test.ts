import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

type Json = Record<string, unknown>;

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

    // Every route the server answers (from Fastify's own route table) is in the document.
    const table = h.server.app.printRoutes({ commonPrefix: false });
    const registered: string[] = [];
    for (const line of table.split('\n')) {
      const m = /(\/\S*) \(([A-Z, ]+)\)/.exec(line.replace(/^[\s│├└─]+/, ''));
      if (!m) continue;
      for (const method of m[2].split(',').map((s) => s.trim())) if (method !== 'HEAD') registered.push(`${method} ${m[1]}`);
    }
    expect(registered.length).toBeGreaterThan(10);
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
    for (const r of registered) expect(documented, `route ${r} missing from /openapi.json`).toContain(r);

    // Every $ref resolves.
    walk(doc, (n) => {
      if (typeof n.$ref === 'string') expect(resolveRef(doc, n.$ref), n.$ref).toBeDefined();
    });
  });
});
