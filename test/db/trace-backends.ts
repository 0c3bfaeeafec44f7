/**
 * Registries for the trace DB tests: a fresh SQLite one in a temp dir per call, and PostgreSQL
 * when PARTPRINT_TEST_PG_URL names a server (each call gets a fresh schema-free database).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openRegistry, type Registry } from '../../src/registry/index.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  open(): Promise<Registry & { cleanup(): Promise<void> }>;
}

let counter = 0;

async function freshPgDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pp_trace_${process.pid}_${Date.now()}_${counter++}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-trace-'));
        const reg = await openRegistry({ dataDir: dir });
        return Object.assign(reg, { cleanup: async () => { await reg.close(); rmSync(dir, { recursive: true, force: true }); } });
      },
    },
  ];
  const pgUrl = process.env.PARTPRINT_TEST_PG_URL;
  if (pgUrl) {
    list.push({
      name: 'postgres',
      async open() {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'pp-trace-'));
        const db = await freshPgDatabase(pgUrl);
        const reg = await openRegistry({ dataDir: dir, databaseUrl: db.url });
        return Object.assign(reg, { cleanup: async () => { await reg.close(); await db.drop(); rmSync(dir, { recursive: true, force: true }); } });
      },
    });
  }
  return list;
}
