/**
 * Line registration: images a camera writes into a folder (or names on stdin, or sends over
 * HTTP) are registered once complete, each exactly once (a journal row in the registration's own
 * transaction), with serial and data from the file name, a sidecar or a MES feed; then moved to
 * done/ or rejected/ with the reason.
 */
export { compilePattern, fieldsFromName, mergeFields, parseSidecar, resolveItem, MesFeed, type ItemData, type Resolved } from './fields.js';
export { registerLineItem, journalEntry, journalCounts, REJECT_REASONS, type LineOutcome, type RejectReason, type JournalEntry, type RegisterLineOptions } from './register.js';
export { LineWatcher, IMAGE_EXTENSIONS, type LineWatchOptions, type LineItemResult, type LineStats } from './watcher.js';
export type { LineTables } from './tables.js';
