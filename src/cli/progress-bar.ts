import cliProgress from 'cli-progress';
import type { ProgressEvent, ProgressListener } from '../core/index.js';

export interface ProgressBarOptions {
  /** Draw the bar even when stderr is not a terminal. */
  force?: boolean;
  /** Where plain progress lines go when stderr is not a terminal (default process.stderr). */
  stream?: { write(text: string): unknown };
  /** Whether stderr is a terminal (default process.stderr.isTTY). */
  isTTY?: boolean;
  /** Plain lines at most this often (default PARTPRINT_PROGRESS_INTERVAL_MS or 5000; "off" in PARTPRINT_PROGRESS silences them). */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

function defaultInterval(): number {
  const v = Number(process.env.PARTPRINT_PROGRESS_INTERVAL_MS);
  return Number.isFinite(v) && v >= 0 ? v : 5000;
}

function plainLine(e: ProgressEvent, elapsedMs: number): string {
  const pct = e.total > 0 ? ` (${((100 * e.done) / e.total).toFixed(0)}%)` : '';
  return `partprint: ${e.phase} ${e.done}/${e.total}${pct}${e.detail ? ` ${e.detail}` : ''}, ${(elapsedMs / 1000).toFixed(0)} s\n`;
}

/**
 * A progress listener for stderr, so `--json` output on stdout stays clean. On a terminal: one
 * bar per phase. Otherwise (a log file, CI, a pipe): a plain line every few seconds, then one
 * when the phase ends, so long work shows it is alive; work shorter than the interval prints nothing.
 */
export function createProgressBar(options: ProgressBarOptions = {}): ProgressListener & { stop(): void } {
  const tty = options.force === true || (options.isTTY ?? process.stderr.isTTY === true);
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  if (!tty) {
    const out = options.stream ?? process.stderr;
    const interval = options.intervalMs ?? defaultInterval();
    const now = options.now ?? Date.now;
    const off = process.env.PARTPRINT_PROGRESS === 'off';
    let started = 0;
    let lastAt = 0;
    let printed = false;
    const listener = (e: ProgressEvent) => {
      if (off) return;
      const t = now();
      if (e.phase !== phase) {
        phase = e.phase;
        started = lastAt = t;
        printed = false;
      }
      if (e.total > 0 && e.done >= e.total) {
        // The phase's end, told only when its progress was told (short work stays quiet).
        if (printed) out.write(plainLine(e, t - started));
        printed = false;
      } else if (t - lastAt >= interval) {
        out.write(plainLine(e, t - started));
        lastAt = t;
        printed = true;
      }
    };
    return Object.assign(listener, { stop: () => undefined });
  }
  const listener = (e: ProgressEvent) => {
    if (!bar || e.phase !== phase) {
      bar?.stop();
      phase = e.phase;
      bar = new cliProgress.SingleBar(
        { format: `${e.phase.padEnd(12)} [{bar}] {value}/{total} {detail}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(e.total, e.done, { detail: e.detail ?? '' });
    } else {
      bar.setTotal(e.total);
      bar.update(e.done, { detail: e.detail ?? '' });
    }
  };
  return Object.assign(listener, {
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  });
}
