/** The audit log: one row per write made through the API (who, what, on which target). */
import type { ServerDb } from './tables.js';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export class AuditRepository {
  constructor(private readonly db: ServerDb) {}

  async record(actor: string, action: string, target: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await this.db.insertInto('audit_log').values({ at: new Date().toISOString(), actor, action, target, details: JSON.stringify(details) }).execute();
  }

  async list(limit: number, offset: number): Promise<{ items: AuditEntry[]; total: number }> {
    const rows = await this.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).offset(offset).execute();
    const total = await this.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return {
      items: rows.map((r) => ({ id: Number(r.id), at: r.at, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown> })),
      total: Number(total.n),
    };
  }
}
