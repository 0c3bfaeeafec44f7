import { PartprintError } from '../core/index.js';

/** Exit codes, documented in README.md ("Exit codes"). */
export const EXIT = {
  OK: 0,
  /** Unexpected internal fault. */
  FAILURE: 1,
  /** Bad command line (unknown command or option, missing argument). */
  USAGE: 2,
  /** Bad input data: a corrupt image, an invalid CSV row, wrong labels. */
  BAD_INPUT: 3,
  /** Something named does not exist: a serial, a file, a model. */
  NOT_FOUND: 4,
  /** A conflict with stored data: a duplicate serial, a newer database. */
  CONFLICT: 5,
  /** The role of the API key given (--key) may not do this. */
  FORBIDDEN: 6,
  /** The disk is full: nothing was stored. */
  NO_SPACE: 7,
  /** Stored data is damaged (a blob the database refers to is missing or altered). */
  DAMAGED: 8,
  /** A negative answer that is not a fault: not registered, not the same part, rejected capture. */
  NO_MATCH: 10,
} as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof PartprintError)) return EXIT.FAILURE;
  switch (err.code) {
    case 'BAD_INPUT':
    case 'CORRUPT':
    case 'UNSUPPORTED':
    case 'TOO_LARGE':
      return EXIT.BAD_INPUT;
    case 'NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'CONFLICT':
      return EXIT.CONFLICT;
    case 'CONFIG':
      return EXIT.USAGE;
    case 'FORBIDDEN':
      return EXIT.FORBIDDEN;
    case 'NO_SPACE':
      return EXIT.NO_SPACE;
    case 'DAMAGED':
      return EXIT.DAMAGED;
    default:
      return EXIT.FAILURE;
  }
}
