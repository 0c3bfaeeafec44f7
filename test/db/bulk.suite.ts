/** CSV import (all or nothing, also when interrupted or killed) and export/import round trips. */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportRegistry, importPartsCsv, importRegistry, openRegistry, type Registry, SCHEMA_VERSION } from '../../src/registry/index.js';
import { type Backend, type Location, tempDir } from './backends.js';
import { listFiles, noisePng, snapshot, tiff16, writePartsCsv } from './fixtures.js';

async function open(loc: Location): Promise<Registry> {
  return openRegistry({ dataDir: loc.dataDir, databaseUrl: loc.databaseUrl });
}

/** A registry that already holds a few parts, captures and events, so "unchanged" means something. */
async function seeded(backend: Backend): Promise<{ loc: Location; reg: Registry }> {
  const loc = await backend.fresh();
  const reg = await open(loc);
  const dir = tempDir();
  const csv = await writePartsCsv(dir, 3, { prefix: 'OLD', seed: 9 });
  expect((await importPartsCsv(reg, csv)).ok).toBe(true);
  const part = await reg.parts.require('OLD-0001');
  const t = '2026-02-03T04:05:06.000Z';
  await reg.db.insertInto('events').values({ part_id: part.id, type: 'commissioned', occurred_at: t, recorded_at: t }).execute();
  return { loc, reg };
}

function runChild(loc: Location, csv: string, pauseAt: number): Promise<{ signal: NodeJS.Signals | null; out: string; stagedFiles: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'db', 'fixtures', 'import-child.ts'), loc.dataDir, loc.databaseUrl ?? '-', csv, String(pauseAt)], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let stagedFiles: string[] = [];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('paused') && !child.killed) {
        stagedFiles = listFiles(path.join(loc.dataDir, 'blobs', '.staging'));
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => (signal === 'SIGKILL' ? resolve({ signal, out, stagedFiles }) : reject(new Error(`child was not killed (exit ${code}): ${out}\n${err}`))));
  });
}

export function defineBulkSuite(backend: Backend): void {
  describe.skipIf(backend.skip !== undefined)(`bulk import and export on ${backend.name}`, () => {
    it('imports a CSV with attributes, several images per row and capture metadata', async () => {
      const reg = await open(await backend.fresh());
      try {
        const dir = tempDir();
        mkdirSync(path.join(dir, 'img'));
        writeFileSync(path.join(dir, 'img', 'a.png'), await noisePng(24, 16, 1));
        writeFileSync(path.join(dir, 'img', 'b.tif'), await tiff16(10, 12));
        writeFileSync(
          path.join(dir, 'parts.csv'),
          'serial,part_number,image,face,device,pixel_size_um,lighting,operator,captured_at,machine,"process, detail"\r\n' +
            'S-1,bracket,img/a.png;img/b.tif,top,scanner,5.3,ring,ann,2026-05-01T09:00:00Z,M01,"MJF, ""black"""\r\n' +
            'S-2,,,,,,,,,M02,\r\n',
        );
        const events: string[] = [];
        const r = await importPartsCsv(reg, path.join(dir, 'parts.csv'), { onProgress: (e) => events.push(`${e.phase} ${e.done}/${e.total}`) });
        expect(r).toEqual({ ok: true, rows: 2, parts: 2, captures: 2, rejected: [], dryRun: false });
        expect(events).toContain('check 2/2');
        expect(events).toContain('import 2/2');
        expect(await reg.parts.get('S-1')).toMatchObject({ partNumber: 'bracket', attributes: { machine: 'M01', 'process, detail': 'MJF, "black"' } });
        expect((await reg.parts.get('S-2'))!.attributes).toEqual({ machine: 'M02' });
        const caps = await reg.captures.listForPart('S-1');
        expect(caps.map((c) => [c.format, c.width, c.height])).toEqual([['png', 24, 16], ['tiff', 10, 12]]);
        expect(caps[1]).toMatchObject({ face: 'top', device: 'scanner', pixelSizeUm: 5.3, lighting: 'ring', operator: 'ann', capturedAt: '2026-05-01T09:00:00.000Z' });
      } finally {
        await reg.close();
      }
    });

    it('checks every row first and reports each rejected row with its reason; stores nothing', async () => {
      const { reg } = await seeded(backend);
      try {
        const before = await snapshot(reg);
        const dir = tempDir();
        writeFileSync(path.join(dir, 'ok.png'), await noisePng(16, 16, 2));
        writeFileSync(path.join(dir, 'junk.png'), 'not an image');
        const png = await noisePng(64, 64, 3);
        writeFileSync(path.join(dir, 'cut.png'), png.subarray(0, png.length >> 1));
        writeFileSync(
          path.join(dir, 'bad.csv'),
          [
            'serial,image,pixel_size_um,captured_at,machine',
            'N-1,ok.png,5.3,,M1', // fine
            'N-2,missing.png,,,M1',
            ',ok.png,,,M1',
            'N-1,,,,M1',
            'N-4,junk.png,abc,,M1',
            'OLD-0002,ok.png,,,M1',
            'N-6,cut.png,,,M1',
            'N-7,,,not a date,M1',
            'N-8,ok.png',
          ].join('\n'),
        );
        const r = await importPartsCsv(reg, path.join(dir, 'bad.csv'));
        expect(r.ok).toBe(false);
        expect(r.parts).toBe(0);
        expect(r.rejected.map((x) => [x.row, x.line, x.serial])).toEqual([
          [2, 3, 'N-2'],
          [3, 4, null],
          [4, 5, 'N-1'],
          [5, 6, 'N-4'],
          [6, 7, 'OLD-0002'],
          [7, 8, 'N-6'],
          [8, 9, 'N-7'],
          [9, 10, 'N-8'],
        ]);
        const reasons = r.rejected.map((x) => x.reason);
        expect(reasons[0]).toMatch(/missing\.png: cannot read file \(ENOENT\)/);
        expect(reasons[1]).toBe('serial is empty');
        expect(reasons[2]).toBe('serial "N-1" also on row 1');
        expect(reasons[3]).toMatch(/pixel_size_um "abc" is not a positive number; junk\.png: not a readable image/);
        expect(reasons[4]).toBe('serial "OLD-0002" is already registered');
        expect(reasons[5]).toMatch(/^cut\.png: /);
        expect(reasons[6]).toMatch(/captured_at: "not a date"/);
        expect(reasons[7]).toBe('has 2 fields, the header has 5');
        expect(await snapshot(reg)).toEqual(before);
        // A dry run of a good file stores nothing either.
        writeFileSync(path.join(dir, 'good.csv'), 'serial,image\nN-1,ok.png\n');
        expect(await importPartsCsv(reg, path.join(dir, 'good.csv'), { dryRun: true })).toMatchObject({ ok: true, parts: 1, captures: 1, dryRun: true });
        expect(await snapshot(reg)).toEqual(before);
        writeFileSync(path.join(dir, 'nohead.csv'), 'id,image\n1,ok.png\n');
        await expect(importPartsCsv(reg, path.join(dir, 'nohead.csv'))).rejects.toThrow(/nohead\.csv: the header has no "serial" column/);
      } finally {
        await reg.close();
      }
    });

    it('leaves database and blob store unchanged when an import fails half-way (thrown error, abort)', async () => {
      const { loc, reg } = await seeded(backend);
      const csv = await writePartsCsv(tempDir(), 20, { prefix: 'NEW', seed: 2 });
      let before;
      try {
        before = await snapshot(reg);
        const stop = new Error('stopped by the progress listener');
        const thrown = importPartsCsv(reg, csv, {
          onProgress: (e) => {
            if (e.phase === 'import' && e.done === 10) throw stop;
          },
        });
        await expect(thrown).rejects.toBe(stop);
        expect(await snapshot(reg)).toEqual(before);
        const controller = new AbortController();
        const aborted = importPartsCsv(reg, csv, { signal: controller.signal, onProgress: (e) => e.phase === 'import' && e.done === 15 && controller.abort() });
        await expect(aborted).rejects.toThrow(/abort/i);
        expect(await snapshot(reg)).toEqual(before);
      } finally {
        await reg.close();
      }
      const again = await open(loc);
      try {
        expect(await snapshot(again)).toEqual(before);
      } finally {
        await again.close();
      }
    });

    it('leaves database and blob store unchanged when the importing process is killed half-way', async () => {
      const { loc, reg } = await seeded(backend);
      const before = await snapshot(reg);
      await reg.close();
      const csv = await writePartsCsv(tempDir(), 40, { prefix: 'KIL', seed: 3 });
      const child = await runChild(loc, csv, 20);
      expect(child.signal).toBe('SIGKILL');
      expect(child.out).not.toMatch(/done/);
      expect(child.out).toMatch(/import 20\/40\npaused/);
      // The child had staged blobs that never became visible.
      expect(child.stagedFiles.length).toBeGreaterThanOrEqual(20);
      const after = await open(loc);
      try {
        expect(await snapshot(after)).toEqual(before);
        expect(listFiles(path.join(loc.dataDir, 'blobs', '.staging'))).toEqual([]);
        // And the same CSV imports cleanly afterwards.
        expect(await importPartsCsv(after, csv)).toMatchObject({ ok: true, parts: 40, captures: 40 });
      } finally {
        await after.close();
      }
    });

    it('exports every table and blob and imports them losslessly into an empty registry', async () => {
      const { reg } = await seeded(backend);
      const out = tempDir();
      try {
        const part = await reg.parts.require('OLD-0002');
        const cap = (await reg.captures.listForPart('OLD-0002'))[0];
        await reg.features.put({ captureId: cap.id, kind: 'fingerprint', version: 'v1', data: new Uint8Array(256).map((_, i) => 255 - i), meta: { n: 3 } });
        const t = '2026-02-04T00:00:00.000Z';
        const ev = await reg.db
          .insertInto('events')
          .values({ part_id: part.id, type: 'installed', occurred_at: t, recorded_at: t, place: 'Hall 3', actor: 'Zoë', notes: 'line1\nline2 "quoted" ✓', fields: JSON.stringify({ torqueNm: 12.5 }), external_id: 'urn:uuid:1' })
          .returningAll()
          .executeTakeFirstOrThrow();
        await reg.db.insertInto('events').values({ part_id: part.id, type: 'installed', occurred_at: t, recorded_at: t, corrects_event_id: ev.id, fields: '{"torqueNm":0.1}' }).execute();
        await reg.db.insertInto('source_models').values({ name: 'printer-v1', attribute: 'machine', dir: '/m/p1', card: '{"classes":["M0","M1"]}', active: 1, created_at: t }).execute();
        await reg.captures.add('OLD-0003', await noisePng(8, 8, 77), { pixelSizeUm: 0.1 + 0.2 });
        // A table another capability added (export/import are table-generic), with a blob reference and bytes.
        const addUploads = async (r: Registry) => {
          await r.db.schema.createTable('uploads').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('part_id', 'integer', (c) => c.references('parts.id')).addColumn('file_blob_hash', 'text').addColumn('raw', r.dialect === 'postgres' ? 'bytea' : 'blob').addColumn('score', 'double precision').execute();
        };
        await addUploads(reg);
        const upload = await reg.blobs.put(Buffer.from('an uploaded file'));
        await reg.db.withTables<{ uploads: { id: number; part_id: number; file_blob_hash: string; raw: Buffer; score: number } }>().insertInto('uploads').values({ id: 7, part_id: part.id, file_blob_hash: upload, raw: Buffer.from([0, 255, 10]), score: 1 / 3 }).execute();
        // Enough rows for several export pages (keyset pagination on single and composite keys).
        for (let s = 0; s < 2500; s += 500) {
          const ids = await reg.db.insertInto('parts').values(Array.from({ length: 500 }, (_, k) => ({ serial: `BULK-${s + k}`, part_number: null, created_at: t, updated_at: t }))).returning('id').execute();
          await reg.db.insertInto('part_attributes').values(ids.flatMap(({ id }) => [{ part_id: id, name: 'b', value: 'x' }, { part_id: id, name: 'a', value: String(id) }])).execute();
        }
        // And a table without a primary key (pages by offset), with two identical rows.
        await reg.db.schema.createTable('loose_notes').addColumn('note', 'text').addColumn('n', 'integer').execute();
        await reg.db.withTables<{ loose_notes: { note: string | null; n: number } }>().insertInto('loose_notes').values([{ note: 'same', n: 1 }, { note: 'same', n: 1 }, { note: null, n: 2 }]).execute();
        const first = await exportRegistry(reg, path.join(out, 'a'));
        expect(first.tables.find((x) => x.name === 'uploads')).toMatchObject({ rows: 1 });
        expect(first.tables.find((x) => x.name === 'parts')).toMatchObject({ rows: 2503 });
        expect(first.tables.find((x) => x.name === 'loose_notes')).toMatchObject({ rows: 3 });
        const attrKeys = readFileSync(path.join(out, 'a', 'tables', 'part_attributes.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { part_id: number; name: string });
        const attrCount = await reg.db.selectFrom('part_attributes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        expect(attrKeys).toHaveLength(Number(attrCount.n));
        expect(attrKeys.length).toBeGreaterThan(5000);
        for (let i = 1; i < attrKeys.length; i++) {
          const [a, b] = [attrKeys[i - 1], attrKeys[i]];
          expect(a.part_id < b.part_id || (a.part_id === b.part_id && a.name < b.name)).toBe(true);
        }
        expect(first.tables.map((x) => x.name)).toEqual(expect.arrayContaining(['parts', 'part_attributes', 'captures', 'capture_features', 'events', 'source_models']));
        expect(first.schemaVersion).toBe(SCHEMA_VERSION);
        expect(first.migrations.length).toBeGreaterThan(0);
        await expect(exportRegistry(reg, path.join(out, 'a'))).rejects.toMatchObject({ code: 'CONFLICT' });
        // Import into a fresh registry, export again: identical files.
        const loc2 = await backend.fresh();
        const reg2 = await open(loc2);
        try {
          await expect(importRegistry(reg2, path.join(out, 'a'))).rejects.toThrow(/table "(uploads|loose_notes)" does not exist in this registry/);
          await addUploads(reg2);
          await reg2.db.schema.createTable('loose_notes').addColumn('note', 'text').addColumn('n', 'integer').execute();
          await importRegistry(reg2, path.join(out, 'a'));
          const second = await exportRegistry(reg2, path.join(out, 'b'));
          expect({ ...second, exportedAt: '' }).toEqual({ ...first, exportedAt: '' });
          for (const t of first.tables) {
            expect(readFileSync(path.join(out, 'b', 'tables', `${t.name}.jsonl`), 'utf8')).toBe(readFileSync(path.join(out, 'a', 'tables', `${t.name}.jsonl`), 'utf8'));
          }
          expect(listFiles(path.join(out, 'b', 'blobs'))).toEqual(listFiles(path.join(out, 'a', 'blobs')));
          expect(await reg2.blobs.list()).toEqual(await reg.blobs.list());
          const cap2 = (await reg2.captures.listForPart('OLD-0003')).at(-1)!;
          expect(cap2.pixelSizeUm).toBe(0.1 + 0.2);
          expect(Array.from((await reg2.features.get(cap.id, 'fingerprint'))!.data)).toEqual(Array.from(new Uint8Array(256).map((_, i) => 255 - i)));
          // Ids continue after the imported ones.
          const next = await reg2.parts.create({ serial: 'AFTER-IMPORT' });
          expect(next.id).toBeGreaterThan(2503);
          // Importing into a registry that has data is refused.
          await expect(importRegistry(reg2, path.join(out, 'a'))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/import needs an empty registry/) });
        } finally {
          await reg2.close();
        }
      } finally {
        await reg.close();
      }
    });

    it('refuses a corrupt or newer export and leaves the registry unchanged', async () => {
      const { reg } = await seeded(backend);
      const out = tempDir();
      let target: Registry | undefined;
      try {
        await exportRegistry(reg, path.join(out, 'a'));
        target = await open(await backend.fresh());
        const before = await snapshot(target);
        // A blob whose bytes do not match its name.
        const blobs = listFiles(path.join(out, 'a', 'blobs'));
        copyFileSync(path.join(out, 'a', 'blobs', blobs[0]), path.join(out, 'keep'));
        writeFileSync(path.join(out, 'a', 'blobs', blobs[0]), 'tampered');
        await expect(importRegistry(target, path.join(out, 'a'))).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(`blob ${blobs[0]} is corrupt`) });
        expect(await snapshot(target)).toEqual(before);
        copyFileSync(path.join(out, 'keep'), path.join(out, 'a', 'blobs', blobs[0]));
        // A row that violates a constraint half-way through: everything rolls back.
        const partsFile = path.join(out, 'a', 'tables', 'captures.jsonl');
        const lines = readFileSync(partsFile, 'utf8').trimEnd().split('\n');
        lines[lines.length - 1] = lines[lines.length - 1].replace(/"part_id":\d+/, '"part_id":424242');
        writeFileSync(partsFile, `${lines.join('\n')}\n`);
        await expect(importRegistry(target, path.join(out, 'a'))).rejects.toThrow();
        expect(await snapshot(target)).toEqual(before);
        // A newer schema.
        const manifestFile = path.join(out, 'a', 'manifest.json');
        const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as { migrations: string[] };
        m.migrations.push(`${SCHEMA_VERSION + 5}-Future`);
        writeFileSync(manifestFile, JSON.stringify(m));
        await expect(importRegistry(target, path.join(out, 'a'))).rejects.toMatchObject({ code: 'CONFLICT', message: `export schema version ${SCHEMA_VERSION + 5} is newer than this partprint (${SCHEMA_VERSION}); upgrade partprint` });
        expect(await snapshot(target)).toEqual(before);
      } finally {
        await target?.close();
        await reg.close();
      }
    });
  });
}
