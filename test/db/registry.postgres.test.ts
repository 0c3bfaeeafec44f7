import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresBackend } from './backends.js';
import { defineRegistrySuite } from './registry.suite.js';

const backend = postgresBackend();
defineRegistrySuite(backend);

describe.skipIf(backend.skip !== undefined)('throwaway PostgreSQL cluster', () => {
  it('serves a fresh database over the Unix socket named in the URL', async () => {
    const loc = await backend.fresh();
    expect(loc.databaseUrl).toMatch(/^postgres:\/\/postgres@localhost\/t_\w+\?host=%2F/);
    const client = new pg.Client({ connectionString: loc.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ v: string; tables: string }>("SELECT current_setting('server_version') AS v, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables");
    await client.end();
    expect(Number(rows[0].v.split('.')[0])).toBeGreaterThanOrEqual(13);
    expect(Number(rows[0].tables)).toBe(0);
  });
});
