/**
 * Field workflows (owners: plan/ and line/): assembly inspection checks with the capture of each
 * position, and the line registration journal (one row per delivered image file, written in the
 * same transaction as the registration it records, so a restart neither loses nor doubles a part).
 */
import { addIdColumn, type AnyDb } from '../migration-kit.js';

export async function up(db: AnyDb): Promise<void> {
  await addIdColumn(db.schema.createTable('inspection_checks'), db)
    .addColumn('assembly_part_id', 'integer', (c) => c.notNull().references('parts.id'))
    .addColumn('assembly_type', 'text', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('recorded_by', 'text')
    .execute();
  await db.schema.createIndex('inspection_checks_assembly_idx').on('inspection_checks').column('assembly_part_id').execute();
  await addIdColumn(db.schema.createTable('inspection_check_positions'), db)
    .addColumn('check_id', 'integer', (c) => c.notNull().references('inspection_checks.id'))
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('blob_hash', 'text')
    .addColumn('filename', 'text')
    .addColumn('identified_serial', 'text')
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.createIndex('inspection_check_positions_check_idx').on('inspection_check_positions').column('check_id').execute();

  await addIdColumn(db.schema.createTable('line_items'), db)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('serial', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('detail', 'text')
    .addColumn('capture_id', 'integer')
    .addColumn('processed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('line_items_source_sha_idx').on('line_items').columns(['source', 'sha256']).unique().execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('line_items').execute();
  await db.schema.dropTable('inspection_check_positions').execute();
  await db.schema.dropTable('inspection_checks').execute();
}
