/**
 * Corrections (API and CLI): allowed only to a role that may record the corrected event's type,
 * or admin; a correction says why (notes) and the audit log says who, what and why.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured as cli } from '../helpers/cli.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.server.services.parts.create({ serial: 'COR-1' }, 'test');
});
afterAll(async () => h?.close());

type Role = 'operator' | 'inspector' | 'viewer' | 'admin';
const post = (role: Role, payload: object) => h.server.app.inject({ method: 'POST', url: '/api/parts/COR-1/events', headers: h.auth(role), payload });
const effective = async () =>
  (await h.server.app.inject({ method: 'GET', url: '/api/parts/COR-1/events?effectiveOnly=true', headers: h.auth('viewer') })).json().items.map((e: { id: number }) => e.id);

describe('corrections', () => {
  it("API: an inspector cannot correct an operator's installed event (403); corrections need a reason; who and why are audited", async () => {
    const installed = (await post('operator', { type: 'installed', occurredAt: '2026-11-21T10:00:00Z', fields: { torqueNm: 25 } })).json();
    const inspected = (await post('inspector', { type: 'inspected', occurredAt: '2026-11-21T11:00:00Z', fields: { result: 'fail' } })).json();

    const overreach = await post('inspector', { type: 'inspected', occurredAt: '2026-11-21T10:00:00Z', fields: { result: 'pass' }, notes: 'looks fine', correctsEventId: installed.id });
    expect(overreach.statusCode).toBe(403);
    expect(overreach.json().error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/role "inspector" may not correct event \d+: it is a "installed" event, which only admin or operator may record/) });
    expect(await effective()).toEqual([installed.id, inspected.id]); // the installed event stays in the history

    const noReason = await post('inspector', { type: 'inspected', occurredAt: '2026-11-21T11:00:00Z', fields: { result: 'pass' }, correctsEventId: inspected.id });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.message).toMatch(/a correction must say why/);

    const own = await post('inspector', { type: 'inspected', occurredAt: '2026-11-21T11:00:00Z', fields: { result: 'pass' }, notes: 'gauge misread', correctsEventId: inspected.id });
    expect(own.statusCode, own.body).toBe(201);
    expect(own.json()).toMatchObject({ correctsEventId: inspected.id, notes: 'gauge misread', recordedBy: expect.stringMatching(/\(test inspector\)$/) });
    const byAdmin = await post('admin', { type: 'installed', occurredAt: '2026-11-21T10:00:00Z', fields: { torqueNm: 27 }, notes: 'torque re-measured', correctsEventId: installed.id });
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);
    expect(await effective()).toEqual([byAdmin.json().id, own.json().id]);

    const audit = (await h.server.app.inject({ method: 'GET', url: '/api/audit?limit=10', headers: h.auth('admin') })).json().items as Array<{ actor: string; action: string; details: Record<string, unknown> }>;
    expect(audit.filter((a) => a.action === 'event.correct').map((a) => [a.actor.replace(/^key:\w+ /, ''), a.details.corrects, a.details.correctedType, a.details.reason])).toEqual([
      ['(test admin)', installed.id, 'installed', 'torque re-measured'],
      ['(test inspector)', inspected.id, 'inspected', 'gauge misread'],
    ]);
  });

  it('CLI: events add --key (or PARTPRINT_KEY) applies the same role rules; exit 6 when refused', async () => {
    const data = ['--data', h.dir];
    const installed = JSON.parse((await cli('events', 'add', 'COR-1', '--type', 'installed', '--torque', '30', '--key', h.keys.operator, '--json', ...data)).out);
    expect(installed.recordedBy).toMatch(/\(test operator\)$/);
    const refused = await cli('events', 'add', 'COR-1', '--type', 'inspected', '--result', 'pass', '--corrects', String(installed.id), '--notes', 'fine', '--key', h.keys.inspector, ...data);
    expect(refused.code).toBe(6);
    expect(refused.err).toMatch(/role "inspector" may not correct event \d+: it is a "installed" event/);
    process.env.PARTPRINT_KEY = h.keys.inspector;
    try {
      expect((await cli('events', 'add', 'COR-1', '--type', 'installed', '--torque', '31', ...data)).code).toBe(6);
    } finally {
      delete process.env.PARTPRINT_KEY;
    }
    expect((await cli('events', 'add', 'COR-1', '--type', 'observed', '--key', 'ppk_nope_nope', ...data)).code).toBe(6);
    // No reason: refused with bad input, whoever asks.
    expect((await cli('events', 'add', 'COR-1', '--type', 'installed', '--torque', '31', '--corrects', String(installed.id), '--key', h.keys.operator, ...data)).code).toBe(3);
    const fixed = await cli('events', 'add', 'COR-1', '--type', 'installed', '--torque', '31', '--corrects', String(installed.id), '--notes', 'wrong torque', '--key', h.keys.operator, '--json', ...data);
    expect(fixed.code, fixed.err).toBe(0);
    expect(JSON.parse(fixed.out)).toMatchObject({ correctsEventId: installed.id, notes: 'wrong torque' });
    expect(path.isAbsolute(h.dir)).toBe(true);
  });
});
