/**
 * Reads an EPCIS 2.0 JSON(-LD) document into partprint events, without touching the database:
 * every problem is collected with the event's index so an import can report them all at once.
 */
import { TraceError } from '../core/index.js';
import { bareBizStep, bareDisposition, cbvFor, typeForEpcis, type EpcisAction } from './cbv.js';
import { DEFAULT_PLACE_URI_BASE, PP_NAMESPACE, placeFromUri, placeUri, serialFromPartUri, type EpcisUriOptions } from './epcis-export.js';
import { formatInOffset, parseEventTime, parseOffset } from './time.js';
import type { EpcisOverrides, EventFields, Measurement } from './types.js';
import { uuidV5 } from './uuid.js';
import { isEventType, validateEvent, validateRecordedBy, type ValidEvent } from './validate.js';

/** One event read from a document, for one part (an ObjectEvent with n EPCs gives n of these). */
export interface ParsedEpcisEvent {
  /** Position of the event in the document's eventList. */
  index: number;
  /** The event's eventID (derived from its content when the document has none; suffixed per EPC when it lists several). */
  eventId: string;
  /** The eventID as written in the document (or derived). */
  documentEventId: string;
  partUri: string;
  /** The serial, or null when the URI is not a partprint part URI under the configured base. */
  serial: string | null;
  event: ValidEvent;
  recordedAt: string | null;
  recordedBy: string | null;
  /** eventID of the event this one corrects (pp:correctsEventID). */
  correctsEventUri: string | null;
  /** eventIDs named as corrections in this event's errorDeclaration. */
  correctiveEventUris: string[];
  epcis?: EpcisOverrides;
}

export interface EpcisIssue {
  index: number;
  eventId?: string;
  reason: string;
}

export interface ParsedEpcisDocument {
  events: ParsedEpcisEvent[];
  rejected: EpcisIssue[];
  warnings: string[];
}

const STANDARD_MEMBERS = new Set([
  '@context', 'type', 'eventID', 'eventTime', 'eventTimeZoneOffset', 'recordTime', 'epcList', 'action', 'bizStep', 'disposition',
  'readPoint', 'bizLocation', 'errorDeclaration', 'certificationInfo', 'parentID', 'childEPCs',
]);
const PP_MEMBERS = new Set(['eventType', 'actor', 'recordedBy', 'notes', 'correctsEventID', 'torqueNm', 'position', 'result', 'measurements', 'assembly']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Prefixes the document's @context binds to partprint's namespace (plus the full IRI form). */
function ppPrefixes(context: unknown): string[] {
  const prefixes = new Set<string>();
  const items = Array.isArray(context) ? context : [context];
  for (const item of items) {
    if (!isObj(item)) continue;
    for (const [k, v] of Object.entries(item)) {
      const iri = typeof v === 'string' ? v : isObj(v) && typeof v['@id'] === 'string' ? v['@id'] : null;
      if (iri === PP_NAMESPACE) prefixes.add(`${k}:`);
    }
  }
  prefixes.add(PP_NAMESPACE);
  return [...prefixes];
}

function fail(message: string): never {
  throw new TraceError(message, { code: 'BAD_INPUT' });
}

function readMeasurements(value: unknown, pp: (o: Obj, name: string) => unknown): Record<string, Measurement> {
  if (!Array.isArray(value)) fail('pp:measurements must be a list of { pp:name, pp:value, pp:unit }');
  const out: Record<string, Measurement> = {};
  for (const item of value) {
    if (!isObj(item)) fail('pp:measurements items must be objects');
    const name = pp(item, 'name');
    if (typeof name !== 'string') fail('a pp:measurements item has no pp:name');
    if (name in out) fail(`measurement "${name}" appears twice`);
    out[name] = { value: pp(item, 'value') as number, unit: pp(item, 'unit') as string };
  }
  return out;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isObj(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

function parseOne(raw: Obj, index: number, prefixes: string[], options: EpcisUriOptions, warnings: string[]): ParsedEpcisEvent[] {
  const pp = (o: Obj, name: string): unknown => {
    for (const p of prefixes) if (`${p}${name}` in o) return o[`${p}${name}`];
    return undefined;
  };
  const aggregation = raw.type === 'AggregationEvent';
  if (raw.type !== 'ObjectEvent' && !aggregation) fail(`type ${JSON.stringify(raw.type)} is not supported (partprint imports ObjectEvents and AggregationEvents)`);
  const action = raw.action;
  if (action !== 'ADD' && action !== 'OBSERVE' && action !== 'DELETE') fail(`action ${JSON.stringify(action)} must be ADD, OBSERVE or DELETE`);
  if (typeof raw.eventTime !== 'string') fail('eventTime is missing');
  if (typeof raw.eventTimeZoneOffset !== 'string') fail('eventTimeZoneOffset is missing');
  parseOffset(raw.eventTimeZoneOffset, 'eventTimeZoneOffset');
  const time = parseEventTime(raw.eventTime, 'eventTime');
  const epcs = aggregation ? raw.childEPCs : raw.epcList;
  if (!Array.isArray(epcs) || epcs.length === 0) fail(`${aggregation ? 'childEPCs' : 'epcList'} is missing or empty (class-level events with quantityList only are not supported)`);
  for (const epc of epcs) if (typeof epc !== 'string' || epc === '') fail(`epcList entry ${JSON.stringify(epc)} is not a URI`);
  if (raw.eventID !== undefined && (typeof raw.eventID !== 'string' || raw.eventID === '')) fail('eventID must be a URI');
  const documentEventId = typeof raw.eventID === 'string' ? raw.eventID : `urn:uuid:${uuidV5(`epcis-event\n${stableJson(raw)}`)}`;

  const declaredType = pp(raw, 'eventType');
  const bizStep = typeof raw.bizStep === 'string' ? raw.bizStep : undefined;
  // An aggregation (a part put into an assembly) is an installation, whatever else the document says.
  const type = aggregation ? 'installed' : isEventType(declaredType) ? declaredType : typeForEpcis(action as EpcisAction, bizStep);
  if (aggregation && declaredType !== undefined && declaredType !== 'installed') warnings.push(`event ${index}: AggregationEvent with pp:eventType ${JSON.stringify(declaredType)}; read as installed`);
  if (declaredType !== undefined && !isEventType(declaredType)) warnings.push(`event ${index}: pp:eventType ${JSON.stringify(declaredType)} is unknown; read as ${type}`);

  const fields: Obj = {};
  for (const name of ['torqueNm', 'position', 'result'] as const) {
    const v = pp(raw, name);
    if (v !== undefined) fields[name] = v;
  }
  if (aggregation) {
    if (typeof raw.parentID !== 'string') fail('AggregationEvent without parentID is not supported');
    const parent = serialFromPartUri(raw.parentID, options.partUriBase);
    if (parent === null) fail(`parentID ${JSON.stringify(raw.parentID)} is not a part URI under ${options.partUriBase ?? 'urn:partprint:part:'}`);
    fields.assembly = parent;
  } else {
    const assembly = pp(raw, 'assembly');
    if (assembly !== undefined) {
      const parent = typeof assembly === 'string' ? serialFromPartUri(assembly, options.partUriBase) : null;
      if (parent === null) fail(`pp:assembly ${JSON.stringify(assembly)} is not a part URI`);
      fields.assembly = parent;
    }
  }
  const ms = pp(raw, 'measurements');
  if (ms !== undefined) fields.measurements = readMeasurements(ms, pp);

  const readPoint = isObj(raw.readPoint) && typeof raw.readPoint.id === 'string' ? raw.readPoint.id : null;
  const bizLocation = isObj(raw.bizLocation) && typeof raw.bizLocation.id === 'string' ? raw.bizLocation.id : null;
  const placeBase = options.placeUriBase ?? DEFAULT_PLACE_URI_BASE;
  const placeSource = readPoint ?? bizLocation;
  const place = placeSource === null ? null : placeFromUri(placeSource, placeBase);

  const text = (name: string): string | null => {
    const v = pp(raw, name);
    if (v !== undefined && v !== null && typeof v !== 'string') fail(`pp:${name} must be text`);
    return (v as string | undefined) ?? null;
  };
  const event = validateEvent({
    type,
    // The instant from eventTime, written in the declared eventTimeZoneOffset so the offset is kept.
    occurredAt: formatInOffset(time.utc, raw.eventTimeZoneOffset),
    place,
    actor: text('actor'),
    notes: text('notes'),
    fields: fields as EventFields,
  });
  const recordedBy = validateRecordedBy(text('recordedBy'));
  let recordedAt: string | null = null;
  if (raw.recordTime !== undefined) recordedAt = parseEventTime(String(raw.recordTime), 'recordTime').utc;
  const correctsEventUri = text('correctsEventID');

  let correctiveEventUris: string[] = [];
  if (raw.errorDeclaration !== undefined) {
    const decl = raw.errorDeclaration;
    if (!isObj(decl)) fail('errorDeclaration must be an object');
    const ids = decl.correctiveEventIDs;
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((x) => typeof x !== 'string')) {
      fail('errorDeclaration without correctiveEventIDs (a retraction) is not supported: partprint corrects events with a corrective event');
    }
    correctiveEventUris = ids as string[];
  }

  // Keep the "why"/"where" members that partprint's own mapping would not reproduce.
  const mine = cbvFor(event.type, event.fields);
  const epcis: EpcisOverrides = {};
  const docStep = bizStep === undefined ? null : bareBizStep(bizStep);
  const docDisp = typeof raw.disposition === 'string' ? bareDisposition(raw.disposition) : null;
  if (docStep !== (mine.bizStep ?? null)) epcis.bizStep = docStep;
  if (docDisp !== (mine.disposition ?? null)) epcis.disposition = docDisp;
  const myLocation = place === null ? null : placeUri(place, placeBase);
  if (bizLocation !== myLocation) epcis.bizLocation = bizLocation;

  for (const key of Object.keys(raw)) {
    if (STANDARD_MEMBERS.has(key)) continue;
    const p = prefixes.find((x) => key.startsWith(x));
    if (p && PP_MEMBERS.has(key.slice(p.length))) continue;
    warnings.push(`event ${index}: member "${key}" is not kept`);
  }

  return (epcs as string[]).map((epc) => ({
    index,
    eventId: epcs.length === 1 ? documentEventId : `${documentEventId}#${encodeURIComponent(epc)}`,
    documentEventId,
    partUri: epc,
    serial: serialFromPartUri(epc, options.partUriBase),
    event,
    recordedAt,
    recordedBy,
    correctsEventUri,
    correctiveEventUris,
    ...(Object.keys(epcis).length > 0 ? { epcis } : {}),
  }));
}

/**
 * Reads an EPCISDocument. Structural faults of the document itself throw; faults of single
 * events are collected in `rejected` with their index and reason.
 */
export function parseEpcisDocument(doc: unknown, options: EpcisUriOptions = {}): ParsedEpcisDocument {
  if (!isObj(doc)) fail('an EPCIS document must be a JSON object');
  if (doc.type !== 'EPCISDocument') fail(`document type ${JSON.stringify(doc.type)} is not "EPCISDocument"`);
  if (typeof doc.schemaVersion !== 'string' || !doc.schemaVersion.startsWith('2.')) {
    fail(`schemaVersion ${JSON.stringify(doc.schemaVersion)} is not supported (partprint reads EPCIS 2.x)`);
  }
  const body = doc.epcisBody;
  if (!isObj(body) || !Array.isArray(body.eventList)) fail('epcisBody.eventList is missing');
  const prefixes = ppPrefixes(doc['@context']);
  const out: ParsedEpcisDocument = { events: [], rejected: [], warnings: [] };
  body.eventList.forEach((raw: unknown, index: number) => {
    const eventId = isObj(raw) && typeof raw.eventID === 'string' ? raw.eventID : undefined;
    try {
      if (!isObj(raw)) fail('an event must be an object');
      const eventPrefixes = raw['@context'] === undefined ? prefixes : [...new Set([...prefixes, ...ppPrefixes(raw['@context'])])];
      out.events.push(...parseOne(raw, index, eventPrefixes, options, out.warnings));
    } catch (err) {
      if (!(err instanceof TraceError)) throw err;
      out.rejected.push({ index, ...(eventId ? { eventId } : {}), reason: err.message });
    }
  });
  return out;
}
