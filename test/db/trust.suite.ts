/**
 * Integrity at the edges, on both databases: an export that checks every blob the database refers
 * to, and one rule for serials on every path (NUL, length, bytes that are not UTF-8).
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportRegistry, importPartsCsv, openRegistry, type Registry, SERIAL_MAX_LENGTH } from '../../src/registry/index.js';
import { appendEvent, getHistory } from '../../src/trace/index.js';
import { type Backend, type Location, tempDir } from './backends.js';
import { noisePng, writePartsCsv } from './fixtures.js';

async function open(loc: Location): Promise<Registry> {
  return openRegistry({ dataDir: loc.dataDir, databaseUrl: loc.databaseUrl });
}

export function defineTrustSuite(backend: Backend): void {
  describe.skipIf(backend.skip !== undefined)(`registry integrity on ${backend.name}`, () => {
    it('export checks every referenced blob and refuses, listing each missing or corrupt one, writing nothing', async () => {
      const loc = await backend.fresh();
      const reg = await open(loc);
      try {
        expect((await importPartsCsv(reg, await writePartsCsv(tempDir(), 4, { prefix: 'EXP', seed: 21 }))).ok).toBe(true);
        const caps = await Promise.all(['EXP-0001', 'EXP-0002', 'EXP-0003'].map(async (s) => (await reg.captures.listForPart(s))[0]));
        // One blob lost (as after a crash whose staged files were never recovered), one altered.
        renameSync(reg.blobs.path(caps[0].blobHash), path.join(tempDir(), 'lost'));
        writeFileSync(reg.blobs.path(caps[1].blobHash), 'bit rot');
        const out = path.join(tempDir(), 'backup');
        const err = await exportRegistry(reg, out).then(() => null, (e: unknown) => e as Error & { code: string });
        expect(err).toMatchObject({ code: 'DAMAGED' });
        expect(err!.message).toMatch(/export refused, nothing written: .*1 blob\(s\) the database refers to are missing, 1 corrupt/);
        expect(err!.message).toContain(`missing ${caps[0].blobHash} (capture #${caps[0].id} of EXP-0001)`);
        expect(err!.message).toContain(`corrupt ${caps[1].blobHash} (capture #${caps[1].id} of EXP-0002)`);
        expect(existsSync(out)).toBe(false);
        expect(existsSync(`${out}.partial-${process.pid}`)).toBe(false);
        // Repaired (the images put back): the export goes through and holds every blob.
        rmSync(reg.blobs.path(caps[1].blobHash));
        await reg.blobs.put(await noisePng(48, 48, 21 * 100_000 + 1));
        await reg.blobs.put(await noisePng(48, 48, 21 * 100_000 + 2));
        const manifest = await exportRegistry(reg, out);
        expect(manifest.blobs).toBe(4);
      } finally {
        await reg.close();
      }
    });

    it('holds every path to one serial rule: NUL, over-long, lone surrogates and U+FFFD refused with BAD_INPUT', async () => {
      const loc = await backend.fresh();
      const reg = await open(loc);
      try {
        const bad: Array<[string, RegExp]> = [
          ['A\u0000B', /serial "A\\u0000B" contains a NUL byte/],
          ['x'.repeat(10 * 2 ** 20), new RegExp(`is ${10 * 2 ** 20} characters long; at most ${SERIAL_MAX_LENGTH} are allowed`)],
          ['é'.repeat(SERIAL_MAX_LENGTH + 1), /is 201 characters long/],
          ['bad\ud800', /not valid Unicode/],
          ['caf\ufffd', /not valid UTF-8/],
          ['tab\there', /control character U\+0009/],
        ];
        for (const [serial, message] of bad) {
          await expect(reg.parts.create({ serial })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(message) });
        }
        expect((await reg.parts.create({ serial: '€'.repeat(SERIAL_MAX_LENGTH) })).serial).toHaveLength(SERIAL_MAX_LENGTH);
        // Lookups of serials that cannot be stored are bad input too, not a database error.
        await expect(reg.parts.get('A\u0000B')).rejects.toMatchObject({ code: 'BAD_INPUT' });
        await expect(appendEvent(reg, 'A\u0000B', { type: 'observed', occurredAt: '2026-01-01T00:00:00Z' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
        await expect(getHistory(reg, 'A\u0000B')).rejects.toMatchObject({ code: 'BAD_INPUT' });
        await expect(reg.parts.create({ serial: 'OK-1', attributes: { machine: 'M\u00001' } })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/attribute "machine" "M\\u00001" contains a NUL byte/) });
        expect(await reg.parts.get('OK-1')).toBeUndefined();
        await reg.parts.create({ serial: 'OK-2' });
        await expect(appendEvent(reg, 'OK-2', { type: 'observed', occurredAt: '2026-01-01T00:00:00Z', notes: 'a\u0000b' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/notes contains a NUL byte/) });
      } finally {
        await reg.close();
      }
    });

    it('CSV import: rows with NUL, over-long serials or bytes that are not UTF-8 are rejected, never merged', async () => {
      const loc = await backend.fresh();
      const reg = await open(loc);
      try {
        const dir = tempDir();
        // Two serials that differ only in invalid bytes (0xff, 0xfe) would both read as "S-\ufffd".
        const csv = Buffer.concat([
          Buffer.from('serial,machine\nGOOD-1,M1\nS-'),
          Buffer.from([0xff]),
          Buffer.from(',M1\nS-'),
          Buffer.from([0xfe]),
          Buffer.from(`,M2\nNUL\u0000,M1\n${'L'.repeat(SERIAL_MAX_LENGTH + 1)},M1\nGOOD-2,M\u00002\n`),
        ]);
        writeFileSync(path.join(dir, 'p.csv'), csv);
        const r = await importPartsCsv(reg, path.join(dir, 'p.csv'));
        expect(r.ok).toBe(false);
        expect(r.rejected.map((x) => [x.row, x.kind])).toEqual([[2, 'invalid'], [3, 'invalid'], [4, 'invalid'], [5, 'invalid'], [6, 'invalid']]);
        expect(r.rejected[0].reason).toMatch(/column "serial" has bytes that are not valid UTF-8/);
        expect(r.rejected[2].reason).toMatch(/contains a NUL byte/);
        expect(r.rejected[3].reason).toMatch(/is 201 characters long; at most 200/);
        expect(r.rejected[4].reason).toMatch(/attribute "machine" "M\\u00002" contains a NUL byte/);
        expect((await reg.parts.list()).total).toBe(0);
        // Duplicates (in the file, or registered already) are conflicts.
        await reg.parts.create({ serial: 'OLD-1' });
        writeFileSync(path.join(dir, 'dup.csv'), 'serial\nD-1\nD-1\nOLD-1\n');
        const dup = await importPartsCsv(reg, path.join(dir, 'dup.csv'));
        expect(dup.rejected.map((x) => [x.row, x.kind])).toEqual([[2, 'conflict'], [3, 'conflict']]);
      } finally {
        await reg.close();
      }
    });
  });
}
