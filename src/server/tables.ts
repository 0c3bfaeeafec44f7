/** Row types of the server's own tables (migration 1795259387649-ServerTables). */
import type { Generated, Kysely } from 'kysely';

export interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  rate_per_s: number | null;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
}

export interface JobRow {
  id: Generated<number>;
  kind: string;
  status: string;
  params: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface AuditRow {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: string;
}

export interface ServerTables {
  api_keys: ApiKeyRow;
  jobs: JobRow;
  audit_log: AuditRow;
}

export type ServerDb = Kysely<ServerTables>;

/**
 * The registry's Kysely handle seen through the server's tables. The registry's `Database`
 * interface does not list them (they belong to this capability), so the view is a cast in this
 * one place.
 */
export function serverDb(db: unknown): ServerDb {
  return db as ServerDb;
}
