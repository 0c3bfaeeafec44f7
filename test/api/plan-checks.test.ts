/** /api/plan-checks: an inspector checks an assembly over HTTP; report JSON + printable HTML + stored photos; roles enforced. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/identity/index.js';
import { encodeCapture, makeMachines, makePart, renderCapture, sampleCaptureParams, type PartSpec, type SynthConfig } from '../../src/synth/index.js';
import { startHarness, type Harness } from './helpers.js';

const CONFIG: SynthConfig = { seed: 5, strength: 1, processes: ['SLA'], machines: 1, partsPerMachine: 10 };
let h: Harness;
const probes: Buffer[] = [];
const serials: string[] = [];

async function png(part: PartSpec, capture: number): Promise<Buffer> {
  const cap = renderCapture(part, sampleCaptureParams(part, capture), { size: 256, pixelUm: 10.6 });
  return Buffer.from(await encodeCapture(cap.pixels, cap.width, cap.height, 'png', 0));
}

beforeAll(async () => {
  h = await startHarness();
  const machines = makeMachines(CONFIG);
  const svc = new IdentityService(h.registry);
  for (let i = 0; i < 3; i++) {
    const part = makePart(CONFIG, machines, i);
    serials.push(part.serial);
    await h.registry.parts.create({ serial: part.serial, partNumber: 'clip' });
    expect((await svc.register(part.serial, await png(part, 0))).status).toBe('registered');
    probes.push(await png(part, 1));
  }
}, 60_000);
afterAll(async () => h?.close());

const PLAN = JSON.stringify({ assemblyType: 'door', positions: [{ id: 'A', partNumber: 'clip', torqueNm: { min: 2, max: 4 } }, { id: 'B', partNumber: 'clip' }, { id: 'C', partNumber: 'clip' }] });

function checkForm(extra: Record<string, string> = {}): FormData {
  const fd = new FormData();
  fd.append('assembly', 'DOOR-1');
  fd.append('plan', PLAN);
  fd.append('measurements', JSON.stringify({ A: { torqueNm: 3.5 } }));
  for (const [k, v] of Object.entries(extra)) fd.append(k, v);
  fd.append('A', new Blob([new Uint8Array(probes[0])], { type: 'image/png' }), 'a.png');
  fd.append('B', new Blob([new Uint8Array(probes[1])], { type: 'image/png' }), 'b.png');
  return fd;
}

describe('plan checks over HTTP', () => {
  it('checks an assembly: identified positions OK, a missing one listed; HTML report and photos served', async () => {
    const res = await h.server.app.inject({ method: 'POST', url: '/api/plan-checks', headers: h.auth('inspector'), payload: checkForm({ actor: 'insp 4' }) });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({ assembly: 'DOOR-1', assemblyType: 'door', ok: false, actor: 'insp 4' });
    expect(r.points.map((p: { position: string; ok: boolean; failures: Array<{ code: string }> }) => [p.position, p.ok, p.failures.map((f) => f.code)])).toEqual([
      ['A', true, []],
      ['B', true, []],
      ['C', false, ['missing-position']],
    ]);
    expect(r.points[0].identification).toMatchObject({ status: 'identified', serial: serials[0] });
    const html = await h.server.app.inject({ method: 'GET', url: r.reportUrl, headers: h.auth('viewer') });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('1 of 3 points failed');
    const img = await h.server.app.inject({ method: 'GET', url: `/api/plan-checks/${r.checkId}/positions/A/image`, headers: h.auth('viewer') });
    expect(img.statusCode).toBe(200);
    expect(Buffer.compare(img.rawPayload, probes[0])).toBe(0);
    const list = await h.server.app.inject({ method: 'GET', url: '/api/plan-checks?assembly=DOOR-1', headers: h.auth('viewer') });
    expect(list.json().items).toHaveLength(1);
    const events = await h.server.app.inject({ method: 'GET', url: `/api/parts/${serials[0]}/events`, headers: h.auth('viewer') });
    expect(events.json().items.map((e: { type: string; fields: Record<string, unknown> }) => [e.type, e.fields.parent ?? e.fields.position])).toEqual([['packed', 'DOOR-1'], ['installed', 'A'], ['inspected', 'A']]);
  });

  it('enforces roles and reports bad input with the reason', async () => {
    expect((await h.server.app.inject({ method: 'POST', url: '/api/plan-checks', headers: h.auth('viewer'), payload: checkForm() })).statusCode).toBe(403);
    expect((await h.server.app.inject({ method: 'POST', url: '/api/plan-checks', headers: h.auth('operator'), payload: checkForm() })).statusCode).toBe(403);
    const fd = checkForm();
    fd.set('plan', '{"assemblyType": "door", "positions": []}');
    const bad = await h.server.app.inject({ method: 'POST', url: '/api/plan-checks', headers: h.auth('inspector'), payload: fd });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/not a valid inspection plan.*positions/);
    expect((await h.server.app.inject({ method: 'GET', url: '/api/plan-checks/999', headers: h.auth('viewer') })).statusCode).toBe(404);
  });
});
