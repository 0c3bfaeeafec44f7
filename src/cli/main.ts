/**
 * partprint command line. Each file in ./commands registers its commands on the program, so a
 * capability adds a command without editing this file.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { Command } from 'commander';
import { PartprintError } from '../core/index.js';
import { diskFullCode } from '../registry/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

export interface CommandModule {
  register(program: Command): void;
}

export async function buildProgram(): Promise<Command> {
  const program = new Command('partprint')
    .description('Recognise manufactured parts from photographs of their surfaces')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as Partial<CommandModule>;
    mod.register?.(program);
  }
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? EXIT.OK : Number(process.exitCode);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    const known = err instanceof PartprintError ? err : systemError(err);
    const message = known ? known.message : `unexpected error: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`partprint: ${message}\n`);
    return exitCodeFor(known ?? err);
  }
}

/**
 * An operating-system error that escaped a capability (a file that vanished, a full disk while
 * writing an index): its message names the file and the cause, so no stack trace is needed.
 */
function systemError(err: unknown): PartprintError | undefined {
  const full = diskFullCode(err);
  if (full) return new PartprintError(`disk full (${full}): ${(err as Error).message}`, { code: 'NO_SPACE', cause: err });
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string') return undefined;
  const code = e.code === 'ENOENT' ? 'NOT_FOUND' : ['EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS'].includes(e.code) ? 'BAD_INPUT' : undefined;
  return code ? new PartprintError(e.message, { code, cause: err }) : undefined;
}

/**
 * Output piped into a reader that stops early (`partprint parts list | head`): the closed pipe is
 * the reader's choice, not a fault, so exit quietly (with the command's own code so far).
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(Number(process.exitCode ?? 0));
      throw err;
    });
  }
}

// Not in worker threads: a single-file bundle starts itself as the synth worker (src/synth/pool.ts).
const invokedDirectly = isMainThread && process.argv[1] !== undefined && /(?:cli[\\/]main\.(?:ts|js)|bin[\\/]partprint(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  exitQuietlyOnClosedPipe();
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
}
