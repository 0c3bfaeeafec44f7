/** Registry-wide settings as named JSON values (owner of each name: the capability that reads it, e.g. trace's "epcis.epcRule"). */
import type { AnyDb } from '../migration-kit.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('settings').execute();
}
