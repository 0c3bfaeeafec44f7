/** The registry API suite, run against SQLite and PostgreSQL by *.sqlite.test.ts / *.postgres.test.ts. */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Migrator, NO_MIGRATIONS, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/core/index.js';
import { probeImage } from '../../src/imaging/index.js';
import { openRegistry, type Registry, SCHEMA_VERSION, sha256Hex } from '../../src/registry/index.js';
import { MIGRATIONS } from '../../src/registry/migrations/index.js';
import { type Backend, type Location, tempDir } from './backends.js';
import { listFiles, noisePng, rotatedJpeg, snapshot, tiff16 } from './fixtures.js';

async function open(loc: Location): Promise<Registry> {
  return openRegistry({ dataDir: loc.dataDir, databaseUrl: loc.databaseUrl });
}

export function defineRegistrySuite(backend: Backend): void {
  describe.skipIf(backend.skip !== undefined)(`registry on ${backend.name}`, () => {
    it('registers parts with attributes, refuses a duplicate serial, lists with filters and counts', async () => {
      const reg = await open(await backend.fresh());
      try {
        expect(reg.dialect).toBe(backend.name);
        const a = await reg.parts.create({ serial: 'A-0001', partNumber: 'bracket', attributes: { machine: 'M03', process: 'MJF' } });
        expect(a).toMatchObject({ serial: 'A-0001', partNumber: 'bracket', attributes: { machine: 'M03', process: 'MJF' } });
        expect(a.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        await reg.parts.create({ serial: 'A-0002', partNumber: 'bracket', attributes: { machine: 'M04', process: 'MJF' } });
        await reg.parts.create({ serial: 'b_0003', attributes: { machine: 'M03' } });
        const dup = reg.parts.create({ serial: 'A-0001' });
        await expect(dup).rejects.toBeInstanceOf(RegistryError);
        await expect(dup).rejects.toMatchObject({ code: 'CONFLICT', message: 'serial "A-0001" is already registered' });
        await expect(reg.parts.create({ serial: ' ' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
        expect(await reg.parts.count()).toBe(3);

        expect((await reg.parts.list({ attributes: { machine: 'M03' } })).parts.map((p) => p.serial)).toEqual(['A-0001', 'b_0003']);
        expect((await reg.parts.list({ attributes: { machine: 'M03', process: 'MJF' } })).parts.map((p) => p.serial)).toEqual(['A-0001']);
        expect((await reg.parts.list({ partNumber: 'bracket' })).total).toBe(2);
        // Substring match is literal and case-sensitive on both databases ('_' is not a wildcard).
        expect((await reg.parts.list({ serialContains: '_' })).parts.map((p) => p.serial)).toEqual(['b_0003']);
        expect((await reg.parts.list({ serialContains: 'a-' })).total).toBe(0);
        const page = await reg.parts.list({ limit: 1, offset: 1 });
        expect(page.total).toBe(3);
        expect(page.parts.map((p) => p.serial)).toEqual(['A-0002']);
        expect((await reg.parts.list({ offset: 2 })).parts.map((p) => p.serial)).toEqual(['b_0003']);

        const updated = await reg.parts.setAttributes('A-0001', { build: 'B7', process: null });
        expect(updated.attributes).toEqual({ build: 'B7', machine: 'M03' });
        expect(updated.updatedAt >= a.updatedAt).toBe(true);
        expect(await reg.parts.get('nope')).toBeUndefined();
        await expect(reg.parts.require('nope')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'part "nope" is not registered' });
        await expect(reg.parts.setAttributes('nope', { a: 'b' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      } finally {
        await reg.close();
      }
    });

    it('stores a 16-bit TIFF and an EXIF-rotated JPEG with their true sizes; one blob per content', async () => {
      const loc = await backend.fresh();
      const reg = await open(loc);
      try {
        await reg.parts.create({ serial: 'T-1' });
        const tif = await tiff16(40, 24);
        expect((await probeImage(tif)).bitDepth).toBe(16);
        const c1 = await reg.captures.add('T-1', tif, { face: 'top', pixelSizeUm: 5.3, capturedAt: '2026-03-01T10:00:00+02:00' }, { name: 'scan.tif' });
        expect(c1).toMatchObject({ serial: 'T-1', format: 'tiff', width: 40, height: 24, face: 'top', pixelSizeUm: 5.3, capturedAt: '2026-03-01T08:00:00.000Z' });
        const jpg = await rotatedJpeg(30, 12, 6);
        const jpgFile = path.join(tempDir(), 'phone.jpg');
        writeFileSync(jpgFile, jpg);
        const c2 = await reg.captures.add('T-1', jpgFile);
        expect(c2).toMatchObject({ format: 'jpeg', width: 12, height: 30 });
        // A 16-bit binary PGM (sharp cannot read it; imaging's own decoder does).
        const pgm = Buffer.concat([Buffer.from('P5\n5 3\n65535\n', 'ascii'), Buffer.alloc(5 * 3 * 2, 0x80)]);
        expect(await reg.captures.add('T-1', pgm, {}, { name: 'scan.pgm' })).toMatchObject({ format: 'pnm', width: 5, height: 3 });
        // Same bytes again: a second capture row, but the blob is stored once.
        const c3 = await reg.captures.add('T-1', tif);
        expect(c3.blobHash).toBe(c1.blobHash);
        expect(listFiles(path.join(loc.dataDir, 'blobs'))).toHaveLength(3);
        expect(await reg.blobs.list()).toHaveLength(3);
        expect(await reg.blobs.list()).toEqual(expect.arrayContaining([c1.blobHash, c2.blobHash]));
        expect(Buffer.compare(await reg.captures.readImage(c1), tif)).toBe(0);
        expect((await reg.captures.listForPart('T-1')).map((c) => c.id)).toEqual([c1.id, c2.id, c3.id - 1, c3.id]);
        expect(await reg.captures.get(c2.id)).toEqual(c2);

        // A blob altered on disk is refused on read, naming the hash.
        writeFileSync(reg.blobs.path(c2.blobHash), Buffer.concat([jpg, Buffer.from([0])]));
        await expect(reg.blobs.read(c2.blobHash)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(`blob ${c2.blobHash} is corrupt`) });
      } finally {
        await reg.close();
      }
    });

    it('rejects bad images and bad metadata and stores nothing', async () => {
      const loc = await backend.fresh();
      const reg = await open(loc);
      try {
        await reg.parts.create({ serial: 'X-1' });
        await reg.captures.add('X-1', await noisePng(16, 16, 1));
        const before = await snapshot(reg);
        const png = await noisePng(64, 64, 2);
        await expect(reg.captures.add('X-1', png.subarray(0, png.length / 2), {}, { name: 'cut.png' })).rejects.toMatchObject({ message: expect.stringMatching(/^cut\.png: /) });
        await expect(reg.captures.add('X-1', Buffer.alloc(0), {}, { name: 'empty.png' })).rejects.toThrow(/empty\.png: file is empty/);
        await expect(reg.captures.add('X-1', Buffer.from('GIF89a nonsense'), {}, { name: 'x.gif' })).rejects.toThrow(/x\.gif/);
        await expect(reg.captures.add('X-1', '/nonexistent/scan.png')).rejects.toMatchObject({ code: 'NOT_FOUND', message: '/nonexistent/scan.png: cannot read file (ENOENT)' });
        await expect(reg.captures.add('X-1', png, { pixelSizeUm: -1 })).rejects.toThrow(/pixel_size_um: "-1" is not a positive number/);
        await expect(reg.captures.add('X-1', png, { capturedAt: 'yesterday' })).rejects.toThrow(/captured_at: "yesterday"/);
        await expect(reg.captures.add('NOPE', png)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        const small = await openRegistry({ dataDir: reg.dataDir, databaseUrl: loc.databaseUrl, maxPixels: 100 });
        try {
          await expect(small.captures.add('X-1', png, {}, { name: 'big.png' })).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/^big\.png: image is 64x64/) });
        } finally {
          await small.close();
        }
        expect(await snapshot(reg)).toEqual(before);
      } finally {
        await reg.close();
      }
    });

    it('rolls back rows and blobs together when a transaction fails', async () => {
      const loc = await backend.fresh();
      const reg = await open(loc);
      try {
        await reg.parts.create({ serial: 'R-1' });
        const before = await snapshot(reg);
        const failing = reg.transaction(async (trx, scope) => {
          await scope.parts.create({ serial: 'R-2', attributes: { a: '1' } });
          const staged = await scope.captures.add('R-2', await noisePng(32, 32, 7));
          // Staged blobs are readable inside the transaction, not outside it.
          expect(Buffer.compare(await scope.captures.readImage(staged), await noisePng(32, 32, 7))).toBe(0);
          await expect(reg.blobs.read(staged.blobHash)).rejects.toMatchObject({ code: 'NOT_FOUND' });
          const loose = await scope.blobs.put(Buffer.from('loose bytes'));
          expect((await scope.blobs.read(loose)).toString()).toBe('loose bytes');
          expect(await trx.selectFrom('parts').select('serial').where('serial', '=', 'R-2').executeTakeFirst()).toEqual({ serial: 'R-2' });
          expect(listFiles(path.join(loc.dataDir, 'blobs', '.staging'))).toHaveLength(2);
          throw new Error('boom');
        });
        await expect(failing).rejects.toThrow('boom');
        expect(await snapshot(reg)).toEqual(before);
        // And a committed transaction moves staged blobs into place.
        const cap = await reg.transaction(async (_trx, scope) => {
          await scope.parts.create({ serial: 'R-3' });
          return scope.captures.add('R-3', await noisePng(32, 32, 8));
        });
        expect(existsSync(reg.blobs.path(cap.blobHash))).toBe(true);
        expect(listFiles(path.join(loc.dataDir, 'blobs', '.staging'))).toEqual([]);
      } finally {
        await reg.close();
      }
    });

    it('on open, finishes blobs a crashed process committed and discards those it did not', async () => {
      const loc = await backend.fresh();
      let reg = await open(loc);
      const cap = await reg.captures.add((await reg.parts.create({ serial: 'C-1' })).serial, await noisePng(20, 20, 3));
      const stored = reg.blobs.path(cap.blobHash);
      await reg.close();
      // Another capability's table that refers to a blob (column named *_blob_hash) keeps it too.
      const otherBytes = Buffer.from('uploaded model card');
      const other = sha256Hex(otherBytes);
      const reg2 = await open(loc);
      await reg2.db.schema.createTable('uploads').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('card_blob_hash', 'text').execute();
      await sql`INSERT INTO uploads (id, card_blob_hash) VALUES (1, ${other})`.execute(reg2.db);
      await reg2.close();
      // A process (pid 2^22+1 is above Linux's pid_max default) crashed after its commit, before moving blobs into place.
      const stale = path.join(loc.dataDir, 'blobs', '.staging', '4194305-deadbeef');
      mkdirSync(stale, { recursive: true });
      renameSync(stored, path.join(stale, cap.blobHash));
      writeFileSync(path.join(stale, other), otherBytes);
      const orphan = await noisePng(20, 20, 4);
      writeFileSync(path.join(stale, sha256Hex(orphan)), orphan);
      writeFileSync(path.join(stale, '.tmp-4194305-abc'), 'partial');
      reg = await open(loc);
      try {
        expect(Buffer.compare(await reg.captures.readImage(cap), await noisePng(20, 20, 3))).toBe(0);
        expect(await reg.blobs.list()).toEqual([cap.blobHash, other].sort());
        expect((await reg.blobs.read(other)).toString()).toBe('uploaded model card');
        expect(existsSync(stale)).toBe(false);
      } finally {
        await reg.close();
      }
    });

    it('stores capture features (binary data, JSON meta) and replaces them by (capture, kind)', async () => {
      const reg = await open(await backend.fresh());
      try {
        await reg.parts.create({ serial: 'F-1' });
        const cap = await reg.captures.add('F-1', await noisePng(16, 16, 5));
        const data = new Uint8Array(256).map((_, i) => i);
        await reg.features.put({ captureId: cap.id, kind: 'fingerprint', version: 'v1', data, meta: { n: 256, note: 'é' } });
        const got = await reg.features.get(cap.id, 'fingerprint');
        expect(Array.from(got!.data)).toEqual(Array.from(data));
        expect(got!.meta).toEqual({ n: 256, note: 'é' });
        await reg.features.put({ captureId: cap.id, kind: 'fingerprint', version: 'v2', data: new Uint8Array([9]) });
        const list = await reg.features.list('fingerprint');
        expect(list.map((f) => [f.captureId, f.version, Array.from(f.data)])).toEqual([[cap.id, 'v2', [9]]]);
        expect(await reg.features.list('fingerprint', { version: 'v1' })).toEqual([]);
        await expect(reg.features.put({ captureId: 999, kind: 'x', version: '1', data })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await reg.features.delete(cap.id, 'fingerprint')).toBe(true);
        expect(await reg.features.get(cap.id, 'fingerprint')).toBeUndefined();
      } finally {
        await reg.close();
      }
    });

    it('keeps events append-only in the database', async () => {
      const reg = await open(await backend.fresh());
      try {
        const part = await reg.parts.create({ serial: 'E-1' });
        const now = new Date().toISOString();
        const ev = await reg.db.insertInto('events').values({ part_id: part.id, type: 'inspected', occurred_at: now, recorded_at: now }).returningAll().executeTakeFirstOrThrow();
        expect(ev.fields).toBe('{}');
        await expect(reg.db.updateTable('events').set({ notes: 'changed' }).where('id', '=', ev.id).execute()).rejects.toThrow(/append-only/);
        await expect(reg.db.deleteFrom('events').where('id', '=', ev.id).execute()).rejects.toThrow(/append-only/);
        await reg.db.insertInto('events').values({ part_id: part.id, type: 'inspected', occurred_at: now, recorded_at: now, corrects_event_id: ev.id }).execute();
        await expect(reg.db.insertInto('events').values({ part_id: part.id, type: 'x', occurred_at: now, recorded_at: now, corrects_event_id: 9999 }).execute()).rejects.toThrow();
      } finally {
        await reg.close();
      }
    });

    it('runs every migration down and up again', async () => {
      const reg = await open(await backend.fresh());
      try {
        const migrator = new Migrator({ db: reg.db, provider: { getMigrations: async () => MIGRATIONS } });
        const down = await migrator.migrateTo(NO_MIGRATIONS);
        expect(down.error).toBeUndefined();
        expect(down.results?.map((r) => r.direction)).toEqual(Object.keys(MIGRATIONS).map(() => 'Down'));
        expect((await reg.db.introspection.getTables()).map((t) => t.name)).toEqual([]);
        const up = await migrator.migrateToLatest();
        expect(up.error).toBeUndefined();
        await reg.parts.create({ serial: 'after-redo', attributes: { a: 'b' } });
        expect((await reg.parts.list({ attributes: { a: 'b' } })).total).toBe(1);
      } finally {
        await reg.close();
      }
    });

    it('refuses a database whose schema is newer than the code, and migrates idempotently', async () => {
      const loc = await backend.fresh();
      let reg = await open(loc);
      await reg.close();
      await reg.close(); // closing twice is harmless
      reg = await open(loc); // second open: nothing to migrate
      const future = SCHEMA_VERSION + 1000;
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${`${future}-FromTheFuture`}, ${new Date().toISOString()})`.execute(reg.db);
      await reg.close();
      const err = await open(loc).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RegistryError);
      expect(err).toMatchObject({ code: 'CONFLICT', message: `database schema version ${future} is newer than this partprint (${SCHEMA_VERSION}); upgrade partprint` });
    });
  });
}
