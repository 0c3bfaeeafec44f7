/**
 * Events as a GS1 EPCIS 2.0 JSON-LD document of ObjectEvents: what = the part's URI, when =
 * eventTime + offset, where = readPoint / bizLocation, why = CBV bizStep + disposition.
 * partprint's own members (type, actor, typed fields) travel in the "pp:" extension namespace.
 */
import { cbvFor } from './cbv.js';
import { formatInOffset } from './time.js';
import type { TraceEvent } from './types.js';

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
/** Namespace of partprint's EPCIS extension members ("pp:torqueNm", ...). */
export const PP_NAMESPACE = 'urn:partprint:epcis:';
export const DEFAULT_PART_URI_BASE = 'urn:partprint:part:';
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

/** The URI that names a part in EPCIS documents. */
export function partUri(serial: string, base = DEFAULT_PART_URI_BASE): string {
  return `${base}${encodeURIComponent(serial)}`;
}

/** The serial in a part URI, or null when the URI is not under `base`. */
export function serialFromPartUri(uri: string, base = DEFAULT_PART_URI_BASE): string | null {
  if (!uri.startsWith(base) || uri.length === base.length) return null;
  try {
    return decodeURIComponent(uri.slice(base.length));
  } catch {
    return null;
  }
}

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

/**
 * One event as an EPCIS 2.0 ObjectEvent; an installation into an assembly (`fields.assembly`) as
 * an AggregationEvent (parentID = the assembly's URI, childEPCs = the part's, action ADD).
 */
export function toObjectEvent(e: ExportableEvent, options: EpcisUriOptions = {}): JsonObject {
  const cbv = cbvFor(e.type, e.fields);
  const bizStep = e.epcis?.bizStep !== undefined ? e.epcis.bizStep : cbv.bizStep;
  const disposition = e.epcis?.disposition !== undefined ? e.epcis.disposition : cbv.disposition;
  const place = e.place === null ? null : placeUri(e.place, options.placeUriBase);
  const bizLocation = e.epcis?.bizLocation !== undefined ? e.epcis.bizLocation : place;
  const aggregation = e.type === 'installed' && e.fields.assembly !== undefined;
  const out: JsonObject = {
    type: aggregation ? 'AggregationEvent' : 'ObjectEvent',
    eventID: e.eventId,
    eventTime: formatInOffset(e.occurredAt, e.timeZoneOffset),
    eventTimeZoneOffset: e.timeZoneOffset,
    recordTime: e.recordedAt,
  };
  if (aggregation) {
    out.parentID = partUri(e.fields.assembly!, options.partUriBase);
    out.childEPCs = [partUri(e.serial, options.partUriBase)];
    out.action = 'ADD';
  } else {
    out.epcList = [partUri(e.serial, options.partUriBase)];
    out.action = cbv.action;
  }
  if (bizStep) out.bizStep = bizStep;
  if (disposition) out.disposition = disposition;
  if (place !== null) out.readPoint = { id: place };
  if (bizLocation) out.bizLocation = { id: bizLocation };
  if (e.correction) {
    out.errorDeclaration = { declarationTime: e.correction.recordedAt, reason: 'incorrect_data', correctiveEventIDs: [e.correction.eventId] };
  }
  out['pp:eventType'] = e.type;
  if (e.actor !== null) out['pp:actor'] = e.actor;
  if (e.recordedBy !== null) out['pp:recordedBy'] = e.recordedBy;
  if (e.notes !== null) out['pp:notes'] = e.notes;
  if (e.correctsEventUri) out['pp:correctsEventID'] = e.correctsEventUri;
  const f = e.fields;
  if (f.torqueNm !== undefined) out['pp:torqueNm'] = f.torqueNm;
  if (f.position !== undefined) out['pp:position'] = f.position;
  if (f.result !== undefined) out['pp:result'] = f.result;
  if (f.assembly !== undefined && !aggregation) out['pp:assembly'] = partUri(f.assembly, options.partUriBase);
  if (f.measurements !== undefined) {
    out['pp:measurements'] = Object.entries(f.measurements).map(([name, m]) => ({ 'pp:name': name, 'pp:value': m.value, 'pp:unit': m.unit }));
  }
  return out;
}

/**
 * Builds an EPCISDocument (schemaVersion 2.0) of ObjectEvents (AggregationEvents for installations into an assembly).
 *
 * @example JSON.stringify(buildEpcisDocument(events), null, 2)
 */
export function buildEpcisDocument(events: ExportableEvent[], options: EpcisUriOptions & { creationDate?: string } = {}): JsonObject {
  return {
    // pp:correctsEventID holds an event's IRI (its eventID), not a string literal.
    '@context': [EPCIS_CONTEXT, { pp: PP_NAMESPACE, 'pp:correctsEventID': { '@type': '@id' } }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: options.creationDate ?? new Date().toISOString(),
    epcisBody: { eventList: events.map((e) => toObjectEvent(e, options)) },
  };
}
