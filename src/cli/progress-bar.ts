import cliProgress from 'cli-progress';
import type { ProgressEvent, ProgressListener } from '../core/index.js';

/**
 * A progress listener that draws one bar per phase on stderr (only when stderr is a terminal,
 * or when forced), so `--json` output on stdout stays clean.
 */
export function createProgressBar(options: { force?: boolean } = {}): ProgressListener & { stop(): void } {
  const enabled = options.force === true || process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  const listener = (e: ProgressEvent) => {
    if (!enabled) return;
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
