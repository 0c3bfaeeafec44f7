/** Events, EPCIS and aggregates through the trace capability's public API. */
import type { Registry } from '../registry/index.js';
import {
  aggregateEvents,
  appendEvent,
  exportEpcis,
  getEvent,
  getHistory,
  importEpcis,
  type AggregateQuery,
  type AggregateRow,
  type HistoryEntry,
  type ImportEpcisReport,
  type ListEventsFilter,
  type NewEvent,
  type TraceEvent,
} from '../trace/index.js';

export class EventsRepository {
  constructor(private readonly registry: Registry) {}

  append(serial: string, event: NewEvent, recordedBy: string): Promise<TraceEvent> {
    return appendEvent(this.registry, serial, event, { recordedBy });
  }

  get(id: number): Promise<TraceEvent | undefined> {
    return getEvent(this.registry, id);
  }

  history(serial: string, filter: ListEventsFilter & { effectiveOnly?: boolean }): Promise<HistoryEntry[]> {
    return getHistory(this.registry, serial, filter);
  }

  exportEpcis(filter: ListEventsFilter & { serial?: string }): Promise<Record<string, unknown>> {
    return exportEpcis(this.registry, filter) as Promise<Record<string, unknown>>;
  }

  importEpcis(doc: unknown, createParts: boolean): Promise<ImportEpcisReport> {
    return importEpcis(this.registry, doc, { createParts });
  }

  aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return aggregateEvents(this.registry, query);
  }
}
