import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../../test/helpers/cli.js';

const cli = runCliCaptured;

describe('registry commands', () => {
  it('add, list, show, captures add, import CSV, export and import, with documented exit codes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-cli-'));
    const data = ['--data', path.join(dir, 'data')];
    const png = path.join(dir, 'a.png');
    await sharp({ create: { width: 30, height: 20, channels: 3, background: '#777' } }).png().toFile(png);

    const add = await cli('parts', 'add', 'A-1', '--part-number', 'bracket', '--attr', 'machine=M03', '--image', png, '--face', 'top', '--pixel-size-um', '5.3', '--json', ...data);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.out)).toMatchObject({ serial: 'A-1', attributes: { machine: 'M03' }, captures: [{ width: 30, height: 20, face: 'top', pixelSizeUm: 5.3 }] });
    expect((await cli('parts', 'add', 'A-1', ...data)).code).toBe(5);
    expect((await cli('parts', 'add', 'A-2', '--image', path.join(dir, 'none.png'), ...data)).code).toBe(4);
    expect((await cli('parts', 'show', 'A-2', ...data)).code).toBe(4); // the failed add stored nothing
    expect((await cli('parts', 'add', 'A-3', '--pixel-size-um', 'x', ...data)).code).toBe(2);

    const big = await cli('captures', 'add', 'A-1', png, '--max-pixels', '100', ...data);
    expect(big.code).toBe(3);
    expect(big.err).toMatch(/a\.png: image is 30x20 = 600 pixels, over the limit of 100/);
    expect((await cli('captures', 'add', 'A-1', png, png, ...data)).code).toBe(0);
    const show = await cli('parts', 'show', 'A-1', '--json', ...data);
    expect(JSON.parse(show.out).captures).toHaveLength(3);

    writeFileSync(path.join(dir, 'p.csv'), 'serial,image,machine\nB-1,a.png,M01\nB-2,,M02\n');
    writeFileSync(path.join(dir, 'bad.csv'), 'serial,image,machine\nB-3,nothere.png,M01\nA-1,,M02\n');
    const bad = await cli('parts', 'import', path.join(dir, 'bad.csv'), ...data);
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/row 1 \(line 2\) B-3: nothere\.png: cannot read file/);
    expect(bad.err).toMatch(/row 2 \(line 3\) A-1: serial "A-1" is already registered/);
    expect(bad.err).toMatch(/2 of 2 row\(s\) rejected; nothing was imported/);
    const tooBig = JSON.parse((await cli('parts', 'import', path.join(dir, 'p.csv'), '--json', '--max-pixels', '599', ...data)).out);
    expect(tooBig.rejected).toEqual([{ row: 1, line: 2, serial: 'B-1', reason: 'a.png: image is 30x20 = 600 pixels, over the limit of 599', kind: 'invalid' }]);
    const good = await cli('parts', 'import', path.join(dir, 'p.csv'), '--json', ...data);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toMatchObject({ ok: true, parts: 2, captures: 1 });

    const list = JSON.parse((await cli('parts', 'list', '--attr', 'machine=M01', '--json', ...data)).out);
    expect(list.total).toBe(1);
    expect(list.parts[0].serial).toBe('B-1');
    expect((await cli('parts', 'list', ...data)).out).toMatch(/3 of 3 part\(s\)/);

    expect((await cli('export', path.join(dir, 'exp'), ...data)).code).toBe(0);
    const imp = await cli('import', path.join(dir, 'exp'), '--data', path.join(dir, 'data2'));
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/parts 3/);
    expect((await cli('import', path.join(dir, 'exp'), '--data', path.join(dir, 'data2'))).code).toBe(5);
    expect(JSON.parse((await cli('parts', 'list', '--json', '--data', path.join(dir, 'data2'))).out).total).toBe(3);
    rmSync(dir, { recursive: true, force: true });
  });
});
