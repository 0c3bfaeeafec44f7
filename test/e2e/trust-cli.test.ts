/**
 * The CLI's exit codes and messages against the README's table, for the cases an attack run
 * found wrong: missing files, folders given as images, duplicate serials, bad serials (over-long,
 * bytes that are not UTF-8), output piped into a reader that stops early.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { runCliCaptured as cli } from '../helpers/cli.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'pp-trust-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs a shell command line with the real CLI as `$PP`; returns exit code and output. */
function sh(line: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { env: { ...process.env, ...env, PP: `${process.execPath} --import tsx ${path.join('src', 'cli', 'main.ts')}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const noStack = (text: string) => expect(text).not.toMatch(/unexpected error|\n\s+at .+:\d+:\d+/);

describe('exit codes and messages (README table)', () => {
  it('missing file: 4; a folder given as an image: 3; with a clear message and no stack', async () => {
    const data = ['--data', path.join(root, 'd1')];
    const folder = path.join(root, 'a-folder');
    mkdirSync(folder);
    const missing = await cli('register', 'R-1', path.join(root, 'nope.png'), '--create-part', ...data);
    expect(missing.code).toBe(4);
    expect(missing.err).toMatch(/nope\.png: no such file \(ENOENT\)/);
    noStack(missing.err);
    const dirAsImage = await cli('register', 'R-1', folder, '--create-part', ...data);
    expect(dirAsImage.code).toBe(3);
    expect(dirAsImage.err).toMatch(/a-folder: is a folder, not a file/);
    await cli('parts', 'add', 'R-2', ...data);
    const identify = await cli('identify', folder, ...data);
    expect(identify.code, identify.err).toBe(3);
    expect(identify.err).toMatch(/a-folder: is a folder, not an image file/);
    noStack(identify.err);
    const capDir = await cli('captures', 'add', 'R-2', folder, ...data);
    expect(capDir.code).toBe(3);
    expect(capDir.err).toMatch(/a folder, not an image file/);
    expect((await cli('parts', 'import', folder, ...data)).code).toBe(3);
    expect((await cli('parts', 'import', path.join(root, 'none.csv'), ...data)).code).toBe(4);
  });

  it('duplicate serials in a CSV import: 5 (conflict); any bad row as well: 3', async () => {
    const data = ['--data', path.join(root, 'd2')];
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#666' } }).png().toFile(path.join(root, 'g.png'));
    await cli('parts', 'add', 'OLD-1', ...data);
    writeFileSync(path.join(root, 'dup.csv'), 'serial,machine\nD-1,M1\nD-1,M2\nOLD-1,M3\n');
    const dup = await cli('parts', 'import', path.join(root, 'dup.csv'), ...data);
    expect(dup.code).toBe(5);
    expect(dup.err).toMatch(/row 2 \(line 3\) D-1: serial "D-1" also on row 1/);
    expect(dup.err).toMatch(/row 3 \(line 4\) OLD-1: serial "OLD-1" is already registered/);
    writeFileSync(path.join(root, 'mixed.csv'), 'serial,image\nD-1,\nD-1,\nD-3,missing.png\n');
    expect((await cli('parts', 'import', path.join(root, 'mixed.csv'), ...data)).code).toBe(3);
    expect((await cli('parts', 'add', 'OLD-1', ...data)).code).toBe(5);
  });

  it('serials: one limit (200 characters) and no silent U+FFFD, on the command line as in the API', async () => {
    const data = ['--data', path.join(root, 'd3')];
    const long = await cli('parts', 'add', 'L'.repeat(201), ...data);
    expect(long.code).toBe(3);
    expect(long.err).toMatch(/is 201 characters long; at most 200 are allowed/);
    expect((await cli('parts', 'add', 'L'.repeat(200), ...data)).code).toBe(0);
    // A real process given bytes that are not UTF-8 (Node turns them into U+FFFD): refused, exit 3.
    const bytes = await sh(`$PP parts add "$(printf 'S-\\xff')" --data ${path.join(root, 'd3')}`);
    expect(bytes.code, bytes.err).toBe(3);
    expect(bytes.err).toMatch(/contains U\+FFFD, the mark of bytes that were not valid UTF-8/);
    noStack(bytes.err);
    const reg = await openRegistry({ dataDir: path.join(root, 'd3') });
    try {
      expect((await reg.parts.list()).total).toBe(1);
    } finally {
      await reg.close();
    }
  });

  it('output piped into a reader that stops early (head): exit 0, nothing on stderr', async () => {
    const dataDir = path.join(root, 'd4');
    const reg = await openRegistry({ dataDir });
    try {
      const now = new Date().toISOString();
      const rows = Array.from({ length: 12_000 }, (_, i) => ({ serial: `PIPE-${String(i).padStart(6, '0')}`, part_number: 'a long part number to make the output large', created_at: now, updated_at: now }));
      await reg.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('parts').values(rows.slice(i, i + 1000)).execute();
      });
    } finally {
      await reg.close();
    }
    // pipefail: the shell's status is partprint's, not head's.
    for (const args of ['parts list', 'parts list --json']) {
      const r = await sh(`set -o pipefail; $PP ${args} --data ${dataDir} | head -n 2 >/dev/null`);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('progress when stderr is not a terminal: plain lines, not silence', async () => {
    const dir = path.join(root, 'prog');
    mkdirSync(path.join(dir, 'img'), { recursive: true });
    const lines = ['serial,image'];
    for (let i = 0; i < 5; i++) {
      await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 10 * i, g: 50, b: 90 } } }).png().toFile(path.join(dir, 'img', `${i}.png`));
      lines.push(`PR-${i},img/${i}.png`);
    }
    writeFileSync(path.join(dir, 'p.csv'), `${lines.join('\n')}\n`);
    // Every event is a line with a zero interval (the default, 5 s, keeps short work quiet).
    const r = await sh(`$PP parts import ${path.join(dir, 'p.csv')} --data ${path.join(dir, 'data')} 2>&1 >/dev/null | cat`, { PARTPRINT_PROGRESS_INTERVAL_MS: '0' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^partprint: check 0\/5 \(0%\) PR-0, 0 s$/m);
    expect(r.out).toMatch(/^partprint: import 5\/5 \(100%\), \d+ s$/m);
  });

  it('export with a blob missing: exit 8, listing it, no backup written', async () => {
    const data = ['--data', path.join(root, 'd5')];
    const png = path.join(root, 'x.png');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#345' } }).png().toFile(png);
    const added = JSON.parse((await cli('parts', 'add', 'EX-1', '--image', png, '--json', ...data)).out) as { captures: Array<{ id: number; blobHash: string }> };
    const hash = added.captures[0].blobHash;
    rmSync(path.join(root, 'd5', 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash));
    const r = await cli('export', path.join(root, 'bk'), ...data);
    expect(r.code).toBe(8);
    expect(r.err).toContain(`missing ${hash} (capture #${added.captures[0].id} of EX-1)`);
    noStack(r.err);
    expect((await cli('parts', 'list', ...data)).code).toBe(0);
    expect(existsSync(path.join(root, 'bk'))).toBe(false);
  });
});
