import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, noisePng, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ limits: { maxUploadBytes: 200_000, maxPixels: 500 * 500 } });
});
afterAll(async () => h?.close());

async function blobCount(): Promise<number> {
  const walk = async (dir: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      n += e.isDirectory() ? await walk(path.join(dir, e.name)) : 1;
    }
    return n;
  };
  return walk(path.join(h.dir, 'blobs'));
}

describe('parts', () => {
  it('creates, gets and lists parts with attribute filters and pagination', async () => {
    const app = h.server.app;
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/parts',
        headers: h.auth('operator'),
        payload: { serial: `LIST-${i}`, partNumber: 'bracket', attributes: { machine: i % 2 === 0 ? 'M01' : 'M02', build: 'B1' } },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ serial: `LIST-${i}`, partNumber: 'bracket', attributes: { machine: i % 2 === 0 ? 'M01' : 'M02' } });
    }
    const got = await app.inject({ method: 'GET', url: '/api/parts/LIST-3', headers: h.auth('viewer') });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ serial: 'LIST-3', attributes: { machine: 'M02', build: 'B1' }, captures: [] });

    const m01 = await app.inject({ method: 'GET', url: '/api/parts?serial=LIST-&attr=machine:M01&limit=2&offset=0', headers: h.auth('viewer') });
    expect(m01.statusCode).toBe(200);
    expect(m01.json().total).toBe(3);
    expect(m01.json().items.map((p: { serial: string }) => p.serial)).toEqual(['LIST-0', 'LIST-2']);
    const page2 = await app.inject({ method: 'GET', url: '/api/parts?serial=LIST-&attr=machine:M01&limit=2&offset=2', headers: h.auth('viewer') });
    expect(page2.json().items.map((p: { serial: string }) => p.serial)).toEqual(['LIST-4']);
    const both = await app.inject({ method: 'GET', url: '/api/parts?attr=machine:M02&attr=build:B1', headers: h.auth('viewer') });
    expect(both.json().total).toBe(2);

    const patched = await app.inject({ method: 'PATCH', url: '/api/parts/LIST-0/attributes', headers: h.auth('operator'), payload: { attributes: { build: null, tray_position: 'A3' } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().attributes).toEqual({ machine: 'M01', tray_position: 'A3' });

    const audit = await app.inject({ method: 'GET', url: '/api/audit?limit=1', headers: h.auth('admin') });
    expect(audit.json().items[0]).toMatchObject({ action: 'part.attributes', target: 'LIST-0' });
    expect(audit.json().items[0].actor).toMatch(/^key:[0-9a-f]{12} \(test operator\)$/);
  });

  it('answers 404 for an unknown serial and 409 for a duplicate one', async () => {
    const app = h.server.app;
    const missing = await app.inject({ method: 'GET', url: '/api/parts/NOPE-1', headers: h.auth('viewer') });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual({ code: 'NOT_FOUND', message: 'part "NOPE-1" is not registered' });
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'DUP-1' } });
    const dup = await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'DUP-1' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('CONFLICT');
    expect(dup.json().error.message).toContain('DUP-1');
  });

  it('rejects malformed requests with 400 naming the problem', async () => {
    const app = h.server.app;
    const cases = [
      { payload: {}, want: /serial/ },
      { payload: { serial: '' }, want: /serial/ },
      { payload: { serial: ' padded ' }, want: /serial/ },
      { payload: { serial: 'X', attributes: { machine: { nested: 1 } } }, want: /attributes/ },
      { payload: { serial: 'X', colour: 'red' }, want: /additional/ },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: c.payload });
      expect(res.statusCode, JSON.stringify(c.payload)).toBe(400);
      expect(res.json().error.code).toBe('BAD_INPUT');
      expect(res.json().error.message).toMatch(c.want);
    }
    const notJson = await app.inject({ method: 'POST', url: '/api/parts', headers: { ...h.auth('operator'), 'content-type': 'application/json' }, payload: '{"serial": ' });
    expect(notJson.statusCode).toBe(400);
    const badQuery = await app.inject({ method: 'GET', url: '/api/parts?limit=0', headers: h.auth('viewer') });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().error.message).toMatch(/limit/);
    const badAttr = await app.inject({ method: 'GET', url: '/api/parts?attr=nocolon', headers: h.auth('viewer') });
    expect(badAttr.statusCode).toBe(400);
    const nothingStored = await app.inject({ method: 'GET', url: '/api/parts/X', headers: h.auth('viewer') });
    expect(nothingStored.statusCode).toBe(404);
  });

  it('lets exactly one of many concurrent creations of one serial win; the others get 409', async () => {
    const app = h.server.app;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'RACE-1', attributes: { attempt: String(i) } } })),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(11);
    const winner = results.find((r) => r.statusCode === 201)!.json();
    const stored = await app.inject({ method: 'GET', url: '/api/parts/RACE-1', headers: h.auth('viewer') });
    expect(stored.json().attributes).toEqual(winner.attributes);
    const listed = await app.inject({ method: 'GET', url: '/api/parts?serial=RACE-', headers: h.auth('viewer') });
    expect(listed.json().total).toBe(1);
  });
});

describe('capture upload', () => {
  it('stores an uploaded image with its metadata and serves it back byte for byte', async () => {
    const app = h.server.app;
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'CAP-1' } });
    const png = await noisePng(7);
    const res = await app.inject({
      method: 'POST',
      url: '/api/parts/CAP-1/captures',
      headers: h.auth('operator'),
      payload: form({ face: 'top', pixel_size_um: '5.3', operator: 'ana' }, { name: 'cap1.png', bytes: png }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const cap = res.json();
    expect(cap).toMatchObject({ serial: 'CAP-1', format: 'png', width: 64, height: 48, face: 'top', pixelSizeUm: 5.3, operator: 'ana' });
    const img = await app.inject({ method: 'GET', url: cap.imageUrl, headers: h.auth('viewer') });
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(img.rawPayload, png)).toBe(0);
    const part = await app.inject({ method: 'GET', url: '/api/parts/CAP-1', headers: h.auth('viewer') });
    expect(part.json().captures).toHaveLength(1);
  });

  it('serves any stored format as a downscaled PNG preview for thumbnails', async () => {
    const app = h.server.app;
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'PREV-1' } });
    // A 300 x 200 PGM (browsers cannot show PGM): left half dark, right half bright.
    const pixels = Buffer.alloc(300 * 200);
    for (let y = 0; y < 200; y++) for (let x = 150; x < 300; x++) pixels[y * 300 + x] = 220;
    const pgm = Buffer.concat([Buffer.from('P5\n300 200\n255\n', 'ascii'), pixels]);
    const up = await app.inject({ method: 'POST', url: '/api/parts/PREV-1/captures', headers: h.auth('operator'), payload: form({}, { name: 'scan.pgm', bytes: pgm }) });
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().id as number;
    const res = await app.inject({ method: 'GET', url: `/api/captures/${id}/preview?size=60`, headers: h.auth('viewer') });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const { data, info } = await sharp(res.rawPayload).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([60, 40]);
    expect(data[20 * info.width * info.channels + 5 * info.channels]).toBeLessThan(30);
    expect(data[20 * info.width * info.channels + 55 * info.channels]).toBeGreaterThan(190);
    const tooBig = await app.inject({ method: 'GET', url: `/api/captures/${id}/preview?size=99999`, headers: h.auth('viewer') });
    expect(tooBig.statusCode).toBe(400);
    const noKey = await app.inject({ method: 'GET', url: `/api/captures/${id}/preview` });
    expect(noKey.statusCode).toBe(401);
  });

  it('refuses oversized, over-pixel, corrupt, unsupported and field-invalid uploads, storing nothing', async () => {
    const app = h.server.app;
    await app.inject({ method: 'POST', url: '/api/parts', headers: h.auth('operator'), payload: { serial: 'CAP-BAD' } });
    const before = await blobCount();
    const post = (payload: FormData) => app.inject({ method: 'POST', url: '/api/parts/CAP-BAD/captures', headers: h.auth('operator'), payload });

    const big = Buffer.alloc(300_000, 1);
    const tooBig = await post(form({}, { name: 'big.png', bytes: big }));
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error.message).toMatch(/big\.png.*200000 bytes/);

    const wide = await sharp({ create: { width: 600, height: 600, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png({ compressionLevel: 9 }).toBuffer();
    const tooManyPixels = await post(form({}, { name: 'wide.png', bytes: wide }));
    expect(tooManyPixels.statusCode).toBe(413);
    expect(tooManyPixels.json().error.message).toMatch(/wide\.png.*600x600/);

    const png = await noisePng(9);
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    const corrupt = await post(form({}, { name: 'half.png', bytes: truncated }));
    expect([400, 422]).toContain(corrupt.statusCode);
    expect(corrupt.json().error.message).toMatch(/half\.png/);

    const garbage = await post(form({}, { name: 'notes.png', bytes: Buffer.from('this is not an image at all') }));
    expect([415, 422]).toContain(garbage.statusCode);
    expect(garbage.json().error.message).toMatch(/notes\.png/);

    const empty = await post(form({}, { name: 'empty.png', bytes: new Uint8Array(0) }));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toMatch(/empty/);

    const noFile = await post(form({ face: 'top' }));
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().error.message).toMatch(/image/);

    const badField = await post(form({ pixel_size_um: 'five' }, { name: 'ok.png', bytes: png }));
    expect(badField.statusCode).toBe(400);
    expect(badField.json().error.message).toMatch(/pixel_size_um/);

    const unknownField = await post(form({ colour: 'red' }, { name: 'ok.png', bytes: png }));
    expect(unknownField.statusCode).toBe(400);

    const json = await app.inject({ method: 'POST', url: '/api/parts/CAP-BAD/captures', headers: h.auth('operator'), payload: { image: 'x' } });
    expect(json.statusCode).toBe(415);

    const unknownPart = await app.inject({ method: 'POST', url: '/api/parts/NOT-THERE/captures', headers: h.auth('operator'), payload: form({}, { name: 'ok.png', bytes: png }) });
    expect(unknownPart.statusCode).toBe(404);

    const part = await app.inject({ method: 'GET', url: '/api/parts/CAP-BAD', headers: h.auth('viewer') });
    expect(part.json().captures).toEqual([]);
    expect(await blobCount()).toBe(before);
    expect(await readdir(path.join(h.dir, 'tmp', 'uploads'))).toEqual([]);
  });
});
