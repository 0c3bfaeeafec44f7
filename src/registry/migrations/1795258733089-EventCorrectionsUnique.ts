/** trace: an event is corrected at most once (a correction of a correction fixes it further), also under concurrent writers. */
import type { AnyDb } from '../migration-kit.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema.createIndex('events_corrects_event_id_unique').on('events').column('corrects_event_id').unique().execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('events_corrects_event_id_unique').execute();
}
