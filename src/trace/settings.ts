/** Trace settings kept in the registry's `settings` table, so every process on the registry (CLI, server) reads the same rule. */
import type { Kysely } from 'kysely';
import type { Database } from '../registry/index.js';
import { checkEpcRule, DEFAULT_EPC_RULE, type EpcRule } from './epc.js';

const EPC_RULE = 'epcis.epcRule';

/** The registry's EPC rule (defaults when none was set). */
export async function getEpcRule(registry: { db: Kysely<Database> }): Promise<EpcRule> {
  const row = await registry.db.selectFrom('settings').select('value').where('name', '=', EPC_RULE).executeTakeFirst();
  return row ? checkEpcRule(JSON.parse(row.value)) : { ...DEFAULT_EPC_RULE, schemes: [...DEFAULT_EPC_RULE.schemes], gtins: [] };
}

/**
 * Sets the registry's EPC rule (members left out take the defaults) and returns it.
 *
 * @example await setEpcRule(reg, { sgtinSerial: '{serial}', gtins: ['10614141073464'] }, 'alice')
 */
export async function setEpcRule(registry: { db: Kysely<Database> }, input: unknown, updatedBy: string | null = null): Promise<EpcRule> {
  const rule = checkEpcRule(input);
  const value = JSON.stringify(rule);
  const now = new Date().toISOString();
  await registry.db
    .insertInto('settings')
    .values({ name: EPC_RULE, value, updated_at: now, updated_by: updatedBy })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now, updated_by: updatedBy }))
    .execute();
  return rule;
}
