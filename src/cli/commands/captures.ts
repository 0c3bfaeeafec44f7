import type { Command } from 'commander';
import type { Capture } from '../../registry/index.js';
import { printJson } from '../cli-args.js';
import { createProgressBar } from '../progress-bar.js';
import { addCaptureOptions, addRegistryOptions, type CaptureCliOptions, captureMetaFromOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

export function formatCapture(c: Capture): string {
  const meta = [c.face && `face ${c.face}`, c.device && `device ${c.device}`, c.pixelSizeUm !== null && `${c.pixelSizeUm} um/px`, c.lighting && `lighting ${c.lighting}`, c.operator && `by ${c.operator}`]
    .filter(Boolean)
    .join(', ');
  return `#${c.id} ${c.serial} ${c.format} ${c.width}x${c.height} ${c.blobHash.slice(0, 12)} captured ${c.capturedAt}${meta ? ` (${meta})` : ''}`;
}

export function register(program: Command): void {
  const captures = program.command('captures').description('Images of registered parts');

  addCaptureOptions(addRegistryOptions(captures.command('add')))
    .description('Store images of a registered part (all or none)')
    .argument('<serial>', 'the part')
    .argument('<images...>', 'image files (PNG, TIFF, JPEG, PGM/PPM)')
    .option('--json', 'print JSON')
    .action(async (serial: string, images: string[], opts: RegistryCliOptions & CaptureCliOptions & { json?: boolean }) => {
      const meta = captureMetaFromOptions(opts);
      const bar = createProgressBar();
      const added = await withRegistry(opts, (reg) =>
        reg.transaction(async (_trx, scope) => {
          const out: Capture[] = [];
          for (const [i, file] of images.entries()) {
            bar({ phase: 'store', done: i, total: images.length, detail: file });
            out.push(await scope.captures.add(serial, file, meta));
          }
          bar({ phase: 'store', done: images.length, total: images.length });
          return out;
        }),
      ).finally(() => bar.stop());
      if (opts.json) printJson(added);
      else for (const c of added) process.stdout.write(`${formatCapture(c)}\n`);
    });

  addRegistryOptions(captures.command('list'))
    .description("List a part's captures")
    .argument('<serial>', 'the part')
    .option('--json', 'print JSON')
    .action(async (serial: string, opts: RegistryCliOptions & { json?: boolean }) => {
      const list = await withRegistry(opts, async (reg) => {
        await reg.parts.require(serial);
        return reg.captures.listForPart(serial);
      });
      if (opts.json) printJson(list);
      else for (const c of list) process.stdout.write(`${formatCapture(c)}\n`);
    });
}
