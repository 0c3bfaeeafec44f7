/** Row types of the plan tables (migration 1795310000000-FieldWorkflows). */
import type { Generated } from 'kysely';

export interface InspectionCheckRow {
  id: Generated<number>;
  assembly_part_id: number;
  assembly_type: string;
  ok: number;
  plan: string;
  report: string;
  checked_at: string;
  actor: string | null;
  recorded_by: string | null;
}

export interface InspectionCheckPositionRow {
  id: Generated<number>;
  check_id: number;
  position: string;
  blob_hash: string | null;
  filename: string | null;
  identified_serial: string | null;
  ok: number;
  reasons: string;
}

export interface PlanTables {
  inspection_checks: InspectionCheckRow;
  inspection_check_positions: InspectionCheckPositionRow;
}
