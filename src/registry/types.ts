/**
 * The registry's public contract. Other capabilities (identity, source, trace, server, cli) code
 * against these types only; `openRegistry` in ./index.ts returns an implementation backed by
 * SQLite (default) or PostgreSQL.
 */
import type { ProgressListener } from '../core/index.js';

/** Attribute names are data: a new attribute needs no migration. Values are strings. */
export type Attributes = Record<string, string>;

export interface Part {
  id: number;
  serial: string;
  /** Part number or design name. */
  partNumber: string | null;
  attributes: Attributes;
  createdAt: string; // ISO 8601
  updatedAt: string;
}

export interface NewPart {
  serial: string;
  partNumber?: string | null;
  attributes?: Attributes;
}

export interface CaptureMeta {
  /** Face or side of the part, e.g. "top", "A". */
  face?: string | null;
  device?: string | null;
  /** Micrometres per pixel, if known. */
  pixelSizeUm?: number | null;
  lighting?: string | null;
  operator?: string | null;
  /** When the photo was taken (ISO 8601); defaults to the time of storing. */
  capturedAt?: string | null;
}

export interface Capture extends Required<CaptureMeta> {
  id: number;
  partId: number;
  serial: string;
  /** SHA-256 of the image file's bytes, hex; the blob's key. */
  blobHash: string;
  format: string;
  width: number;
  height: number;
  createdAt: string;
}

/**
 * Derived data stored per capture by a capability (e.g. identity's fingerprint), versioned so a
 * change of extractor is detected. `kind` names the producer, e.g. "fingerprint".
 */
export interface CaptureFeature {
  captureId: number;
  kind: string;
  version: string;
  data: Uint8Array;
  meta: Record<string, unknown>;
  createdAt: string;
}

export interface ListPartsQuery {
  /** Exact attribute matches, e.g. { machine: "M03" }. */
  attributes?: Attributes;
  partNumber?: string;
  /** Substring of the serial. */
  serialContains?: string;
  limit?: number;
  offset?: number;
}

export interface OpenRegistryOptions {
  /** Data directory: SQLite file, blobs, indexes. Default `./partprint-data` or PARTPRINT_DATA. */
  dataDir?: string;
  /** `postgres://...` to use PostgreSQL instead of the embedded SQLite file. */
  databaseUrl?: string;
}

/** Options of long bulk operations (CSV import, export, import). */
export interface BulkOptions {
  onProgress?: ProgressListener;
}
