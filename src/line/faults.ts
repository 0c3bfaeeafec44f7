/**
 * Fault injection for the restart tests: PARTPRINT_LINE_KILL_AFTER_COMMIT=N kills the process
 * (SIGKILL, as a power cut would) right after its Nth registration committed, before the journal
 * row; PARTPRINT_LINE_KILL_BEFORE_MOVE=N after the Nth journal row, before the file moved.
 */
const counts: Record<string, number> = {};

export function crashPoint(name: 'AFTER_COMMIT' | 'BEFORE_MOVE'): void {
  const n = Number(process.env[`PARTPRINT_LINE_KILL_${name}`] ?? 0);
  counts[name] = (counts[name] ?? 0) + 1;
  if (n > 0 && counts[name] === n) process.kill(process.pid, 'SIGKILL');
}
