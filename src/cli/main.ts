/**
 * partprint command line. Each file in ./commands registers its commands on the program, so a
 * capability adds a command without editing this file.
 *
 * Start-up: importing every command file loads every capability (sharp, the registry, the server),
 * about a second before anything happens. The build (`npm run build`) therefore writes
 * commands.json beside this file: the version, the top-level help and which file registers each
 * top-level command. With it, `--version` and `--help` answer from the manifest and a command
 * loads only its own file (./manifest.ts).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { Command } from 'commander';
import { PartprintError } from '../core/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { PARTPRINT_VERSION, readCommandManifest, type CommandManifest } from './manifest.js';

export interface CommandModule {
  register(program: Command): void;
}

const COMMANDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

/** The command files (file names inside ./commands), sorted. */
export function commandFiles(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
}

/** The program with every command, or only those registered by `only` (file names in ./commands). */
export async function buildProgram(only?: readonly string[]): Promise<Command> {
  const program = new Command('partprint')
    .description('Recognise manufactured parts from photographs of their surfaces')
    .version(PARTPRINT_VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const file of only ?? commandFiles()) {
    const mod = (await import(pathToFileURL(path.join(COMMANDS_DIR, file)).href)) as Partial<CommandModule>;
    mod.register?.(program);
  }
  return program;
}

export async function runCli(argv: string[], only?: readonly string[]): Promise<number> {
  const program = await buildProgram(only);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? EXIT.OK : Number(process.exitCode);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    const known = err instanceof PartprintError ? err : await systemError(err);
    const message = known ? known.message : `unexpected error: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`partprint: ${message}\n`);
    return exitCodeFor(known ?? err);
  }
}

/**
 * An operating-system error that escaped a capability (a file that vanished, a full disk while
 * writing an index): its message names the file and the cause, so no stack trace is needed.
 */
async function systemError(err: unknown): Promise<PartprintError | undefined> {
  // Loaded here, on the error path only: the registry (SQLite, sharp) is not needed for --version or --help.
  const { diskFullCode } = await import('../registry/index.js');
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

/**
 * What a user's call runs: with a current manifest, `--version` and `--help` are answered from it
 * and a command loads only the file that registers it; anything else (no manifest, `help X`, a
 * mistyped command) builds the whole program, so commander's own answers and suggestions hold.
 */
export async function runCliFast(argv: string[], manifest: CommandManifest | undefined = readCommandManifest()): Promise<number> {
  if (manifest) {
    const [first] = argv;
    if (argv.length === 1 && (first === '--version' || first === '-V')) {
      process.stdout.write(`${manifest.version}\n`);
      return EXIT.OK;
    }
    if (argv.length === 1 && (first === '--help' || first === '-h')) {
      process.stdout.write(manifest.help);
      return EXIT.OK;
    }
    const file = first === undefined ? undefined : manifest.commands[first];
    if (file !== undefined) return runCli(argv, [file]);
  }
  return runCli(argv);
}

// Not in worker threads: a single-file bundle starts itself as the synth worker (src/synth/pool.ts).
const invokedDirectly = isMainThread && process.argv[1] !== undefined && /(?:cli[\\/]main\.(?:ts|js)|bin[\\/]partprint(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  exitQuietlyOnClosedPipe();
  const code = await runCliFast(process.argv.slice(2));
  process.exitCode = code;
}
