/** Test harness for the HTTP API: a fresh registry in a temp folder, a server, one key per role. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createRng } from '../../src/core/index.js';
import { openRegistry, type Registry } from '../../src/registry/index.js';
import { createServer, type PartprintServer, type Role, type ServerOptions } from '../../src/server/index.js';

export interface Harness {
  dir: string;
  registry: Registry;
  server: PartprintServer;
  keys: Record<Role, string>;
  auth(role: Role): { authorization: string };
  close(): Promise<void>;
}

export async function startHarness(options: Partial<Omit<ServerOptions, 'registry'>> = {}, location?: { dataDir: string; databaseUrl?: string }): Promise<Harness> {
  const dir = location?.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'partprint-api-')));
  const registry = await openRegistry({ dataDir: dir, databaseUrl: location?.databaseUrl });
  // Rate limits off unless a test sets them: tests make many requests (and many failed ones) from one address.
  const server = await createServer({ registry, staticDir: null, rateLimit: { perSecond: 0, burst: 1 }, failedAuthLimit: { perSecond: 0, burst: 1 }, ...options });
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'operator', 'inspector', 'viewer'] as const) {
    keys[role] = (await server.services.keys.create({ role, name: `test ${role}` })).secret;
  }
  return {
    dir,
    registry,
    server,
    keys,
    auth: (role) => ({ authorization: `Bearer ${keys[role]}` }),
    close: async () => {
      await server.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A seeded noise texture as PNG bytes (a stand-in for a surface photo). */
export async function noisePng(seed: number, width = 64, height = 48): Promise<Buffer> {
  const rng = createRng(seed);
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer();
}

/** multipart/form-data with one file field and string fields. */
export function form(fields: Record<string, string>, file?: { field?: string; name: string; bytes: Uint8Array; type?: string }): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append(file.field ?? 'image', new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'image/png' }), file.name);
  return fd;
}
