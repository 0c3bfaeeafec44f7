/** `partprint serve` and `partprint keys` as a user runs them: bootstrap key, env key, CLI-made keys. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/partprint.js');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempData(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'pp-serve-cli-'));
  dirs.push(d);
  return d;
}

/** Starts serve, waits for its address, runs `fn`, stops it with SIGTERM. Returns serve's stdout. */
async function withServe(args: string[], env: Record<string, string>, fn: (url: string, out: string) => Promise<void>): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /serving (http:\/\/\S+)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 50);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${code}: ${out}`));
      });
    });
    await fn(url, out);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  return out;
}

describe('partprint serve / keys', () => {
  it('prints a bootstrap admin key once on an empty key table, and keys made by the CLI work with their role', async () => {
    const data = tempData();
    const served = await withServe(['--data', data], {}, async (url, out) => {
      const key = /^\s+(ppk_[0-9a-f]{12}_\S+)$/m.exec(out)?.[1];
      expect(key, out).toBeDefined();
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      expect((await fetch(`${url}/api/keys`)).status).toBe(401);
      const keys = await fetch(`${url}/api/keys`, { headers: { authorization: `Bearer ${key}` } });
      expect(keys.status).toBe(200);
      expect(((await keys.json()) as { items: unknown[] }).items[0]).toMatchObject({ role: 'admin', name: 'bootstrap admin' });
    });
    // the page to open, with the address serve listened on
    const url = /serving (http:\/\/\S+)/.exec(served)![1];
    expect(served).toContain(`Open ${url}/ in a browser and paste the admin key above`);
    const made = spawnSync(process.execPath, [BIN, 'keys', 'create', '--role', 'viewer', '--name', 'wall screen', '--json', '--data', data], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const { secret, key } = JSON.parse(made.stdout);
    expect(key.role).toBe('viewer');
    const bad = spawnSync(process.execPath, [BIN, 'keys', 'create', '--role', 'root', '--name', 'x', '--data', data], { encoding: 'utf8' });
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/unknown role "root"/);
    const second = await withServe(['--data', data], {}, async (url) => {
      expect((await fetch(`${url}/api/parts`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
      const denied = await fetch(`${url}/api/parts`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{"serial":"X"}' });
      expect(denied.status).toBe(403);
    });
    expect(second).not.toMatch(/No API keys yet/);
    const revoked = spawnSync(process.execPath, [BIN, 'keys', 'revoke', key.id, '--data', data], { encoding: 'utf8' });
    expect(revoked.status, revoked.stderr).toBe(0);
    const list = spawnSync(process.execPath, [BIN, 'keys', 'list', '--json', '--data', data], { encoding: 'utf8' });
    expect(JSON.parse(list.stdout).find((k: { id: string }) => k.id === key.id).revokedAt).not.toBeNull();
  });

  it('stores PARTPRINT_ADMIN_KEY as the admin key instead of printing one', async () => {
    const secret = 'my-own-admin-key-0123456789';
    await withServe(['--data', tempData()], { PARTPRINT_ADMIN_KEY: secret }, async (url, out) => {
      expect(out).toMatch(/stored PARTPRINT_ADMIN_KEY as admin key/);
      expect(out).not.toMatch(/ppk_/);
      expect((await fetch(`${url}/api/whoami`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    });
  });
});
