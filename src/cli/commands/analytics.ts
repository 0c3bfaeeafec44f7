/** `partprint analytics failures`: which groups fail inspection more often than the rest (Fisher's exact test, Holm or BH correction). */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { failureRates, failureRateSvg, type FailureRateQuery } from '../../analytics/index.js';
import { PartprintError } from '../../core/index.js';
import { parseNumber, printJson } from '../cli-args.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const analytics = program.command('analytics').description('Analytics over the history');
  addRegistryOptions(analytics.command('failures'))
    .description('Failure rate per group (position, machine, build, ...) with Fisher\'s exact test of each group against the rest and a multiple-comparison correction')
    .requiredOption('--by <group>', 'attribute:NAME | field:position|result|torqueNm | partNumber | type')
    .option('--type <type>', 'events counted', 'inspected')
    .option('--fail <field:value>', 'what makes an event a failure (repeatable; default result:fail)', collect)
    .option('--since <time>', 'from (ISO 8601, inclusive)')
    .option('--until <time>', 'until (ISO 8601, exclusive)')
    .option('--alpha <a>', 'significance level', parseNumber('--alpha'), 0.05)
    .option('--correction <c>', 'holm (family-wise) or bh (false discovery rate)', 'holm')
    .option('--svg <file>', 'write the chart')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { by: string; type: string; fail?: string[]; since?: string; until?: string; alpha: number; correction: string; svg?: string; json?: boolean }) => {
      if (opts.correction !== 'holm' && opts.correction !== 'bh') throw new PartprintError(`--correction ${opts.correction}: expected holm or bh`, { code: 'CONFIG' });
      let failWhere: FailureRateQuery['failWhere'];
      for (const f of opts.fail ?? []) {
        const i = f.indexOf(':');
        if (i <= 0) throw new PartprintError(`--fail "${f}": expected field:value`, { code: 'CONFIG' });
        failWhere = { ...failWhere, [f.slice(0, i)]: f.slice(i + 1) };
      }
      const r = await withRegistry(opts, (reg) => failureRates(reg, { groupBy: opts.by, type: opts.type, failWhere, since: opts.since, until: opts.until, alpha: opts.alpha, correction: opts.correction as 'holm' | 'bh' }));
      if (opts.svg) await writeFile(opts.svg, failureRateSvg(r));
      if (opts.json) return printJson(r);
      process.stdout.write(`${r.type} events by ${r.groupBy}: ${r.failed}/${r.total} failed (${(r.rate * 100).toFixed(1)}%); all groups alike? chi-square ${r.chiSquare.statistic.toFixed(2)}, df ${r.chiSquare.df}, p ${r.chiSquare.pValue.toPrecision(3)}\n`);
      process.stdout.write(`${'group'.padEnd(16)} ${'failed'.padStart(9)} ${'rate'.padStart(7)}  95% interval     rest    p (Fisher)  ${r.correction} p\n`);
      for (const x of r.rows) {
        process.stdout.write(`${x.key.padEnd(16)} ${`${x.failed}/${x.total}`.padStart(9)} ${`${(x.rate * 100).toFixed(1)}%`.padStart(7)}  ${`${(x.ci[0] * 100).toFixed(1)}-${(x.ci[1] * 100).toFixed(1)}%`.padEnd(15)} ${`${(x.restRate * 100).toFixed(1)}%`.padStart(6)}  ${x.pValue.toPrecision(3).padStart(10)}  ${x.adjustedP.toPrecision(3).padStart(7)}${x.significant ? `  ${x.direction === 'higher' ? 'FAILS MORE OFTEN' : 'fails less often'}` : ''}\n`);
      }
      if (opts.svg) process.stdout.write(`wrote ${opts.svg}\n`);
    });
}
