/**
 * Events as a GS1 EPCIS 2.0 JSON-LD document: ObjectEvents, and AggregationEvents (or
 * AssociationEvents, when they came as such) for `packed` / `unpacked`. what = the part's EPC (as imported, else its partprint URI), when = eventTime +
 * offset, where = readPoint / bizLocation, why = CBV bizStep + disposition, measurements as
 * sensorElementList. partprint's own members (type, actor, typed fields) travel in the "pp:"
 * extension namespace; members kept from an imported document are written back as they came.
 */
import { cbvFor } from './cbv.js';
import { DEFAULT_PART_URI_BASE, partUri } from './epc.js';
import { toSensorElementList } from './sensor.js';
import { formatInOffset } from './time.js';
import type { TraceEvent } from './types.js';

export { DEFAULT_PART_URI_BASE, partUri, serialFromPartUri } from './epc.js';

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
/** Namespace of partprint's EPCIS extension members ("pp:torqueNm", ...). */
export const PP_NAMESPACE = 'urn:partprint:epcis:';
export const DEFAULT_PLACE_URI_BASE = 'urn:partprint:place:';

export interface EpcisUriOptions {
  /** Prefix of a part's URI; the URL-encoded serial follows. Default `urn:partprint:part:`. */
  partUriBase?: string;
  /** Prefix for places that are not URIs already; the URL-encoded place follows. Default `urn:partprint:place:`. */
  placeUriBase?: string;
}

/** An event to export, with what the document needs to know about its corrections. */
export interface ExportableEvent extends TraceEvent {
  /** eventID of the event this one corrects. */
  correctsEventUri?: string;
  /** The event that corrects this one, if any. */
  correction?: { eventId: string; recordedAt: string };
}

export type JsonObject = Record<string, unknown>;

const URI_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

/** A place as a URI: kept when it already is one (an SGLN, a URL), otherwise encoded under the base. */
export function placeUri(place: string, base = DEFAULT_PLACE_URI_BASE): string {
  return URI_LIKE.test(place) && !place.startsWith(base) ? place : `${base}${encodeURIComponent(place)}`;
}

/** Inverse of placeUri. */
export function placeFromUri(uri: string, base = DEFAULT_PLACE_URI_BASE): string {
  if (!uri.startsWith(base)) return uri;
  try {
    return decodeURIComponent(uri.slice(base.length));
  } catch {
    return uri;
  }
}

/** The EPC that names an event's part: as the imported document wrote it, else the part's partprint URI. */
export function epcOf(e: TraceEvent, options: EpcisUriOptions = {}): string {
  return e.epcis?.epc ?? partUri(e.serial, options.partUriBase ?? DEFAULT_PART_URI_BASE);
}

/**
 * One EPCIS event from one stored event, or from the stored events of one document event that
 * named several EPCs (`rows`, in their document order).
 */
export function toEpcisEvent(rows: ExportableEvent[], options: EpcisUriOptions = {}): JsonObject {
  const e = rows[0];
  const cbv = cbvFor(e.type, e.fields);
  const o = e.epcis ?? {};
  const aggregation = e.type === 'packed' || e.type === 'unpacked';
  const bizStep = o.bizStep !== undefined ? o.bizStep : cbv.bizStep;
  const disposition = o.disposition !== undefined ? o.disposition : cbv.disposition;
  const place = e.place === null ? null : placeUri(e.place, options.placeUriBase);
  const bizLocation = o.bizLocation !== undefined ? o.bizLocation : place;
  const epcs = rows.map((r) => epcOf(r, options));
  const out: JsonObject = {
    type: aggregation ? (o.eventType ?? 'AggregationEvent') : 'ObjectEvent',
    eventID: rows.length > 1 ? o.group!.eventId : e.eventId,
    eventTime: formatInOffset(e.occurredAt, e.timeZoneOffset),
    eventTimeZoneOffset: e.timeZoneOffset,
    recordTime: e.recordedAt,
  };
  if (aggregation) {
    const parent = e.fields.parent ?? '';
    out.parentID = o.parentID ?? (URI_LIKE.test(parent) ? parent : partUri(parent, options.partUriBase ?? DEFAULT_PART_URI_BASE));
    out.childEPCs = epcs;
  } else out.epcList = epcs;
  out.action = o.action ?? cbv.action;
  if (bizStep) out.bizStep = bizStep;
  if (disposition) out.disposition = disposition;
  if (place !== null) out.readPoint = { id: place };
  if (bizLocation) out.bizLocation = { id: bizLocation };
  if (e.correction) {
    out.errorDeclaration = { declarationTime: e.correction.recordedAt, reason: 'incorrect_data', correctiveEventIDs: [e.correction.eventId] };
  }
  // Members kept from the imported document (quantities, transactions, sources, ilmd, extensions), as they came.
  for (const [k, v] of Object.entries(o.members ?? {})) if (!(k in out)) out[k] = v;
  const f = e.fields;
  if (f.measurements !== undefined && out.sensorElementList === undefined && Object.keys(f.measurements).length > 0) {
    out.sensorElementList = toSensorElementList(f.measurements);
  }
  out['pp:eventType'] = e.type;
  if (e.actor !== null) out['pp:actor'] = e.actor;
  if (e.recordedBy !== null) out['pp:recordedBy'] = e.recordedBy;
  if (e.notes !== null) out['pp:notes'] = e.notes;
  if (e.correctsEventUri) out['pp:correctsEventID'] = e.correctsEventUri;
  if (f.torqueNm !== undefined) out['pp:torqueNm'] = f.torqueNm;
  if (f.position !== undefined) out['pp:position'] = f.position;
  if (f.result !== undefined) out['pp:result'] = f.result;
  return out;
}

/**
 * Stored events back into document events: the records of one document event that named several
 * EPCs are joined again when all of them are exported and none takes part in a correction.
 */
export function groupForExport(events: ExportableEvent[]): ExportableEvent[][] {
  const groups = new Map<string, ExportableEvent[]>();
  for (const e of events) {
    const g = e.epcis?.group;
    if (!g || e.correction || e.correctsEventUri) continue;
    const list = groups.get(g.eventId) ?? [];
    list.push(e);
    groups.set(g.eventId, list);
  }
  const out: ExportableEvent[][] = [];
  const emitted = new Set<string>();
  for (const e of events) {
    const g = e.epcis?.group;
    const members = g ? groups.get(g.eventId) : undefined;
    if (!g || !members || members.length !== g.size || new Set(members.map((m) => m.epcis!.group!.position)).size !== g.size) {
      out.push([e]);
      continue;
    }
    if (emitted.has(g.eventId)) continue;
    emitted.add(g.eventId);
    out.push([...members].sort((a, b) => a.epcis!.group!.position - b.epcis!.group!.position));
  }
  return out;
}

/**
 * Builds an EPCISDocument (schemaVersion 2.0).
 *
 * @example JSON.stringify(buildEpcisDocument(events), null, 2)
 */
export function buildEpcisDocument(events: ExportableEvent[], options: EpcisUriOptions & { creationDate?: string } = {}): JsonObject {
  // pp:correctsEventID holds an event's IRI (its eventID), not a string literal.
  const terms: JsonObject = { pp: PP_NAMESPACE, 'pp:correctsEventID': { '@type': '@id' } };
  for (const e of events) {
    for (const [prefix, iri] of Object.entries(e.epcis?.context ?? {})) if (!(prefix in terms)) terms[prefix] = iri;
  }
  return {
    '@context': [EPCIS_CONTEXT, terms],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: options.creationDate ?? new Date().toISOString(),
    epcisBody: { eventList: groupForExport(events).map((rows) => toEpcisEvent(rows, options)) },
  };
}
