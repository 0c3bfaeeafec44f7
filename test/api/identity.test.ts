import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFlat, makeTexture, recapture } from '../helpers/test-images.js';
import { encodeGreyPng } from '../../src/imaging/index.js';
import { form, startHarness, type Harness } from './helpers.js';

let h: Harness;
const png: Record<string, Buffer> = {};
beforeAll(async () => {
  h = await startHarness();
  const a = await makeTexture(101, 320, 320);
  const b = await makeTexture(202, 320, 320);
  png.a = await encodeGreyPng(a);
  png.b = await encodeGreyPng(b);
  png.aAgain = await encodeGreyPng(await recapture(a, { angleDeg: 12, scale: 0.95, shiftX: 6, noiseStd: 5, gain: 1.1, seed: 3 }));
  png.bAgain = await encodeGreyPng(await recapture(b, { angleDeg: -8, shiftY: 5, noiseStd: 5, seed: 4 }));
  png.stranger = await encodeGreyPng(await makeTexture(303, 320, 320));
  png.flat = await encodeGreyPng(makeFlat(128, 320, 320));
});
afterAll(async () => h?.close());

const post = (url: string, role: 'operator' | 'inspector' | 'viewer' | 'admin', fields: Record<string, string>, image: Buffer, name = 'probe.png') =>
  h.server.app.inject({ method: 'POST', url, headers: h.auth(role), payload: form(fields, { name, bytes: image }) });

describe('identity over HTTP', () => {
  it('registers a part with its fingerprint; of concurrent registrations of one serial exactly one wins', async () => {
    const first = await post('/api/register', 'operator', { serial: 'ID-A', partNumber: 'bracket', attributes: '{"machine":"M01"}', face: 'top' }, png.a, 'a.png');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ part: { serial: 'ID-A', partNumber: 'bracket', attributes: { machine: 'M01' } }, capture: { face: 'top' }, quality: { ok: true } });
    expect(first.json().fingerprint.keypoints).toBeGreaterThan(50);

    const race = await Promise.all(Array.from({ length: 6 }, () => post('/api/register', 'operator', { serial: 'ID-B' }, png.b, 'b.png')));
    const codes = race.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201), JSON.stringify(codes)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(5);
    const b = await h.server.app.inject({ method: 'GET', url: '/api/parts/ID-B', headers: h.auth('viewer') });
    expect(b.json().captures).toHaveLength(1);
    expect((await h.registry.features.list('fingerprint')).length).toBe(2);
  });

  it('refuses a capture the quality gate rejects, storing nothing, and enforces roles', async () => {
    const flat = await post('/api/register', 'operator', { serial: 'ID-FLAT' }, png.flat, 'flat.png');
    expect(flat.statusCode).toBe(422);
    expect(flat.json().error.code).toBe('REJECTED');
    expect(flat.json().error.message).toMatch(/flat\.png: capture rejected/);
    expect((await h.server.app.inject({ method: 'GET', url: '/api/parts/ID-FLAT', headers: h.auth('viewer') })).statusCode).toBe(404);
    const corrupt = await post('/api/register', 'operator', { serial: 'ID-CORRUPT' }, png.a.subarray(0, 400), 'broken.png');
    expect([400, 422]).toContain(corrupt.statusCode);
    expect(corrupt.json().error.message).toMatch(/broken\.png/);
    expect((await h.server.app.inject({ method: 'GET', url: '/api/parts/ID-CORRUPT', headers: h.auth('viewer') })).statusCode).toBe(404);
    expect((await post('/api/register', 'inspector', { serial: 'ID-X' }, png.a)).statusCode).toBe(403);
    expect((await post('/api/verify', 'viewer', { serial: 'ID-A' }, png.a)).statusCode).toBe(403);
    expect((await post('/api/register', 'operator', { serial: 'ID-Y', attributes: '[1]' }, png.a)).statusCode).toBe(400);
    expect((await post('/api/verify', 'inspector', {}, png.a)).statusCode).toBe(400);
  });

  it('verifies 1:1: match, no-match, not-registered and rejected, with an evidence picture', async () => {
    const match = await post('/api/verify', 'inspector', { serial: 'ID-A' }, png.aAgain);
    expect(match.statusCode, match.body).toBe(200);
    expect(match.json()).toMatchObject({ serial: 'ID-A', decision: 'match', same: true, part: { serial: 'ID-A' } });
    expect(match.json().best.score).toBeGreaterThanOrEqual(match.json().threshold);
    expect(match.json().best.inliers).toBeGreaterThan(10);
    const evidence = await h.server.app.inject({ method: 'GET', url: match.json().evidenceUrl, headers: h.auth('viewer') });
    expect(evidence.statusCode).toBe(200);
    expect(evidence.headers['content-type']).toBe('image/png');
    expect(evidence.rawPayload.subarray(1, 4).toString()).toBe('PNG');

    const other = await post('/api/verify', 'inspector', { serial: 'ID-B', evidence: 'false' }, png.aAgain);
    expect(other.json()).toMatchObject({ decision: 'no-match', same: false, evidenceUrl: null });
    const unknown = await post('/api/verify', 'inspector', { serial: 'ID-NONE' }, png.aAgain);
    expect(unknown.json()).toMatchObject({ decision: 'not-registered', part: null });
    const rejected = await post('/api/verify', 'inspector', { serial: 'ID-A' }, png.flat);
    expect(rejected.json()).toMatchObject({ decision: 'rejected', quality: { ok: false } });
  });

  it('identifies 1:N with ranked candidates, and reports an unregistered part as such', async () => {
    const tasksBefore = h.server.services.compute!.completed;
    const found = await post('/api/identify', 'inspector', {}, png.aAgain);
    // the probe, and the candidates' verification with the decision (one task), ran on the compute pool's threads
    expect(h.server.services.compute!.completed - tasksBefore).toBeGreaterThanOrEqual(1 + 1);
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toMatchObject({ decision: 'identified', best: { serial: 'ID-A', same: true }, part: { serial: 'ID-A' }, galleryCaptures: 2 });
    expect(found.json().candidates.map((c: { serial: string }) => c.serial)).toEqual(['ID-A', 'ID-B']);
    expect(found.json().evidenceUrl).toMatch(/^\/api\/evidence\/[0-9a-f]{24}$/);
    const stranger = await post('/api/identify', 'inspector', { top: '1' }, png.stranger);
    expect(stranger.json()).toMatchObject({ decision: 'not-registered', best: null, part: null, evidenceUrl: null });
    expect(stranger.json().candidates).toHaveLength(1);
    expect(stranger.json().candidates[0].same).toBe(false);
    expect((await h.server.app.inject({ method: 'GET', url: '/api/evidence/000000000000000000000000', headers: h.auth('viewer') })).statusCode).toBe(404);
  });

  it('takes the camera\'s pixel size with a check (the parts profile resamples with it) and refuses a malformed one', async () => {
    // 10 um/px is the profile's working scale: the probe is used as it is, as without a stated size.
    const stated = await post('/api/identify', 'inspector', { pixel_size_um: '10', evidence: 'false' }, png.aAgain);
    expect(stated.statusCode, stated.body).toBe(200);
    expect(stated.json()).toMatchObject({ decision: 'identified', best: { serial: 'ID-A' } });
    expect((await post('/api/verify', 'inspector', { serial: 'ID-A', pixel_size_um: '10', evidence: 'false' }, png.aAgain)).json()).toMatchObject({ decision: 'match' });
    // 0.5 um/px would make the probe a 20th of its size at the working scale: the server does use the value.
    const tiny = (await post('/api/identify', 'inspector', { pixel_size_um: '0.5', evidence: 'false' }, png.aAgain)).json();
    expect(tiny).toMatchObject({ decision: 'rejected', quality: { ok: false } });
    const bad = await post('/api/identify', 'inspector', { pixel_size_um: 'ten' }, png.aAgain);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('pixel_size_um');
  });

  it('records every check against a registered part as an inspection event with the photo, the score and the key', async () => {
    const before = (await h.server.app.inject({ method: 'GET', url: '/api/parts/ID-A/events', headers: h.auth('viewer') })).json();
    const match = (await post('/api/verify', 'inspector', { serial: 'ID-A', evidence: 'false' }, png.aAgain, 'gate-3.png')).json();
    const miss = (await post('/api/verify', 'inspector', { serial: 'ID-B', evidence: 'false' }, png.aAgain)).json();
    const found = (await post('/api/identify', 'inspector', { evidence: 'false' }, png.aAgain)).json();
    const nobody = (await post('/api/identify', 'inspector', { evidence: 'false' }, png.stranger)).json();
    expect([typeof match.checkEventId, typeof miss.checkEventId, typeof found.checkEventId]).toEqual(['number', 'number', 'number']);
    expect(nobody.checkEventId).toBeNull(); // no part to record it against
    const events = (await h.server.app.inject({ method: 'GET', url: '/api/parts/ID-A/events', headers: h.auth('viewer') })).json();
    const list = (events.items ?? events) as Array<{ id: number; type: string; actor: string; notes: string; fields: { result: string; measurements: Record<string, { value: number }> } }>;
    const added = list.filter((e) => !(before.items ?? before).some((b: { id: number }) => b.id === e.id));
    expect(added.map((e) => e.id).sort()).toEqual([match.checkEventId, found.checkEventId].sort());
    const verifyEvent = added.find((e) => e.id === match.checkEventId)!;
    expect(verifyEvent).toMatchObject({ type: 'inspected', actor: expect.stringContaining('test inspector'), fields: { result: 'pass' } });
    expect(verifyEvent.notes).toMatch(/^identity check \(verify 1:1\): the photo is this part; photo sha256:[0-9a-f]{64} \(gate-3\.png\)$/);
    expect(verifyEvent.fields.measurements.score.value).toBeCloseTo(match.best.score, 5);
    expect(verifyEvent.fields.measurements.threshold.value).toBeCloseTo(match.threshold, 5);
    expect(verifyEvent.fields.measurements.inliers.value).toBe(match.best.inliers);
    // the no-match is a failed check of the part it was checked against
    const other = (await h.server.app.inject({ method: 'GET', url: '/api/parts/ID-B/events', headers: h.auth('viewer') })).json();
    expect((other.items ?? other).find((e: { id: number }) => e.id === miss.checkEventId)).toMatchObject({ fields: { result: 'fail' } });
    // the photo is served, as a PNG preview, for hashes that a check names, and only those
    const hash = /sha256:([0-9a-f]{64})/.exec(verifyEvent.notes)![1];
    const photo = await h.server.app.inject({ method: 'GET', url: `/api/check-photos/${hash}`, headers: h.auth('viewer') });
    expect(photo.statusCode).toBe(200);
    expect(photo.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const captureHash = (await h.registry.captures.listForPart('ID-A'))[0].blobHash;
    expect((await h.server.app.inject({ method: 'GET', url: `/api/check-photos/${captureHash}`, headers: h.auth('viewer') })).statusCode).toBe(404);
  });

  it('adds a fingerprinted capture to a registered part', async () => {
    const added = await post('/api/parts/ID-A/fingerprints', 'operator', { face: 'side' }, png.aAgain);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().capture).toMatchObject({ serial: 'ID-A', face: 'side' });
    expect((await post('/api/parts/ID-NONE/fingerprints', 'operator', {}, png.a)).statusCode).toBe(404);
  });

  it('evaluates/calibrates identification and rebuilds the index as background jobs (admin only)', async () => {
    expect((await post('/api/parts/ID-B/fingerprints', 'operator', {}, png.bAgain)).statusCode).toBe(201);
    expect((await h.server.app.inject({ method: 'POST', url: '/api/jobs/evaluate-identity', headers: h.auth('operator'), payload: {} })).statusCode).toBe(403);
    const res = await h.server.app.inject({ method: 'POST', url: '/api/jobs/evaluate-identity', headers: h.auth('admin') });
    expect(res.statusCode, res.body).toBe(202);
    await h.server.services.jobs.idle();
    const job = (await h.server.app.inject({ method: 'GET', url: `/api/jobs/${res.json().id}`, headers: h.auth('viewer') })).json();
    expect(job.status, job.error).toBe('succeeded');
    // Two registered parts with two captures each: each is probed by its second capture, with and without itself in the gallery.
    expect(job.result).toMatchObject({ genuineCount: 2, impostorCount: 2, eer: 0, applied: false, probes: { real: 2, synthetic: 0, lookalikes: 0 } });
    expect(job.result.detSvg).toMatch(/^<svg/);
    expect(job.result.histogramSvg).toMatch(/^<svg/);

    const rebuild = await h.server.app.inject({ method: 'POST', url: '/api/jobs/rebuild-index', headers: h.auth('admin') });
    expect(rebuild.statusCode).toBe(202);
    await h.server.services.jobs.idle();
    const rebuilt = (await h.server.app.inject({ method: 'GET', url: `/api/jobs/${rebuild.json().id}`, headers: h.auth('viewer') })).json();
    expect(rebuilt).toMatchObject({ status: 'succeeded', result: { captures: 4 } });
    // identification still works on the rebuilt index
    const found = await post('/api/identify', 'inspector', { evidence: 'false' }, png.bAgain);
    expect(found.json()).toMatchObject({ decision: 'identified', best: { serial: 'ID-B' }, galleryCaptures: 4 });
  });
});
