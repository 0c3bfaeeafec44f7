import type { Command } from 'commander';
import { PartprintError } from '../../core/index.js';
import { type Capture, importPartsCsv, type Part } from '../../registry/index.js';
import { EXIT } from '../exit-codes.js';
import { createProgressBar } from '../progress-bar.js';
import { collectAttr, printJson } from '../cli-args.js';
import { addCaptureOptions, addRegistryOptions, type CaptureCliOptions, captureMetaFromOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';
import { formatCapture } from './captures.js';

function formatPart(p: Part): string {
  const attrs = Object.entries(p.attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${p.serial}${p.partNumber ? ` [${p.partNumber}]` : ''}${attrs ? ` ${attrs}` : ''}`;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new PartprintError(`${name} "${v}": not a whole number`, { code: 'CONFIG' });
    return n;
  };
}

export function register(program: Command): void {
  const parts = program.command('parts').description('Registered parts: add, list, show, import');

  addCaptureOptions(addRegistryOptions(parts.command('add')))
    .description('Register a part (with attributes and, optionally, images)')
    .argument('<serial>', 'unique serial')
    .option('--part-number <pn>', 'part number or design')
    .option('--attr <name=value>', 'attribute (repeatable), e.g. --attr machine=M03', collectAttr, {})
    .option('--image <file...>', 'images to store as captures of the new part')
    .option('--json', 'print JSON')
    .action(async (serial: string, opts: RegistryCliOptions & CaptureCliOptions & { partNumber?: string; attr: Record<string, string>; image?: string[]; json?: boolean }) => {
      const meta = captureMetaFromOptions(opts);
      const result = await withRegistry(opts, (reg) =>
        reg.transaction(async (_trx, scope) => {
          const part = await scope.parts.create({ serial, partNumber: opts.partNumber ?? null, attributes: opts.attr });
          const captures: Capture[] = [];
          for (const file of opts.image ?? []) captures.push(await scope.captures.add(serial, file, meta));
          return { part, captures };
        }),
      );
      if (opts.json) printJson({ ...result.part, captures: result.captures });
      else {
        process.stdout.write(`registered ${formatPart(result.part)}\n`);
        for (const c of result.captures) process.stdout.write(`  ${formatCapture(c)}\n`);
      }
    });

  addRegistryOptions(parts.command('list'))
    .description('List parts, optionally filtered')
    .option('--attr <name=value>', 'only parts with this attribute value (repeatable)', collectAttr, {})
    .option('--part-number <pn>', 'only this part number')
    .option('--serial-contains <text>', 'only serials containing this text')
    .option('--limit <n>', 'at most n parts', positiveInt('--limit'))
    .option('--offset <n>', 'skip the first n', positiveInt('--offset'))
    .option('--json', 'print JSON: { total, parts }')
    .action(async (opts: RegistryCliOptions & { attr: Record<string, string>; partNumber?: string; serialContains?: string; limit?: number; offset?: number; json?: boolean }) => {
      const result = await withRegistry(opts, (reg) =>
        reg.parts.list({ attributes: opts.attr, partNumber: opts.partNumber, serialContains: opts.serialContains, limit: opts.limit, offset: opts.offset }),
      );
      if (opts.json) printJson(result);
      else {
        for (const p of result.parts) process.stdout.write(`${formatPart(p)}\n`);
        process.stdout.write(`${result.parts.length} of ${result.total} part(s)\n`);
      }
    });

  addRegistryOptions(parts.command('show'))
    .description('Show one part: attributes and captures')
    .argument('<serial>', 'the part')
    .option('--json', 'print JSON')
    .action(async (serial: string, opts: RegistryCliOptions & { json?: boolean }) => {
      const { part, captures } = await withRegistry(opts, async (reg) => {
        const part = await reg.parts.require(serial);
        return { part, captures: await reg.captures.listForPart(serial) };
      });
      if (opts.json) {
        printJson({ ...part, captures });
        return;
      }
      const lines = [`serial:      ${part.serial}`, `part number: ${part.partNumber ?? '-'}`, `created:     ${part.createdAt}`, `updated:     ${part.updatedAt}`, 'attributes:'];
      for (const [k, v] of Object.entries(part.attributes)) lines.push(`  ${k} = ${v}`);
      lines.push(`captures (${captures.length}):`);
      for (const c of captures) lines.push(`  ${formatCapture(c)}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  addRegistryOptions(parts.command('import'))
    .description('Register parts from a CSV (serial, part_number, image, capture metadata, attributes); all or nothing')
    .argument('<csv>', 'CSV file; image paths are relative to its folder')
    .option('--dry-run', 'check every row, store nothing')
    .option('--json', 'print the result as JSON')
    .action(async (csv: string, opts: RegistryCliOptions & { dryRun?: boolean; json?: boolean }) => {
      const bar = createProgressBar();
      const result = await withRegistry(opts, (reg) => importPartsCsv(reg, csv, { onProgress: bar, dryRun: opts.dryRun })).finally(() => bar.stop());
      // Only serials that exist already (or twice in the file): a conflict (5); any bad data: 3.
      if (!result.ok) process.exitCode = result.rejected.every((r) => r.kind === 'conflict') ? EXIT.CONFLICT : EXIT.BAD_INPUT;
      if (opts.json) {
        printJson(result);
        return;
      }
      if (!result.ok) {
        for (const r of result.rejected) process.stderr.write(`row ${r.row} (line ${r.line})${r.serial ? ` ${r.serial}` : ''}: ${r.reason}\n`);
        process.stderr.write(`partprint: ${result.rejected.length} of ${result.rows} row(s) rejected; nothing was imported\n`);
      } else {
        const verb = result.dryRun ? 'would import' : 'imported';
        process.stdout.write(`${verb} ${result.parts} part(s) with ${result.captures} capture(s)\n`);
      }
    });
}
