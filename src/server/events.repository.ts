/** Events, EPCIS and aggregates through the trace capability's public API. */
import type { Registry } from '../registry/index.js';
import {
  aggregateEvents,
  appendEvent,
  exportEpcis,
  getEpcRule,
  getEvent,
  getHistory,
  importEpcis,
  partForEpc,
  queryEpcisEvents,
  setEpcRule,
  traceContainers,
  traceContents,
  type EpcRule,
  type TraceOptions,
  type ImportEpcisOptions,
  type QueryEpcisOptions,
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

  importEpcis(doc: unknown, options: ImportEpcisOptions): Promise<ImportEpcisReport> {
    return importEpcis(this.registry, doc, options);
  }

  queryEvents(options: QueryEpcisOptions) {
    return queryEpcisEvents(this.registry, options);
  }

  epcRule(): Promise<EpcRule> {
    return getEpcRule(this.registry);
  }

  setEpcRule(input: unknown, updatedBy: string): Promise<EpcRule> {
    return setEpcRule(this.registry, input, updatedBy);
  }

  contents(key: string, options: TraceOptions) {
    return traceContents(this.registry, key, options);
  }

  containers(query: Parameters<typeof traceContainers>[1]) {
    return traceContainers(this.registry, query);
  }

  /** The registered part's serial that an EPC names under the registry's rule, or null. */
  async serialForEpc(epc: string): Promise<string | null> {
    const part = partForEpc(epc, await getEpcRule(this.registry));
    if (!part) return null;
    return (await this.registry.parts.get(part.serial)) ? part.serial : null;
  }

  aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return aggregateEvents(this.registry, query);
  }
}
