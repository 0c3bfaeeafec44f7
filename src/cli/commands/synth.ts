import type { Command } from 'commander';
import { SynthError } from '../../core/index.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateMouldSet, generateParts, generateRecaptures, generateSheets, MOULD_RANGE_NAMES, PROCESSES, renderContactSheet, type MouldRangeName, type ProcessName } from '../../synth/index.js';
import { createProgressBar } from '../progress-bar.js';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new SynthError(`--${name} must be an integer, got "${v}"`, { code: 'BAD_INPUT' });
    return n;
  };
}

function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new SynthError(`--${name} must be a number, got "${v}"`, { code: 'BAD_INPUT' });
    return n;
  };
}

function processes(v: string): ProcessName[] {
  const list = v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const p of list) if (!PROCESSES.includes(p as ProcessName)) throw new SynthError(`--processes: unknown process "${p}" (known: ${PROCESSES.join(', ')})`, { code: 'BAD_INPUT' });
  return list as ProcessName[];
}

function mouldRange(v: string): MouldRangeName {
  if (!MOULD_RANGE_NAMES.includes(v as MouldRangeName)) throw new SynthError(`--range: unknown range "${v}" (known: ${MOULD_RANGE_NAMES.join(', ')})`, { code: 'BAD_INPUT' });
  return v as MouldRangeName;
}

function lightChange(v: string): [number, number] {
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new SynthError(`--light-change must be LO,HI in degrees (e.g. 30,45), got "${v}"`, { code: 'BAD_INPUT' });
  return [parts[0], parts[1]];
}

export function register(program: Command): void {
  const synth = program.command('synth').description('Generate synthetic part images (seeded, deterministic)');

  synth
    .command('parts')
    .description('Parts of several machines and processes: one registered capture each, and manifest.csv for "parts import"')
    .requiredOption('--out <dir>', 'output folder')
    .option('--machines <n>', 'machines (assigned to processes round-robin)', int('machines'), 21)
    .option('--parts-per-machine <n>', 'parts per machine', int('parts-per-machine'), 150)
    .option('--size <px>', 'image side in pixels', int('size'), 1024)
    .option('--pixel-size <um>', 'micrometres per pixel (5.3 = 4800 dpi close-up of the face; ~30 shows the whole part)', num('pixel-size'), 5.3)
    .option('--seed <n>', 'global seed', int('seed'), 1)
    .option('--strength <s>', 'machine-signature strength (0 = machines of a process identical, 1 = default, larger = easier)', num('strength'), 1)
    .option('--processes <list>', `comma-separated processes (${PROCESSES.join(',')})`, processes)
    .option('--workers <n>', 'worker threads (default: one per core)', int('workers'))
    .action(async (o: { out: string; machines: number; partsPerMachine: number; size: number; pixelSize: number; seed: number; strength: number; processes?: ProcessName[]; workers?: number }) => {
      const bar = createProgressBar();
      try {
        const s = await generateParts({ out: o.out, machines: o.machines, partsPerMachine: o.partsPerMachine, size: o.size, pixelUm: o.pixelSize, seed: o.seed, strength: o.strength, processes: o.processes, workers: o.workers, onProgress: bar });
        bar.stop();
        process.stdout.write(`${s.images} parts in ${s.seconds.toFixed(1)} s (${(s.bytes / 2 ** 20).toFixed(0)} MiB): ${s.manifest}\n`);
      } finally {
        bar.stop();
      }
    });

  synth
    .command('recaptures')
    .description('New captures of the parts in a "synth parts" folder, and of unregistered look-alikes')
    .requiredOption('--from <dir>', 'folder written by "synth parts"')
    .requiredOption('--out <dir>', 'output folder')
    .option('--captures <n>', 'new captures per registered part', int('captures'), 3)
    .option('--lookalikes <n>', 'unregistered look-alikes (same machines, new individuals)', int('lookalikes'), 0)
    .option('--lookalike-captures <n>', 'captures per look-alike', int('lookalike-captures'), 1)
    .option('--limit <n>', 'only the first N registered parts', int('limit'))
    .option('--max-rotation <deg>', 'largest rotation in degrees', num('max-rotation'), 180)
    .option('--workers <n>', 'worker threads (default: one per core)', int('workers'))
    .action(async (o: { from: string; out: string; captures: number; lookalikes: number; lookalikeCaptures: number; limit?: number; maxRotation: number; workers?: number }) => {
      const bar = createProgressBar();
      try {
        const s = await generateRecaptures({ from: o.from, out: o.out, captures: o.captures, lookalikes: o.lookalikes, lookalikeCaptures: o.lookalikeCaptures, limit: o.limit, maxRotationDeg: o.maxRotation, workers: o.workers, onProgress: bar });
        bar.stop();
        process.stdout.write(`${s.images} captures in ${s.seconds.toFixed(1)} s (${(s.bytes / 2 ** 20).toFixed(0)} MiB): ${s.manifest}\n`);
      } finally {
        bar.stop();
      }
    });

  synth
    .command('mould')
    .description('Parts moulded in shared moulds (a second generator for identity): registrations, handheld recaptures and same-mould look-alikes, manifest.csv + mould.json')
    .requiredOption('--out <dir>', 'output folder')
    .option('--moulds <n>', 'moulds', int('moulds'), 20)
    .option('--parts-per-mould <n>', 'registered parts per mould', int('parts-per-mould'), 50)
    .option('--recaptures <n>', 'handheld recaptures per registered part', int('recaptures'), 2)
    .option('--lookalikes <n>', 'never-registered parts of the same moulds (one handheld capture each)', int('lookalikes'), 1000)
    .option('--range <name>', `parameter range (${MOULD_RANGE_NAMES.join(' | ')}; heldout is harder and never used for tuning)`, mouldRange, 'development' as MouldRangeName)
    .option('--size <px>', 'image side in pixels', int('size'), 1024)
    .option('--pixel-size <um>', 'stated micrometres per pixel of the capture device', num('pixel-size'), 5)
    .option('--individual-fraction <f>', "the part's own fine relief as a fraction of the mould's (default: the range's)", num('individual-fraction'))
    .option('--light-change <lo,hi>', "recaptures' light change in degrees, e.g. 30,45 (default: the range's; a development stress set, not the held-out)", lightChange)
    .option('--seed <n>', 'global seed', int('seed'), 1)
    .option('--workers <n>', 'worker threads (default: one per core)', int('workers'))
    .action(async (o: { out: string; moulds: number; partsPerMould: number; recaptures: number; lookalikes: number; range: MouldRangeName; size: number; pixelSize: number; individualFraction?: number; lightChange?: [number, number]; seed: number; workers?: number }) => {
      const bar = createProgressBar();
      try {
        const s = await generateMouldSet({ out: o.out, moulds: o.moulds, partsPerMould: o.partsPerMould, recaptures: o.recaptures, lookalikes: o.lookalikes, range: o.range, size: o.size, pixelUm: o.pixelSize, individualFraction: o.individualFraction, ...(o.lightChange ? { lightChangeDeg: o.lightChange } : {}), seed: o.seed, workers: o.workers, onProgress: bar });
        bar.stop();
        process.stdout.write(`${s.images} images (${o.range} range) in ${s.seconds.toFixed(1)} s (${(s.bytes / 2 ** 20).toFixed(0)} MiB): ${s.manifest}\n`);
      } finally {
        bar.stop();
      }
    });

  synth
    .command('sheet')
    .description('Scanner sheets: parts at random positions on a flatbed scan, with a manifest of which serial lies where')
    .requiredOption('--out <dir>', 'output folder')
    .option('--from <dir>', 'lay out the parts of a "synth parts" folder (default: new parts)')
    .option('--sheets <n>', 'number of sheets', int('sheets'), 1)
    .option('--parts-per-sheet <n>', 'parts on each sheet', int('parts-per-sheet'), 21)
    .option('--pixel-size <um>', 'micrometres per pixel of the scan (42.3 = 600 dpi)', num('pixel-size'), 42.3)
    .option('--width-mm <mm>', 'scanned width (A4 glass)', num('width-mm'), 297)
    .option('--height-mm <mm>', 'scanned height', num('height-mm'), 216)
    .option('--seed <n>', 'global seed (without --from)', int('seed'), 1)
    .action(async (o: { out: string; from?: string; sheets: number; partsPerSheet: number; pixelSize: number; widthMm: number; heightMm: number; seed: number }) => {
      const bar = createProgressBar();
      try {
        const s = await generateSheets({ out: o.out, from: o.from, sheets: o.sheets, partsPerSheet: o.partsPerSheet, pixelUm: o.pixelSize, widthMm: o.widthMm, heightMm: o.heightMm, seed: o.seed, onProgress: bar });
        bar.stop();
        process.stdout.write(`${s.sheets} sheet(s) with ${s.parts} parts: ${s.manifest}\n`);
      } finally {
        bar.stop();
      }
    });

  synth
    .command('contact-sheet')
    .description('A PNG showing each process at three zoom levels (docs/synth-contact-sheet.png)')
    .option('--out <file>', 'PNG file to write', 'docs/synth-contact-sheet.png')
    .option('--tile <px>', 'tile side in pixels', int('tile'), 400)
    .option('--seed <n>', 'global seed', int('seed'), 1)
    .action(async (o: { out: string; tile: number; seed: number }) => {
      await mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
      await writeFile(o.out, await renderContactSheet({ tile: o.tile, seed: o.seed }));
      process.stdout.write(`${o.out}\n`);
    });
}
