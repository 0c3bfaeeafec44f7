/** History events: append (who recorded it is the API key), list, EPCIS in/out, analytics. */
import { PartprintError } from '../core/index.js';
import type { AggregateField, AggregateGroup, AggregateRow, HistoryEntry, ImportEpcisReport, NewEvent, TraceEvent } from '../trace/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { EventsRepository } from './events.repository.js';
import { HttpError } from './http-errors.js';
import type { Principal } from './keys.service.js';
import { INSPECTOR_EVENT_TYPES, mayRecordEventType, ROLES } from './roles.js';

export interface AnalyticsInput {
  groupBy: string;
  type?: string;
  since?: string;
  until?: string;
  where?: string[];
  effectiveOnly?: boolean;
}

/** "attribute:NAME" | "field:NAME" | "partNumber" | "type" -> AggregateGroup. */
export function parseGroupBy(text: string): AggregateGroup {
  if (text === 'partNumber') return { partNumber: true };
  if (text === 'type') return { type: true };
  const i = text.indexOf(':');
  const kind = text.slice(0, i);
  const name = text.slice(i + 1);
  if (i > 0 && name !== '' && kind === 'attribute') return { attribute: name };
  if (i > 0 && name !== '' && kind === 'field') return { field: name as AggregateField };
  throw new PartprintError(`groupBy "${text}" must be attribute:NAME, field:NAME, partNumber or type`, { code: 'BAD_INPUT' });
}

export class EventsService {
  constructor(
    private readonly repo: EventsRepository,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Records an event. `principal` is the API key (null: the CLI without a key, acting as the
   * owner of the data folder). A correction needs a reason (notes) and may be made only by a role
   * that may record the corrected event's type, or by admin; who and why land in the audit log.
   */
  async append(serial: string, event: NewEvent, principal: Principal | null, actor: string): Promise<TraceEvent> {
    if (principal?.role === 'inspector' && !INSPECTOR_EVENT_TYPES.has(event.type)) {
      throw new PartprintError(`role "inspector" may record only ${[...INSPECTOR_EVENT_TYPES].join(', ')} events, not "${event.type}"`, { code: 'FORBIDDEN' });
    }
    let corrected: TraceEvent | undefined;
    if (event.correctsEventId !== undefined && event.correctsEventId !== null) {
      if (typeof event.notes !== 'string' || event.notes.trim() === '') {
        throw new PartprintError(`a correction must say why: give notes (the reason event ${event.correctsEventId} is wrong)`, { code: 'BAD_INPUT' });
      }
      corrected = await this.repo.get(event.correctsEventId);
      if (corrected && principal && !mayRecordEventType(principal.role, corrected.type)) {
        const may = ROLES.filter((r) => mayRecordEventType(r, corrected!.type));
        throw new PartprintError(
          `role "${principal.role}" may not correct event ${corrected.id}: it is a "${corrected.type}" event, which only ${may.join(' or ')} may record (a correction needs the right to record the corrected type)`,
          { code: 'FORBIDDEN' },
        );
      }
    }
    const stored = await this.repo.append(serial, event, actor);
    if (corrected) {
      await this.audit.record(actor, 'event.correct', serial, { eventId: stored.id, type: stored.type, corrects: corrected.id, correctedType: corrected.type, reason: stored.notes });
    } else {
      await this.audit.record(actor, 'event.append', serial, { eventId: stored.id, type: stored.type });
    }
    return stored;
  }

  history(serial: string, filter: { type?: string; since?: string; until?: string; effectiveOnly?: boolean }): Promise<HistoryEntry[]> {
    return this.repo.history(serial, filter);
  }

  exportEpcis(filter: { serial?: string; type?: string; since?: string; until?: string }): Promise<Record<string, unknown>> {
    return this.repo.exportEpcis(filter);
  }

  async importEpcis(doc: unknown, createParts: boolean, actor: string, skipUnsupported = false): Promise<ImportEpcisReport> {
    const report = await this.repo.importEpcis(doc, { createParts, unsupported: skipUnsupported ? 'skip' : 'reject' });
    if (!report.committed) {
      const first = report.rejected.slice(0, 3).map((r) => r.reason);
      const unknown = report.unknownParts.length > 0 ? ` unknown parts: ${report.unknownParts.slice(0, 3).join(', ')}${createParts ? '' : ' (use createParts=true)'}` : '';
      throw new HttpError(422, 'REJECTED', `EPCIS document not stored: ${report.rejected.length} event(s) rejected${first.length ? `: ${first.join('; ')}` : ''};${unknown}`, {}, report);
    }
    if (report.committed) await this.audit.record(actor, 'epcis.capture', null, { imported: report.imported, createdParts: report.createdParts.length });
    return report;
  }

  epcRule() {
    return this.repo.epcRule();
  }

  async setEpcRule(input: unknown, actor: string) {
    const rule = await this.repo.setEpcRule(input, actor);
    await this.audit.record(actor, 'epcis.epcRule', null, rule as unknown as Record<string, unknown>);
    return rule;
  }

  traceContents(key: string, at?: string) {
    return this.repo.contents(key, { at });
  }

  traceContainers(input: { serial?: string[]; attribute?: string; value?: string; at?: string }) {
    if ((input.attribute === undefined) !== (input.value === undefined)) throw new PartprintError('give attribute and value together (e.g. attribute=build&value=B-17)', { code: 'BAD_INPUT' });
    if (input.serial === undefined && input.attribute === undefined) throw new PartprintError('name the parts: serial=... (repeatable) or attribute=...&value=...', { code: 'BAD_INPUT' });
    return this.repo.containers({ serials: input.serial, attribute: input.attribute === undefined ? undefined : { name: input.attribute, value: input.value! }, at: input.at });
  }

  async analytics(input: AnalyticsInput): Promise<{ groupBy: string; rows: AggregateRow[] }> {
    const where: Partial<Record<AggregateField, string>> = {};
    for (const w of input.where ?? []) {
      const i = w.indexOf(':');
      if (i <= 0) throw new PartprintError(`where "${w}" must look like field:value`, { code: 'BAD_INPUT' });
      where[w.slice(0, i) as AggregateField] = w.slice(i + 1);
    }
    const rows = await this.repo.aggregate({
      groupBy: parseGroupBy(input.groupBy),
      type: input.type,
      since: input.since,
      until: input.until,
      where,
      effectiveOnly: input.effectiveOnly,
    });
    return { groupBy: input.groupBy, rows };
  }
}
