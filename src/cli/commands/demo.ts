/**
 * `partprint demo`: the main job end to end on synthetic parts, as a readable sequence of steps.
 * Each step prints one line; later steps (identity, source) are added here as they land.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { importPartsCsv, type Registry } from '../../registry/index.js';
import { generateParts, generateRecaptures, type ProcessName } from '../../synth/index.js';
import { createProgressBar } from '../progress-bar.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

interface DemoOptions extends RegistryCliOptions {
  seed: number;
}

const DEMO = { processes: ['DLS', 'FDM'] as ProcessName[], machines: 6, partsPerMachine: 4, size: 512 };

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Step 1: synthetic parts (2 processes x 3 machines x 4 parts) with a Parts CSV manifest. */
async function makeParts(dir: string, seed: number): Promise<string> {
  const bar = createProgressBar();
  const s = await generateParts({ out: dir, seed, ...DEMO, onProgress: bar }).finally(() => bar.stop());
  say(`1. generated ${s.images} synthetic parts (${DEMO.processes.join(', ')}; ${DEMO.machines} machines; ${DEMO.size} px at 5.3 um/px) in ${dir}`);
  return s.manifest;
}

/** Step 2: register them (parts, attributes, captures) unless this registry already has them. */
async function registerParts(reg: Registry, manifest: string): Promise<void> {
  if (await reg.parts.get('P000001')) {
    say('2. the registry already holds the demo parts; not imported again');
    return;
  }
  const bar = createProgressBar();
  const result = await importPartsCsv(reg, manifest, { onProgress: bar }).finally(() => bar.stop());
  if (!result.ok) throw new Error(`demo import rejected ${result.rejected.length} row(s): ${result.rejected.map((r) => `row ${r.row}: ${r.reason}`).join('; ')}`);
  say(`2. registered ${result.parts} parts with ${result.captures} captures`);
}

/** Step 3: new captures of the registered parts and of unregistered look-alikes, for the identity step. */
async function makeRecaptures(from: string, dir: string): Promise<void> {
  const bar = createProgressBar();
  const s = await generateRecaptures({ from, out: dir, captures: 1, lookalikes: 4, onProgress: bar }).finally(() => bar.stop());
  say(`3. generated ${s.images} new captures (one per registered part, plus 4 unregistered look-alikes) in ${dir}`);
}

/** Step 4: what the registry now holds, per process and machine. */
async function summarise(reg: Registry): Promise<void> {
  const { parts, total } = await reg.parts.list({ limit: 10_000 });
  const byMachine = new Map<string, number>();
  for (const p of parts) {
    const key = `${p.attributes.process ?? '?'} ${p.attributes.machine ?? '?'}`;
    byMachine.set(key, (byMachine.get(key) ?? 0) + 1);
  }
  say(`4. the registry holds ${total} parts:`);
  for (const [key, n] of [...byMachine].sort()) say(`   ${key}: ${n} parts`);
}

export function register(program: Command): void {
  addRegistryOptions(program.command('demo'))
    .description('Build a small registry end to end from synthetic parts and show what it holds')
    .option('--seed <n>', 'seed of the synthetic parts', (v: string) => Number.parseInt(v, 10), 1)
    .action(async (opts: DemoOptions) => {
      const dataDir = path.resolve(opts.data ?? process.env.PARTPRINT_DATA ?? 'partprint-data');
      const partsDir = path.join(dataDir, 'demo', 'parts');
      const manifest = await makeParts(partsDir, opts.seed);
      await withRegistry({ ...opts, data: dataDir }, async (reg) => {
        await registerParts(reg, manifest);
        await makeRecaptures(partsDir, path.join(dataDir, 'demo', 'recaptures'));
        await summarise(reg);
      });
    });
}
