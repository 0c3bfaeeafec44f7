/** `partprint events ...`: history events of parts, and their GS1 EPCIS 2.0 export/import. */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { Command } from 'commander';
import { PartprintError, TraceError } from '../../core/index.js';
import {
  aggregateEvents, type AggregateGroup, type AggregateQuery, EVENT_TYPES, exportEpcis, getEvent, getHistory, type HistoryEntry,
  checkEpcRule, DEFAULT_EPC_RULE, type EpcRule, formatInOffset, getEpcRule, importEpcis, type ImportEpcisReport, type Measurement, nowWithOffset,
  setEpcRule, type TraceEvent,
} from '../../trace/index.js';
import { AuditRepository, EventsRepository, EventsService, KeysRepository, KeysService, serverDb } from '../../server/index.js';
import { parseNumber, printJson } from '../cli-args.js';
import { createProgressBar } from '../progress-bar.js';
import { addRegistryOptions, type RegistryCliOptions, withRegistry } from '../registry-options.js';

function usage(message: string): PartprintError {
  return new PartprintError(message, { code: 'CONFIG' });
}

/** `--measure bore=12.04mm` or `--measure "bore=12.04 mm"` (repeatable). */
function collectMeasure(value: string, previous: Record<string, Measurement> = {}): Record<string, Measurement> {
  const m = /^([^=]+)=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*)?$/.exec(value);
  if (!m || !m[3]) throw usage(`--measure "${value}": expected name=value unit, e.g. bore=12.04mm`);
  return { ...previous, [m[1].trim()]: { value: Number(m[2]), unit: m[3].trim() } };
}

function positiveId(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw usage(`${name} "${v}": not an event id`);
    return n;
  };
}

function defaultRecorder(): string | null {
  if (process.env.PARTPRINT_USER) return process.env.PARTPRINT_USER;
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}

export function formatEvent(e: TraceEvent & Partial<Pick<HistoryEntry, 'correctedBy'>>): string {
  const f = e.fields;
  const typed = [
    f.result && `result ${f.result}`,
    f.torqueNm !== undefined && `${f.torqueNm} N·m`,
    f.position && `at ${f.position}`,
    f.parent && `${e.type === 'unpacked' ? 'out of' : 'into'} ${f.parent}`,
    ...Object.entries(f.measurements ?? {}).map(([n, m]) => `${n} ${m.value} ${m.unit}`),
  ].filter(Boolean);
  const parts = [
    `#${e.id}`, formatInOffset(e.occurredAt, e.timeZoneOffset), e.type.padEnd(14),
    typed.join(', '),
    e.place && `place: ${e.place}`,
    e.actor && `by ${e.actor}`,
    e.notes && `"${e.notes}"`,
    e.correctsEventId !== null && `corrects #${e.correctsEventId}`,
    e.correctedBy && `[corrected by #${e.correctedBy}]`,
  ].filter(Boolean);
  return parts.join('  ');
}

function printImportReport(file: string, r: ImportEpcisReport): void {
  const out = process.stderr;
  if (r.committed) out.write(`${file}: imported ${r.imported} event(s), ${r.alreadyPresent} already present${r.createdParts.length ? `, registered ${r.createdParts.length} new part(s)` : ''}\n`);
  else out.write(`${file}: nothing imported\n`);
  for (const u of r.unknownParts) out.write(`  unknown part: ${u}\n`);
  for (const x of r.rejected) out.write(`  event ${x.index}${x.eventId ? ` (${x.eventId})` : ''}: ${x.reason}\n`);
  if (r.skipped.length > 0) out.write(`  skipped ${r.skipped.length} event(s) partprint does not store:\n`);
  for (const x of r.skipped) out.write(`  skipped event ${x.index}${x.eventId ? ` (${x.eventId})` : ''}: ${x.reason}\n`);
  for (const w of r.warnings.slice(0, 20)) out.write(`  warning: ${w}\n`);
  if (r.warnings.length > 20) out.write(`  ... and ${r.warnings.length - 20} more warnings\n`);
}

/** `--epc-rule` / `epc-rule --set`: inline JSON or a JSON file. */
async function readRule(value: string): Promise<EpcRule> {
  let text = value;
  if (!value.trim().startsWith('{')) {
    try {
      text = await readFile(value, 'utf8');
    } catch (err) {
      throw usage(`EPC rule "${value}": neither JSON nor a readable file (${(err as Error).message})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw usage(`EPC rule: not valid JSON (${(err as Error).message})`);
  }
  return checkEpcRule(json);
}

function aggregateGroup(by: string): AggregateGroup {
  if (by === 'type') return { type: true };
  if (by === 'part-number') return { partNumber: true };
  if (by.startsWith('field:')) return { field: by.slice(6) as never };
  if (by.startsWith('attr:')) return { attribute: by.slice(5) };
  return { attribute: by };
}

export function register(program: Command): void {
  const events = program.command('events').description('History events of parts (append-only) and GS1 EPCIS 2.0 export/import');
  registerEpcRule(events);

  addRegistryOptions(events.command('add'))
    .description('Record an event of a registered part (corrections are new events: --corrects ID)')
    .argument('<serial>', 'the part')
    .requiredOption('--type <type>', `one of ${EVENT_TYPES.join(', ')}`)
    .option('--time <iso>', 'when it happened, ISO 8601 with offset (default: now)')
    .option('--place <place>', 'where (free text or a URI such as an SGLN)')
    .option('--actor <who>', 'who did it')
    .option('--notes <text>', 'free notes')
    .option('--torque <Nm>', 'installed: tightening torque in N·m (> 0)', parseNumber('--torque'))
    .option('--position <where>', 'installed: position or location in the assembly')
    .option('--result <pass|fail>', 'inspected: result')
    .option('--measure <name=value unit>', 'inspected, observed: a measured value (repeatable), e.g. bore=12.04mm', collectMeasure)
    .option('--parent <serial|EPC>', 'packed, unpacked: the assembly (or case, pallet) the part goes into or comes out of')
    .option('--corrects <id>', 'id of the event of this part that this event corrects', positiveId('--corrects'))
    .option('--recorded-by <name>', 'who writes this record (default: PARTPRINT_USER or the login name)')
    .option('--key <apiKey>', "record as this API key, whose role decides what may be recorded and corrected, as in the API (default: env PARTPRINT_KEY; none: the data folder's owner, who may record anything)")
    .option('--json', 'print JSON')
    .action(async (serial: string, opts: RegistryCliOptions & {
      type: string; time?: string; place?: string; actor?: string; notes?: string; torque?: number; position?: string; result?: string;
      measure?: Record<string, Measurement>; parent?: string; corrects?: number; recordedBy?: string; key?: string; json?: boolean;
    }) => {
      const fields = { torqueNm: opts.torque, position: opts.position, result: opts.result as 'pass' | 'fail' | undefined, measurements: opts.measure, parent: opts.parent };
      const input = { type: opts.type, occurredAt: opts.time ?? nowWithOffset(), place: opts.place, actor: opts.actor, notes: opts.notes, fields, correctsEventId: opts.corrects };
      const key = opts.key ?? (process.env.PARTPRINT_KEY || undefined);
      const event = await withRegistry(opts, async (reg) => {
        // The same rules as the API (roles, corrections with who and why, the audit log).
        const db = serverDb(reg.db);
        const service = new EventsService(new EventsRepository(reg), new AuditRepository(db));
        if (key) {
          const principal = await new KeysService(new KeysRepository(db)).authenticate(key);
          if (!principal) throw new PartprintError('--key: unknown or revoked API key', { code: 'FORBIDDEN' });
          return service.append(serial, input, principal, `key:${principal.keyId} (${principal.name})`);
        }
        const recordedBy = opts.recordedBy ?? defaultRecorder();
        if (opts.corrects !== undefined && !recordedBy) throw usage('a correction must say who records it: --recorded-by NAME (or PARTPRINT_USER)');
        return service.append(serial, input, null, recordedBy ?? 'cli');
      });
      if (opts.json) printJson(event);
      else process.stdout.write(`recorded ${event.serial} ${formatEvent(event)}\n`);
    });

  addRegistryOptions(events.command('list'))
    .description('List the events of a part, oldest first, marking corrected ones')
    .argument('<serial>', 'the part')
    .option('--type <type>', 'only this type')
    .option('--since <iso>', 'only events at or after this time')
    .option('--until <iso>', 'only events before this time')
    .option('--effective', 'leave out events that a later event corrects')
    .option('--json', 'print JSON')
    .action(async (serial: string, opts: RegistryCliOptions & { type?: string; since?: string; until?: string; effective?: boolean; json?: boolean }) => {
      const history = await withRegistry(opts, (reg) => getHistory(reg, serial, { type: opts.type, since: opts.since, until: opts.until, effectiveOnly: opts.effective }));
      if (opts.json) printJson(history);
      else if (history.length === 0) process.stdout.write(`${serial}: no events\n`);
      else for (const e of history) process.stdout.write(`${formatEvent(e)}\n`);
    });

  addRegistryOptions(events.command('show'))
    .description('Show one event by id')
    .argument('<id>', 'event id', positiveId('event id'))
    .option('--json', 'print JSON')
    .action(async (id: number, opts: RegistryCliOptions & { json?: boolean }) => {
      const event = await withRegistry(opts, (reg) => getEvent(reg, id));
      if (!event) throw new TraceError(`event ${id} does not exist`, { code: 'NOT_FOUND' });
      if (opts.json) printJson(event);
      else process.stdout.write(`${event.serial} ${formatEvent(event)}\n  eventID ${event.eventId}, recorded ${event.recordedAt}${event.recordedBy ? ` by ${event.recordedBy}` : ''}\n`);
    });

  addRegistryOptions(events.command('count'))
    .description('Count events per part attribute or event field, e.g. failed inspections by tray position')
    .requiredOption('--by <group>', 'ATTRIBUTE (a part attribute), field:NAME (torqueNm, position, result), type, or part-number')
    .option('--type <type>', 'only this event type')
    .option('--where <field=value>', 'only events whose field has this value (repeatable), e.g. result=fail', (v: string, prev: Record<string, string> = {}) => {
      const eq = v.indexOf('=');
      if (eq <= 0) throw usage(`--where "${v}": expected field=value`);
      return { ...prev, [v.slice(0, eq)]: v.slice(eq + 1) };
    })
    .option('--since <iso>', 'only events at or after this time')
    .option('--until <iso>', 'only events before this time')
    .option('--include-corrected', 'count events that a later event corrects, too')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryCliOptions & { by: string; type?: string; where?: Record<string, string>; since?: string; until?: string; includeCorrected?: boolean; json?: boolean }) => {
      const query: AggregateQuery = { groupBy: aggregateGroup(opts.by), type: opts.type, where: opts.where as AggregateQuery['where'], since: opts.since, until: opts.until, effectiveOnly: !opts.includeCorrected };
      const rows = await withRegistry(opts, (reg) => aggregateEvents(reg, query));
      if (opts.json) printJson(rows);
      else {
        process.stdout.write(`${opts.by.padEnd(20)} events  parts\n`);
        for (const r of rows) process.stdout.write(`${(r.key ?? '(none)').padEnd(20)} ${String(r.events).padStart(6)} ${String(r.parts).padStart(6)}\n`);
      }
    });

  addRegistryOptions(events.command('export-epcis'))
    .description('Write events as a GS1 EPCIS 2.0 JSON-LD document (ObjectEvents; AggregationEvents for packed/unpacked)')
    .requiredOption('--out <file>', 'output file (- for standard output)')
    .option('--serial <serial>', 'only this part')
    .option('--type <type>', 'only this event type')
    .option('--since <iso>', 'only events at or after this time')
    .option('--until <iso>', 'only events before this time')
    .option('--part-uri-base <uri>', 'prefix of part URIs (default urn:partprint:part:)')
    .option('--place-uri-base <uri>', 'prefix for places that are not URIs (default urn:partprint:place:)')
    .action(async (opts: RegistryCliOptions & { out: string; serial?: string; type?: string; since?: string; until?: string; partUriBase?: string; placeUriBase?: string }) => {
      const doc = await withRegistry(opts, (reg) => exportEpcis(reg, opts));
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      const n = (doc.epcisBody as { eventList: unknown[] }).eventList.length;
      if (opts.out === '-') process.stdout.write(text);
      else {
        await writeFile(opts.out, text);
        process.stderr.write(`wrote ${n} event(s) to ${opts.out}\n`);
      }
    });

  addRegistryOptions(events.command('import-epcis'))
    .description("Import an EPCIS 2.0 JSON(-LD) document, checked against GS1's schema and the CBV: all or nothing, idempotent by eventID")
    .argument('<file>', 'EPCIS document (JSON)')
    .option('--create-parts', 'register parts that are not in the registry yet')
    .option('--skip-unsupported', 'skip events partprint does not store (Transaction, Association, Transformation, class-level) and list them, instead of refusing the document')
    .option('--epc-rule <json|file>', 'which EPCs name which parts, for this import only (default: the registry rule, see `events epc-rule`)')
    .option('--part-uri-base <uri>', 'prefix of partprint part URIs (default: the registry rule\'s, urn:partprint:part:)')
    .option('--place-uri-base <uri>', 'prefix for places that are not URIs (default urn:partprint:place:)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: RegistryCliOptions & { createParts?: boolean; skipUnsupported?: boolean; epcRule?: string; partUriBase?: string; placeUriBase?: string; json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as { code?: string }).code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_INPUT';
        throw new TraceError(`${file}: cannot read (${(err as Error).message})`, { code, cause: err });
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new TraceError(`${file}: not valid JSON (${(err as Error).message})`, { code: 'BAD_INPUT', cause: err });
      }
      const bar = createProgressBar();
      let report: ImportEpcisReport;
      try {
        const rule = opts.epcRule === undefined ? undefined : await readRule(opts.epcRule);
        report = await withRegistry(opts, (reg) => importEpcis(reg, doc, {
          createParts: opts.createParts, partUriBase: opts.partUriBase, placeUriBase: opts.placeUriBase, rule,
          unsupported: opts.skipUnsupported ? 'skip' : 'reject', onProgress: bar,
        }));
      } finally {
        bar.stop();
      }
      if (opts.json) printJson(report);
      printImportReport(file, report);
      if (!report.committed) {
        const code = report.rejected.length > 0 ? 'BAD_INPUT' : 'NOT_FOUND';
        throw new TraceError(`${file}: not imported (${report.rejected.length} event(s) rejected, ${report.unknownParts.length} unknown part(s))`, { code });
      }
    });
}

/** `events epc-rule`: show or set which EPCs name which parts (stored in the registry). */
export function registerEpcRule(events: Command): void {
  addRegistryOptions(events.command('epc-rule'))
    .description('Show or set the registry rule mapping EPCs (SGTIN, SSCC, GIAI, GRAI, GS1 Digital Link, partprint URIs) to part serials')
    .option('--set <json|file>', `members to set, e.g. '{"sgtinSerial":"{serial}","gtins":["10614141073464"]}' (others keep their defaults)`)
    .option('--reset', 'back to the default rule')
    .option('--recorded-by <name>', 'who changes it (default: PARTPRINT_USER or the login name)')
    .action(async (opts: RegistryCliOptions & { set?: string; reset?: boolean; recordedBy?: string }) => {
      if (opts.set !== undefined && opts.reset) throw usage('--set and --reset exclude each other');
      const input = opts.reset ? DEFAULT_EPC_RULE : opts.set === undefined ? undefined : await readRule(opts.set);
      const rule = await withRegistry(opts, (reg) => (input === undefined ? getEpcRule(reg) : setEpcRule(reg, input, opts.recordedBy ?? defaultRecorder())));
      printJson(rule);
    });
}
