/**
 * Assembly inspection plans: `plan check ASSEMBLY --plan FILE` identifies the part at each
 * position, applies the plan's rules and writes the report (HTML + JSON); `plan validate`,
 * `plan list`, `plan show`. Exit 10 when a point fails.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { PartprintError } from '../../core/index.js';
import { IdentityService } from '../../identity/index.js';
import { checkAssembly, getCheck, identifierFor, listChecks, readCheckFile, readImageFile, readPlan, renderReportHtml, type CheckReport, type PositionObservation } from '../../plan/index.js';
import { printJson } from '../cli-args.js';
import { EXIT } from '../exit-codes.js';
import { createProgressBar } from '../progress-bar.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

function collectPair(flag: string) {
  return (value: string, previous: Array<[string, string]> = []): Array<[string, string]> => {
    const eq = value.indexOf('=');
    if (eq <= 0 || eq === value.length - 1) throw new PartprintError(`${flag} "${value}": expected POSITION=VALUE`, { code: 'CONFIG' });
    return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
  };
}

type CheckOptions = RegistryCliOptions & {
  plan: string;
  check?: string;
  position?: Array<[string, string]>;
  torque?: Array<[string, string]>;
  inspection?: Array<[string, string]>;
  actor?: string;
  place?: string;
  at?: string;
  out?: string;
  json?: boolean;
};

function printReport(r: CheckReport): void {
  process.stdout.write(`${r.assemblyType} ${r.assembly}: ${r.ok ? 'ALL POINTS OK' : r.summary} (check #${r.checkId})\n`);
  for (const pt of r.points) {
    const id = pt.identification;
    const who = !id ? '-' : id.status === 'identified' ? id.serial : id.status === 'not-registered' ? 'NOT REGISTERED' : 'REJECTED';
    process.stdout.write(`  ${pt.position.padEnd(10)} ${(pt.ok ? 'OK' : 'FAIL').padEnd(5)} ${who.padEnd(16)} ${pt.failures.map((f) => f.message).join('; ')}\n`);
  }
}

async function writeReport(dir: string, r: CheckReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const html = path.join(dir, 'report.html');
  const json = path.join(dir, 'report.json');
  await writeFile(html, renderReportHtml(r));
  await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  return [html, json];
}

export function register(program: Command): void {
  const plan = program.command('plan').description('Assembly inspection plans: check every position of an assembly');

  plan.command('validate')
    .description('Check a plan file (JSON or YAML) against schemas/inspection-plan.schema.json')
    .argument('<file>', 'plan file')
    .action(async (file: string) => {
      const p = await readPlan(file);
      process.stdout.write(`${file}: valid plan for ${p.assemblyType}, ${p.positions.length} positions (${p.positions.map((x) => x.id).join(', ')})\n`);
    });

  addRegistryOptions(plan.command('check'))
    .description('Identify the part at each position (1:N), apply the plan, store photos, report and events (exit 10 when a point fails)')
    .argument('<assembly>', 'serial of the assembly (created with the plan\'s assembly type as part number when new)')
    .requiredOption('--plan <file>', 'inspection plan, JSON or YAML')
    .option('--check <file>', 'check file (JSON or YAML): positions -> { image, torqueNm, inspection }')
    .option('--position <P=image>', 'photo of the part at position P (repeatable)', collectPair('--position'))
    .option('--torque <P=Nm>', 'tightening torque measured at P (repeatable)', collectPair('--torque'))
    .option('--inspection <P=pass|fail>', 'inspection result at P (repeatable)', collectPair('--inspection'))
    .option('--actor <name>', 'who did the check')
    .option('--place <place>', 'where')
    .option('--at <time>', 'when, ISO 8601 with an offset (default now)')
    .option('--out <dir>', 'write report.html and report.json here')
    .option('--json', 'print the report as JSON')
    .action(async (assembly: string, opts: CheckOptions) => {
      const p = await readPlan(opts.plan);
      const observations: Record<string, PositionObservation> = {};
      let meta: { actor?: string; place?: string; occurredAt?: string; assembly?: string } = {};
      if (opts.check) {
        const c = await readCheckFile(opts.check);
        meta = c.meta;
        Object.assign(observations, c.observations);
        if (meta.assembly && meta.assembly !== assembly) throw new PartprintError(`check file is for assembly ${meta.assembly}, not ${assembly}`, { code: 'BAD_INPUT' });
      }
      const at = (id: string) => (observations[id] ??= {});
      for (const [id, file] of opts.position ?? []) at(id).image = await readImageFile(file);
      for (const [id, v] of opts.torque ?? []) {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new PartprintError(`--torque ${id}=${v}: not a torque in N·m > 0`, { code: 'CONFIG' });
        at(id).torqueNm = n;
      }
      for (const [id, v] of opts.inspection ?? []) {
        if (v !== 'pass' && v !== 'fail') throw new PartprintError(`--inspection ${id}=${v}: expected pass or fail`, { code: 'CONFIG' });
        at(id).inspection = v;
      }
      const bar = createProgressBar();
      const report = await withRegistry(opts, async (reg) => {
        const svc = new IdentityService(reg, { onProgress: bar });
        return checkAssembly({
          registry: reg,
          identify: identifierFor(reg, (bytes) => svc.identify(bytes)),
          plan: p,
          assembly,
          observations,
          actor: opts.actor ?? meta.actor ?? null,
          place: opts.place ?? meta.place ?? null,
          occurredAt: opts.at ?? meta.occurredAt,
          recordedBy: 'cli',
          onPosition: (done, total, position) => bar({ phase: 'positions', done, total, detail: position }),
        });
      }).finally(() => bar.stop());
      const files = opts.out ? await writeReport(opts.out, report) : [];
      if (opts.json) printJson(report);
      else {
        printReport(report);
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
      }
      if (!report.ok) process.exitCode = EXIT.NO_MATCH;
    });

  addRegistryOptions(plan.command('list'))
    .description('Stored checks, newest first')
    .option('--assembly <serial>', 'of one assembly')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { assembly?: string; json?: boolean }) => {
      const rows = await withRegistry(opts, (reg) => listChecks(reg, { assembly: opts.assembly }));
      if (opts.json) return printJson(rows);
      for (const r of rows) process.stdout.write(`#${r.id}  ${r.checkedAt}  ${r.assemblyType} ${r.assembly}  ${r.ok ? 'OK' : 'FAIL'}  ${r.summary}\n`);
    });

  addRegistryOptions(plan.command('show'))
    .description('A stored check\'s report')
    .argument('<id>', 'check id')
    .option('--out <dir>', 'write report.html and report.json here')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: RegistryCliOptions & { out?: string; json?: boolean }) => {
      const n = Number(id);
      if (!Number.isInteger(n) || n <= 0) throw new PartprintError(`check id "${id}": not a positive whole number`, { code: 'CONFIG' });
      const r = await withRegistry(opts, (reg) => getCheck(reg, n));
      const files = opts.out ? await writeReport(opts.out, r) : [];
      if (opts.json) printJson(r);
      else printReport(r);
      for (const f of files) process.stdout.write(`wrote ${f}\n`);
      if (!r.ok) process.exitCode = EXIT.NO_MATCH;
    });
}
