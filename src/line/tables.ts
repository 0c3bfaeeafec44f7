/** Row type of the line journal (migration 1795310000000-FieldWorkflows). */
import type { Generated } from 'kysely';

export interface LineItemRow {
  id: Generated<number>;
  /** The delivered file's name. */
  source: string;
  sha256: string;
  serial: string | null;
  /** registered | rejected */
  status: string;
  reason: string | null;
  detail: string | null;
  capture_id: number | null;
  processed_at: string;
}

export interface LineTables {
  line_items: LineItemRow;
}
