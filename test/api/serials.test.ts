/** The API holds serials to the registry's one rule: NUL, lone surrogates, over-long: 400, never 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('serials through the API', () => {
  it('refuses serials that cannot be stored with 400 naming the problem', async () => {
    const create = (serial: string) => h.server.app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial } });
    const nul = await create('A\u0000B');
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.message).toMatch(/contains a NUL byte/);
    const lone = await h.server.app.inject({ method: 'POST', url: '/api/parts', headers: { ...h.auth('operator'), 'content-type': 'application/json' }, payload: '{"serial":"X\\ud800"}' });
    expect(lone.statusCode).toBe(400);
    expect(lone.json().error.message).toMatch(/not valid Unicode/);
    expect((await create('L'.repeat(201))).statusCode).toBe(400);
    expect((await create('L'.repeat(200))).statusCode).toBe(201);
    const lookup = await h.server.app.inject({ method: 'GET', url: '/api/parts/A%00B', headers: h.auth('viewer') });
    expect(lookup.statusCode).toBe(400);
    const events = await h.server.app.inject({ method: 'POST', url: '/api/parts/A%00B/events', headers: h.auth('operator'), payload: { type: 'observed', occurredAt: '2026-01-01T00:00:00Z' } });
    expect(events.statusCode).toBe(400);
  });
});
