/** Counts for /metrics and /api/health, straight from the registry's tables. */
import { sql } from 'kysely';
import type { Registry } from '../registry/index.js';

export class StatsRepository {
  constructor(private readonly registry: Registry) {}

  /** Row counts of the given tables (a table that does not exist counts as absent). */
  async counts(tables: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of tables) {
      if (!/^[a-z_]+$/.test(t)) continue;
      try {
        const r = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(t)}`.execute(this.registry.db);
        out[t] = Number(r.rows[0]?.n ?? 0);
      } catch {
        // table absent in this schema version
      }
    }
    return out;
  }

  async fingerprints(): Promise<number> {
    const r = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM capture_features WHERE kind = 'fingerprint'`.execute(this.registry.db);
    return Number(r.rows[0]?.n ?? 0);
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.registry.db);
  }
}
