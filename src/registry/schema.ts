/**
 * Table types for Kysely. Column names are snake_case as in the database; times are ISO-8601 UTC
 * TEXT on both databases; JSON is TEXT. Capabilities with tables of their own (server: api_keys,
 * jobs) describe them in their own interface and use `registry.db.withTables<TheirTables>()`.
 */
import type { Generated } from 'kysely';

export interface PartsTable {
  id: Generated<number>;
  serial: string;
  part_number: string | null;
  created_at: string;
  updated_at: string;
}

export interface PartAttributesTable {
  part_id: number;
  name: string;
  value: string;
}

export interface CapturesTable {
  id: Generated<number>;
  part_id: number;
  /** SHA-256 hex of the image file's bytes. */
  blob_hash: string;
  format: string;
  width: number;
  height: number;
  face: string | null;
  device: string | null;
  pixel_size_um: number | null;
  lighting: string | null;
  operator: string | null;
  captured_at: string;
  created_at: string;
}

export interface CaptureFeaturesTable {
  capture_id: number;
  kind: string;
  version: string;
  data: Uint8Array;
  /** JSON object as TEXT. */
  meta: string;
  created_at: string;
}

/** History events: written by trace/ only; append-only (triggers refuse UPDATE and DELETE). */
export interface EventsTable {
  id: Generated<number>;
  part_id: number;
  type: string;
  occurred_at: string;
  recorded_at: string;
  place: string | null;
  actor: string | null;
  notes: string | null;
  /** JSON object as TEXT, default '{}'. */
  fields: Generated<string>;
  corrects_event_id: number | null;
  recorded_by: string | null;
  external_id: string | null;
}

export interface SourceModelsTable {
  id: Generated<number>;
  name: string;
  attribute: string;
  dir: string;
  /** The model card (JSON) as TEXT. */
  card: string;
  /** 0 or 1. */
  active: number;
  created_at: string;
}

/** Registry-wide settings: one JSON value per name. */
export interface SettingsTable {
  name: string;
  /** JSON as TEXT. */
  value: string;
  updated_at: string;
  updated_by: string | null;
}

export interface Database {
  parts: PartsTable;
  part_attributes: PartAttributesTable;
  captures: CapturesTable;
  capture_features: CaptureFeaturesTable;
  events: EventsTable;
  source_models: SourceModelsTable;
  settings: SettingsTable;
}
