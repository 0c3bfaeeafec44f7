/**
 * Progress of long work, reported as plain events so the CLI can draw a bar and the server can
 * forward them to API clients. Functions that take a while accept an optional `onProgress`.
 */
export interface ProgressEvent {
  /** What is being done, e.g. "decode", "insert", "train". */
  phase: string;
  done: number;
  total: number;
  /** Optional human detail, e.g. the file being read. */
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

export const noProgress: ProgressListener = () => {};
