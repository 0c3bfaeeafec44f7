import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    return { code: await runCli(args), out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('partprint synth', () => {
  it('parts, recaptures and a sheet from the command line', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-synth-cli-'));
    const parts = path.join(dir, 'parts');
    const r1 = await cli(['synth', 'parts', '--machines', '2', '--parts-per-machine', '2', '--size', '96', '--processes', 'sla,fdm', '--workers', '1', '--out', parts]);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out).toMatch(/4 parts in/);
    const manifest = await readFile(path.join(parts, 'manifest.csv'), 'utf8');
    expect(manifest).toMatch(/^serial,part_number,image,/);
    expect(manifest).toContain('P000003,lattice,images/P000003.png,A,synth-flatbed,5.3,az=135;el=50;gain=1,synth,2025-03-01T00:00:00Z,FDM,M02,ABS,M02-B01,r1c1,lattice,\r\n');
    const r2 = await cli(['synth', 'recaptures', '--from', parts, '--captures', '1', '--lookalikes', '2', '--workers', '1', '--out', path.join(dir, 'recap')]);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out).toMatch(/6 captures in/);
    const r3 = await cli(['synth', 'sheet', '--from', parts, '--parts-per-sheet', '4', '--pixel-size', '150', '--width-mm', '120', '--height-mm', '90', '--out', path.join(dir, 'sheet')]);
    expect(r3.code, r3.err).toBe(0);
    expect(existsSync(path.join(dir, 'sheet', 'sheets', 'sheet-001.png'))).toBe(true);
  });

  it('names the bad option and exits with the documented codes', async () => {
    const bad = await cli(['synth', 'parts', '--processes', 'SLS', '--out', path.join(os.tmpdir(), 'never')]);
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/unknown process "SLS"/);
    const missing = await cli(['synth', 'recaptures', '--from', path.join(os.tmpdir(), 'no-such-synth-dir'), '--out', path.join(os.tmpdir(), 'never2')]);
    expect(missing.code).toBe(4);
    expect(missing.err).toMatch(/synth\.json: cannot read/);
  });
});
