/**
 * Line registration: `line watch DIR` registers the images a camera writes into DIR (or, with
 * --stdin, the files named on standard input), each once, and moves them to done/ or rejected/;
 * `line status` shows the journal's counts.
 */
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { Command } from 'commander';
import { PartprintError } from '../../core/index.js';
import { IdentityService } from '../../identity/index.js';
import { journalCounts, LineWatcher, type LineItemResult, type LineStats } from '../../line/index.js';
import { collectAttr, parseNumber, printJson } from '../cli-args.js';
import { addCaptureOptions, addRegistryOptions, captureMetaFromOptions, type CaptureCliOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

type WatchOptions = RegistryCliOptions & CaptureCliOptions & {
  /** false with --no-pattern. */
  pattern?: string | false;
  sidecar: 'auto' | 'required' | 'none';
  mes?: string;
  settleMs: number;
  pollMs: number;
  partNumber?: string;
  attr?: Record<string, string>;
  done?: string;
  rejected?: string;
  stdin?: boolean;
  once?: boolean;
  json?: boolean;
};

function statusLine(s: LineStats): string {
  const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
  const why = Object.entries(s.rejected).map(([k, v]) => `${k} ${v}`).join(', ');
  return `registered ${s.registered}, rejected ${rejected}${why ? ` (${why})` : ''}${s.recovered ? `, recovered ${s.recovered}` : ''}; ${s.ratePerS.recent.toFixed(2)} parts/s (last 10 s), ${s.ratePerS.overall.toFixed(2)} overall; waiting ${s.waiting}`;
}

function itemLine(r: LineItemResult): string {
  const what = r.status === 'registered' ? `registered ${r.serial} (capture #${r.captureId})` : `rejected (${r.reason}): ${r.detail}`;
  return `${r.file}: ${what}${r.recovered ? ' [recovered after restart]' : ''} ${r.ms.toFixed(0)} ms`;
}

export function register(program: Command): void {
  const line = program.command('line').description('Registration on the production line: watch the folder a camera writes into');

  addCaptureOptions(addRegistryOptions(line.command('watch')))
    .description('Register each image once it is complete in DIR (serial from the file name, a sidecar NAME.json/.csv or a MES feed); move it to done/ or rejected/ with the reason')
    .argument('<dir>', 'the folder the camera writes into')
    .option('--pattern <pattern>', 'file-name pattern, {field} captures a field, * anything (default "{serial}.*"), e.g. "{serial}_{face}.png"')
    .option('--no-pattern', 'take nothing from the file name (serial from a sidecar or the MES feed)')
    .option('--sidecar <mode>', 'NAME.json / NAME.csv beside the image: auto (use when present), required (wait for it), none', 'auto')
    .option('--mes <file>', 'MES feed CSV (serial,part_number,...): serials not in it are rejected as unknown; re-read when it changes')
    .option('--settle-ms <ms>', 'a file is complete when unchanged this long', parseNumber('--settle-ms'), 1000)
    .option('--poll-ms <ms>', 'folder scan interval', parseNumber('--poll-ms'), 250)
    .option('--part-number <pn>', 'part number of every new part (a sidecar or the MES feed overrides it)')
    .option('--attr <name=value>', 'attribute of every new part (repeatable)', collectAttr)
    .option('--done <dir>', 'where registered images go (default DIR/done)')
    .option('--rejected <dir>', 'where rejected images go (default DIR/rejected)')
    .option('--stdin', 'read file paths from standard input, one per line (each complete when named), instead of watching')
    .option('--once', 'process what is complete now, then exit')
    .option('--json', 'one JSON line per image on stdout')
    .action(async (dir: string, opts: WatchOptions) => {
      if (!['auto', 'required', 'none'].includes(opts.sidecar)) throw new PartprintError(`--sidecar ${opts.sidecar}: expected auto, required or none`, { code: 'CONFIG' });
      await withRegistry(opts, async (reg) => {
        const identity = new IdentityService(reg);
        const meta = Object.fromEntries(Object.entries(captureMetaFromOptions(opts)).filter(([, v]) => v !== null));
        const watcher = new LineWatcher({
          registry: reg,
          identity,
          inbox: dir,
          doneDir: opts.done,
          rejectedDir: opts.rejected,
          pattern: opts.pattern === false ? null : opts.pattern,
          sidecar: opts.sidecar,
          mesFeed: opts.mes,
          settleMs: opts.settleMs,
          pollMs: opts.pollMs,
          defaults: { partNumber: opts.partNumber ?? null, attributes: opts.attr ?? {}, meta },
          onItem: (r) => process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${itemLine(r)}\n`),
        });
        const tty = process.stderr.isTTY === true;
        const show = () => process.stderr.write(tty ? `\r\x1b[K${statusLine(watcher.snapshot())}` : `${statusLine(watcher.snapshot())}\n`);
        if (opts.stdin) {
          await watcher.prepare();
          const rl = createInterface({ input: process.stdin });
          for await (const l of rl) {
            const file = l.trim();
            if (file) await watcher.processFile(path.resolve(file)).catch((err: unknown) => process.stderr.write(`${file}: ${(err as Error).message}\n`));
          }
        } else if (opts.once) {
          await watcher.prepare();
          // A file must be seen unchanged for settleMs to count as complete: scan until nothing is
          // processed and nothing is pending (or what is pending stays so for three rounds).
          for (let idle = 0; idle < 3;) {
            const n = await watcher.scanOnce();
            if (n === 0 && watcher.pending === 0) break;
            idle = n > 0 ? 0 : idle + 1;
            if (n === 0) await new Promise((r) => setTimeout(r, opts.settleMs + 10));
          }
        } else {
          await watcher.start();
          const timer = setInterval(show, tty ? 1000 : 10_000);
          const stop = () => void watcher.stop();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          try {
            await watcher.done();
          } finally {
            clearInterval(timer);
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
          }
        }
        show();
        if (tty) process.stderr.write('\n');
      });
    });

  addRegistryOptions(line.command('status'))
    .description('What the line journal holds: registered, and rejected by reason')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { json?: boolean }) => {
      const c = await withRegistry(opts, (reg) => journalCounts(reg));
      if (opts.json) return printJson(c);
      process.stdout.write(`registered ${c.registered}; rejected ${Object.values(c.rejected).reduce((a, b) => a + b, 0)}${Object.keys(c.rejected).length ? ` (${Object.entries(c.rejected).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}\n`);
    });
}
