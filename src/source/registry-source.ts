/**
 * The registry side of source identification: dataset candidates from parts with a known
 * attribute, and the `source_models` table (register, list, activate one model per attribute).
 */
import path from 'node:path';
import { SourceError } from '../core/index.js';
import type { Registry } from '../registry/index.js';
import { readModelCard, type ModelCard } from './card.js';
import type { DatasetCandidate } from './split.js';

/** Every capture of every part that has `attribute`, labelled with its value. */
export async function candidatesFromRegistry(reg: Registry, attribute: string): Promise<DatasetCandidate[]> {
  const rows = await reg.db
    .selectFrom('captures')
    .innerJoin('parts', 'parts.id', 'captures.part_id')
    .innerJoin('part_attributes', (j) => j.onRef('part_attributes.part_id', '=', 'parts.id').on('part_attributes.name', '=', attribute))
    .select(['parts.serial as serial', 'part_attributes.value as label', 'captures.id as captureId', 'captures.blob_hash as blobHash', 'captures.pixel_size_um as pixelSizeUm'])
    .orderBy('parts.serial')
    .orderBy('captures.id')
    .execute();
  return rows.map((r) => ({
    serial: r.serial,
    label: r.label,
    captureId: Number(r.captureId),
    image: reg.blobs.path(r.blobHash),
    pixelSizeUm: r.pixelSizeUm === null ? null : Number(r.pixelSizeUm),
  }));
}

/** Image path of a part's latest capture (for `source predict SERIAL`). */
export async function latestCaptureImage(reg: Registry, serial: string): Promise<{ image: string; captureId: number }> {
  const caps = await reg.captures.listForPart(serial);
  if (caps.length === 0) throw new SourceError(`part ${serial} has no captures`, { code: 'NOT_FOUND' });
  const last = caps.reduce((a, b) => (b.id > a.id ? b : a));
  return { image: reg.blobs.path(last.blobHash), captureId: last.id };
}

export interface RegisteredModel {
  id: number;
  name: string;
  attribute: string;
  dir: string;
  active: boolean;
  createdAt: string;
  card: ModelCard;
}

type ModelRow = { id: number; name: string; attribute: string; dir: string; card: string; active: number; created_at: string };

function toModel(r: ModelRow): RegisteredModel {
  return { id: Number(r.id), name: r.name, attribute: r.attribute, dir: r.dir, active: Number(r.active) === 1, createdAt: r.created_at, card: JSON.parse(r.card) as ModelCard };
}

/** Records a model folder (card validated) under the card's name; CONFLICT if the name is taken. */
export async function registerModel(reg: Registry, dir: string, options: { activate?: boolean } = {}): Promise<RegisteredModel> {
  const card = await readModelCard(dir);
  const abs = path.resolve(dir);
  return reg.transaction(async (trx) => {
    const existing = await trx.selectFrom('source_models').select('id').where('name', '=', card.name).executeTakeFirst();
    if (existing) throw new SourceError(`a source model named "${card.name}" is already registered`, { code: 'CONFLICT' });
    if (options.activate) await trx.updateTable('source_models').set({ active: 0 }).where('attribute', '=', card.attribute).execute();
    await trx
      .insertInto('source_models')
      .values({ name: card.name, attribute: card.attribute, dir: abs, card: JSON.stringify(card), active: options.activate ? 1 : 0, created_at: new Date().toISOString() })
      .execute();
    const row = await trx.selectFrom('source_models').selectAll().where('name', '=', card.name).executeTakeFirstOrThrow();
    return toModel(row as ModelRow);
  });
}

export async function listModels(reg: Registry, attribute?: string): Promise<RegisteredModel[]> {
  let q = reg.db.selectFrom('source_models').selectAll().orderBy('attribute').orderBy('created_at');
  if (attribute) q = q.where('attribute', '=', attribute);
  return (await q.execute()).map((r) => toModel(r as ModelRow));
}

/** Makes `name` the active model of its attribute (the others of that attribute are deactivated). */
export async function activateModel(reg: Registry, name: string): Promise<RegisteredModel> {
  return reg.transaction(async (trx) => {
    const row = await trx.selectFrom('source_models').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new SourceError(`no source model named "${name}" (see: partprint source models list)`, { code: 'NOT_FOUND' });
    await trx.updateTable('source_models').set({ active: 0 }).where('attribute', '=', row.attribute).execute();
    await trx.updateTable('source_models').set({ active: 1 }).where('name', '=', name).execute();
    return { ...toModel(row as ModelRow), active: true };
  });
}

/** The active model of an attribute (or the only active one when no attribute is given). */
export async function activeModel(reg: Registry, attribute?: string): Promise<RegisteredModel | undefined> {
  const active = (await listModels(reg, attribute)).filter((m) => m.active);
  if (active.length > 1) {
    throw new SourceError(`several attributes have an active model (${active.map((m) => m.attribute).join(', ')}); name one with --attribute or --model`, { code: 'CONFIG' });
  }
  return active[0];
}
