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
    const message = err instanceof PartprintError ? err.message : `unexpected error: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`partprint: ${message}\n`);
    return exitCodeFor(err);
  }
}

// Not in worker threads: a single-file bundle starts itself as the synth worker (src/synth/pool.ts).
const invokedDirectly = isMainThread && process.argv[1] !== undefined && /(?:cli[\\/]main\.(?:ts|js)|bin[\\/]partprint(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
}
