import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { openRegistry } from '../../src/registry/index.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('partprint demo', () => {
  it('builds a small registry from synthetic parts and says what it holds', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'partprint-demo-'));
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await runCli(['demo', '--data', dir]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/registered 24 parts with 24 captures/);
    expect(text).toMatch(/FDM M02: 4 parts/);
    const reg = await openRegistry({ dataDir: dir });
    try {
      const { total } = await reg.parts.list({ attributes: { process: 'DLS' } });
      expect(total).toBe(12);
      const p = await reg.parts.get('P000009');
      expect(p?.attributes).toMatchObject({ process: 'DLS', machine: 'M03', material: 'RPU 70' });
    } finally {
      await reg.close();
    }
  });
});
