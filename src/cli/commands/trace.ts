/** `partprint trace ...`: what is inside an assembly, and which assemblies contain given parts (the aggregation relation). */
import type { Command } from 'commander';
import { PartprintError } from '../../core/index.js';
import { type ContentsNode, type TraceNode, traceContainers, traceContents } from '../../trace/index.js';
import { printJson } from '../cli-args.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

function label(n: TraceNode): string {
  return `${n.key}${n.partNumber ? ` [${n.partNumber}]` : ''}${n.epc ? ` ${n.epc}` : ''}${n.registered ? '' : ' (not a registered part)'}${n.since ? `  since ${n.since}` : ''}`;
}

function printTree(node: ContentsNode, prefix = '', last = true, root = true): void {
  process.stdout.write(`${root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`}${label(node)}\n`);
  const next = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  node.children.forEach((c, i) => printTree(c, next, i === node.children.length - 1, false));
}

export function register(program: Command): void {
  const trace = program.command('trace').description('Trace through the aggregation relation (packed/unpacked events, EPCIS AggregationEvents)');

  addRegistryOptions(trace.command('inside').alias('down'))
    .description('Forward trace: what is inside an assembly, case or pallet (recursively)')
    .argument('<key>', "the container: a part's serial, or an EPC (an SSCC, an SGTIN...)")
    .option('--at <iso>', 'as it was at this moment (default: now)')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: RegistryCliOptions & { at?: string; json?: boolean }) => {
      const tree = await withRegistry(opts, (reg) => traceContents(reg, key, { at: opts.at }));
      if (opts.json) printJson(tree);
      else printTree(tree);
    });

  addRegistryOptions(trace.command('containers').alias('up'))
    .description('Backward trace: which assemblies (and their containers) hold these parts, e.g. --where build=B-17')
    .argument('[serials...]', 'parts (serials or EPCs)')
    .option('--where <attribute=value>', 'every part with this attribute value, e.g. build=B-17')
    .option('--at <iso>', 'as it was at this moment (default: now)')
    .option('--json', 'print JSON')
    .action(async (serials: string[], opts: RegistryCliOptions & { where?: string; at?: string; json?: boolean }) => {
      let attribute: { name: string; value: string } | undefined;
      if (opts.where !== undefined) {
        const eq = opts.where.indexOf('=');
        if (eq <= 0) throw new PartprintError(`--where "${opts.where}": expected attribute=value, e.g. build=B-17`, { code: 'CONFIG' });
        attribute = { name: opts.where.slice(0, eq), value: opts.where.slice(eq + 1) };
      }
      if (serials.length === 0 && !attribute) throw new PartprintError('name parts (serials) or --where attribute=value', { code: 'CONFIG' });
      const answer = await withRegistry(opts, (reg) => traceContainers(reg, { serials: serials.length > 0 ? serials : undefined, attribute, at: opts.at }));
      if (opts.json) return printJson(answer);
      if (answer.parts.length === 0) return void process.stdout.write('no such parts\n');
      process.stdout.write(`${answer.containers.length} container(s) hold ${answer.containers.length === 0 ? 'none' : new Set(answer.containers.flatMap((c) => c.parts)).size} of ${answer.parts.length} part(s)\n`);
      for (const c of answer.containers) process.stdout.write(`  level ${c.level}  ${label(c)}: ${c.parts.join(', ')}\n`);
      for (const p of answer.parts) process.stdout.write(`${p.key}: ${p.containers.length === 0 ? 'in no container' : p.containers.map((c) => c.key).join(' < ')}\n`);
    });
}
