/**
 * One error family for faults. Expected outcomes ("not registered", "too few inliers") are
 * values, not exceptions; these are for bad input and broken invariants.
 */
export type ErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNSUPPORTED'
  | 'TOO_LARGE'
  | 'CORRUPT'
  | 'CONFIG'
  /** The caller's role may not do this (HTTP 403). */
  | 'FORBIDDEN'
  /** The disk (or quota) is full; the write stored nothing (HTTP 507). */
  | 'NO_SPACE'
  /** Stored data is damaged: e.g. a blob the database refers to is missing or altered. */
  | 'DAMAGED'
  | 'INTERNAL';

export class PartprintError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, options: { code?: ErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'INTERNAL';
  }
}

/** Image decoding, validation and conversion. */
export class ImagingError extends PartprintError {}
/** Database, blob store, migrations. */
export class RegistryError extends PartprintError {}
/** History events and EPCIS. */
export class TraceError extends PartprintError {}
/** Fingerprint extraction, matching, calibration. */
export class IdentityError extends PartprintError {}
/** Source models: datasets, ROI sampling, inference. */
export class SourceError extends PartprintError {}
/** Synthetic data generation. */
export class SynthError extends PartprintError {}

/** Wraps anything thrown into a PartprintError, keeping the original as `cause`. */
export function toPartprintError(err: unknown, context: string): PartprintError {
  if (err instanceof PartprintError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PartprintError(`${context}: ${message}`, { cause: err });
}
