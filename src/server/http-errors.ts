/**
 * The one place where errors become HTTP responses. Capabilities throw `PartprintError`s with a
 * `code`; the server adds its own `HttpError` for authentication, permission and rate limits.
 * Every error body is `{ error: { code, message } }`.
 */
import { PartprintError, type ErrorCode } from '../core/index.js';

export type HttpErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'NOT_FOUND' | 'BAD_INPUT' | 'TOO_LARGE' | 'UNSUPPORTED' | 'REJECTED';

/** An error that is about the HTTP exchange itself (who asks, how often), not about the data. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Structured detail for the client (e.g. an import report). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** PartprintError code -> HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  UNSUPPORTED: 415,
  CORRUPT: 422,
  CONFIG: 500,
  FORBIDDEN: 403,
  NO_SPACE: 507,
  DAMAGED: 500,
  INTERNAL: 500,
};

/** Fastify's own error codes that are the client's fault. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'TOO_LARGE'],
  FST_REQ_FILE_TOO_LARGE: [413, 'TOO_LARGE'],
  FST_PARTS_LIMIT: [413, 'TOO_LARGE'],
  FST_FILES_LIMIT: [413, 'TOO_LARGE'],
  FST_FIELDS_LIMIT: [413, 'TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'UNSUPPORTED'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'BAD_INPUT'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_INPUT'],
  FST_ERR_CTP_EMPTY_TYPE: [415, 'UNSUPPORTED'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'UNSUPPORTED'],
  FST_ERR_VALIDATION: [400, 'BAD_INPUT'],
  FST_ERR_NOT_FOUND: [404, 'NOT_FOUND'],
};

/** Maps anything thrown by a route, hook or capability to a status and a JSON body. */
export function mapError(err: unknown): MappedError {
  if (err instanceof HttpError) {
    const error = err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
    return { status: err.status, body: { error }, headers: err.headers };
  }
  if (err instanceof PartprintError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    const message = status >= 500 && err.code === 'INTERNAL' ? `internal error: ${err.message}` : err.message;
    return { status, body: { error: { code: err.code, message } }, headers: {} };
  }
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown; validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    return { status: 400, body: { error: { code: 'BAD_INPUT', message: e.message ?? 'invalid request', details: e.validation } }, headers: {} };
  }
  if (e && typeof e.code === 'string' && e.code in FASTIFY_CODES) {
    const [status, code] = FASTIFY_CODES[e.code];
    return { status, body: { error: { code, message: e.message ?? code } }, headers: {} };
  }
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: { code: 'BAD_INPUT', message: e.message ?? 'bad request' } }, headers: {} };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error: ${message}` } }, headers: {} };
}
