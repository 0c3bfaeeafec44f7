/**
 * Lowers the scheduling priority of the calling thread only (Linux: a thread is a task with its
 * own nice value, addressed by its thread id). The server's compute and index threads call it so
 * that, when the cores are busy, the event loop (nice 0) runs first: answers that need little CPU
 * (health, part pages) are not queued behind fingerprint extraction.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** Sets this thread's nice value; returns it, or null where threads cannot be addressed (not Linux) or it is not allowed. */
export function lowerThreadPriority(nice: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    // "/proc/thread-self" -> "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    os.setPriority(tid, Math.max(os.getPriority(tid), nice));
    return os.getPriority(tid);
  } catch {
    return null;
  }
}
