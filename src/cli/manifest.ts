/**
 * The command manifest (commands.json beside the compiled CLI): the version, the top-level help and
 * which file in ./commands registers each top-level command, so a call loads only what it runs.
 * `npm run build` writes it after tsc (`node dist/cli/write-manifest.js`); sources run through tsx have none
 * and load every command file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CommandManifest {
  version: string;
  /** `partprint --help` as commander prints it. */
  help: string;
  /** Top-level command name -> file name in ./commands. */
  commands: Record<string, string>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const MANIFEST_FILE = path.join(HERE, 'commands.json');

/** The package's version (package.json is two levels up from both src/cli and dist/cli). */
export const PARTPRINT_VERSION: string = (JSON.parse(readFileSync(path.join(HERE, '../../package.json'), 'utf8')) as { version: string }).version;

export function readCommandManifest(file = MANIFEST_FILE): CommandManifest | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as CommandManifest;
    return m.version === PARTPRINT_VERSION && typeof m.help === 'string' && typeof m.commands === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the manifest from the real command files (each registered on its own program, to see which commands it adds). */
export async function buildCommandManifest(): Promise<CommandManifest> {
  const { buildProgram, commandFiles } = await import('./main.js');
  const commands: Record<string, string> = {};
  for (const file of commandFiles()) {
    const program = await buildProgram([file]);
    for (const cmd of program.commands) {
      if (commands[cmd.name()] !== undefined) throw new Error(`command "${cmd.name()}" is registered by both ${commands[cmd.name()]} and ${file}`);
      commands[cmd.name()] = file;
    }
  }
  const all = await buildProgram();
  return { version: PARTPRINT_VERSION, help: all.helpInformation(), commands };
}
