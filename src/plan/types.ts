/** Inspection plans of assemblies, what was observed at each position, and the check's report. */

export interface TorqueRange {
  /** Newton metres, inclusive. */
  min: number;
  max: number;
}

export interface PlanPosition {
  id: string;
  description?: string;
  /** Part number the part fitted here must have. */
  partNumber: string;
  /** Allowed tightening torque. */
  torqueNm?: TorqueRange;
  /** Inspection result the position must have. */
  inspection?: 'pass';
}

/** A plan as schemas/inspection-plan.schema.json describes it. */
export interface InspectionPlan {
  assemblyType: string;
  name?: string;
  revision?: string | number;
  positions: PlanPosition[];
}

/** What was captured and measured at one position. */
export interface PositionObservation {
  /** The photo of the part at this position. */
  image?: { bytes: Uint8Array; name: string };
  torqueNm?: number;
  inspection?: 'pass' | 'fail';
}

/** What 1:N identification said about a position's photo. */
export type PositionIdentification =
  | { status: 'identified'; serial: string; partNumber: string | null; score: number; threshold: number }
  | { status: 'not-registered'; reason: string; bestSerial: string | null; bestScore: number | null; threshold: number }
  | { status: 'rejected'; reason: string };

/** Identifies one photo among every registered part (the registry's 1:N identify). */
export type Identifier = (image: Uint8Array, name: string) => Promise<PositionIdentification>;

export const FAILURE_CODES = [
  'missing-position',
  'capture-rejected',
  'unregistered-part',
  'wrong-part-number',
  'duplicate-part',
  'missing-torque',
  'torque-out-of-range',
  'missing-inspection',
  'inspection-failed',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export interface PointFailure {
  code: FailureCode;
  message: string;
}

export interface PointResult {
  position: string;
  description: string | null;
  expectedPartNumber: string;
  ok: boolean;
  failures: PointFailure[];
  identification: PositionIdentification | null;
  torqueNm: number | null;
  torqueRange: TorqueRange | null;
  inspection: 'pass' | 'fail' | null;
  /** SHA-256 of the stored photo (null when none was taken). */
  imageHash: string | null;
  imageName: string | null;
}

export interface CheckReport {
  /** Row id of the stored check (null before it is stored). */
  checkId: number | null;
  assembly: string;
  assemblyType: string;
  planName: string | null;
  planRevision: string | number | null;
  checkedAt: string;
  actor: string | null;
  place: string | null;
  ok: boolean;
  /** "all points OK", or how many points failed. */
  summary: string;
  points: PointResult[];
  /** Ids of the history events the check recorded. */
  eventIds: number[];
}
