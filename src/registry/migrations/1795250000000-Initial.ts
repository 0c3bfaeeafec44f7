/** Parts, attributes, captures, capture features, events (append-only), source models. */
import { sql } from 'kysely';
import { addIdColumn, type AnyDb, binaryType, isPostgres } from '../migration-kit.js';

export async function up(db: AnyDb): Promise<void> {
  await addIdColumn(db.schema.createTable('parts'), db)
    .addColumn('serial', 'text', (c) => c.notNull().unique())
    .addColumn('part_number', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('parts_part_number_idx').on('parts').column('part_number').execute();

  await db.schema
    .createTable('part_attributes')
    .addColumn('part_id', 'integer', (c) => c.notNull().references('parts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('part_attributes_pk', ['part_id', 'name'])
    .execute();
  await db.schema.createIndex('part_attributes_name_value_idx').on('part_attributes').columns(['name', 'value']).execute();

  await addIdColumn(db.schema.createTable('captures'), db)
    .addColumn('part_id', 'integer', (c) => c.notNull().references('parts.id'))
    .addColumn('blob_hash', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('face', 'text')
    .addColumn('device', 'text')
    .addColumn('pixel_size_um', 'double precision')
    .addColumn('lighting', 'text')
    .addColumn('operator', 'text')
    .addColumn('captured_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('captures_part_id_idx').on('captures').column('part_id').execute();
  await db.schema.createIndex('captures_blob_hash_idx').on('captures').column('blob_hash').execute();

  await db.schema
    .createTable('capture_features')
    .addColumn('capture_id', 'integer', (c) => c.notNull().references('captures.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('data', binaryType(db), (c) => c.notNull())
    .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('capture_features_pk', ['capture_id', 'kind'])
    .execute();
  await db.schema.createIndex('capture_features_kind_idx').on('capture_features').column('kind').execute();

  await addIdColumn(db.schema.createTable('events'), db)
    .addColumn('part_id', 'integer', (c) => c.notNull().references('parts.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('place', 'text')
    .addColumn('actor', 'text')
    .addColumn('notes', 'text')
    .addColumn('fields', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('corrects_event_id', 'integer', (c) => c.references('events.id'))
    .addColumn('recorded_by', 'text')
    .addColumn('external_id', 'text', (c) => c.unique())
    .execute();
  await db.schema.createIndex('events_part_occurred_idx').on('events').columns(['part_id', 'occurred_at']).execute();
  await db.schema.createIndex('events_type_idx').on('events').column('type').execute();
  // History is append-only: a correction is a new event. Refuse UPDATE and DELETE in the database itself.
  if (isPostgres(db)) {
    await sql`CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'events are append-only: add a correcting event instead'; END $$`.execute(db);
    await sql`CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_append_only()`.execute(db);
  } else {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(`CREATE TRIGGER events_no_${op.toLowerCase()} BEFORE ${op} ON events
          BEGIN SELECT RAISE(ABORT, 'events are append-only: add a correcting event instead'); END`)
        .execute(db);
    }
  }

  await addIdColumn(db.schema.createTable('source_models'), db)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('attribute', 'text', (c) => c.notNull())
    .addColumn('dir', 'text', (c) => c.notNull())
    .addColumn('card', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('source_models').execute();
  await db.schema.dropTable('events').execute();
  if (isPostgres(db)) await sql`DROP FUNCTION IF EXISTS events_append_only()`.execute(db);
  await db.schema.dropTable('capture_features').execute();
  await db.schema.dropTable('captures').execute();
  await db.schema.dropTable('part_attributes').execute();
  await db.schema.dropTable('parts').execute();
}
