import type { Command } from 'commander';
import { exportRegistry, type ExportManifest, importRegistry } from '../../registry/index.js';
import { printJson } from '../cli-args.js';
import { createProgressBar } from '../progress-bar.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

function summary(verb: string, dir: string, m: ExportManifest): string {
  const rows = m.tables.map((t) => `${t.name} ${t.rows}`).join(', ');
  return `${verb} ${dir}: ${rows}; ${m.blobs} blob(s)\n`;
}

export function register(program: Command): void {
  addRegistryOptions(program.command('export'))
    .description('Write the whole registry (every table as JSON Lines, plus image blobs) to a new folder')
    .argument('<dir>', 'folder to create (must not exist or be empty)')
    .option('--json', 'print the manifest as JSON')
    .action(async (dir: string, opts: RegistryCliOptions & { json?: boolean }) => {
      const bar = createProgressBar();
      const manifest = await withRegistry(opts, (reg) => exportRegistry(reg, dir, { onProgress: bar })).finally(() => bar.stop());
      if (opts.json) printJson(manifest);
      else process.stdout.write(summary('exported to', dir, manifest));
    });

  addRegistryOptions(program.command('import'))
    .description('Load a folder written by `partprint export` into an empty registry (all or nothing)')
    .argument('<dir>', 'export folder')
    .option('--json', 'print the manifest as JSON')
    .action(async (dir: string, opts: RegistryCliOptions & { json?: boolean }) => {
      const bar = createProgressBar();
      const manifest = await withRegistry(opts, (reg) => importRegistry(reg, dir, { onProgress: bar })).finally(() => bar.stop());
      if (opts.json) printJson(manifest);
      else process.stdout.write(summary('imported from', dir, manifest));
    });
}
