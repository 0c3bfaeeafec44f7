/**
 * Reads an EPCIS 2.0 JSON(-LD) document into partprint events, without touching the database:
 * every problem is collected with the event's index so an import can report them all at once.
 * ObjectEvents, AggregationEvents and AssociationEvents are read (one partprint event per EPC);
 * Transaction and Transformation events, and class-level events that name no instance, are
 * listed as unsupported with a reason.
 */
import { TraceError } from '../core/index.js';
import { bareBizStep, bareDisposition, cbvFor, typeForEpcis, type EpcisAction } from './cbv.js';
import { DEFAULT_EPC_RULE, partForEpc, type EpcPart, type EpcRule } from './epc.js';
import { DEFAULT_PLACE_URI_BASE, PP_NAMESPACE, partUri, placeFromUri, placeUri } from './epcis-export.js';
import { readSensorMeasurements } from './sensor.js';
import { formatInOffset, parseEventTime, parseOffset } from './time.js';
import type { EpcisOverrides, EventFields, EventType, Measurement } from './types.js';
import { uuidV5 } from './uuid.js';
import { isEventType, validateEvent, validateRecordedBy, type ValidEvent } from './validate.js';
import { documentEvents } from './epcis-validate.js';

export interface ParseEpcisOptions {
  /** Which EPCs name which parts (default: DEFAULT_EPC_RULE). */
  rule?: EpcRule;
  /** Prefix for places that are not URIs; default `urn:partprint:place:`. */
  placeUriBase?: string;
}

/** One event read from a document, for one part (an event with n EPCs gives n of these). */
export interface ParsedEpcisEvent {
  /** Position of the event in the document's eventList. */
  index: number;
  /** The event's eventID (derived from its content when the document has none; suffixed per EPC when it lists several). */
  eventId: string;
  /** The eventID as written in the document (or derived). */
  documentEventId: string;
  /** The EPC as written. */
  partUri: string;
  /** The part the EPC names under the rule, or null. */
  part: EpcPart | null;
  /** The serial (part?.serial), or null when the EPC names no part under the rule. */
  serial: string | null;
  event: ValidEvent;
  recordedAt: string | null;
  recordedBy: string | null;
  /** eventID of the event this one corrects (pp:correctsEventID). */
  correctsEventUri: string | null;
  /** eventIDs named as corrections in this event's errorDeclaration. */
  correctiveEventUris: string[];
  /** AggregationEvent / AssociationEvent: the parent's EPC and the part it names (if any). */
  parent?: { uri: string; part: EpcPart | null };
  epcis?: EpcisOverrides;
}

export interface EpcisIssue {
  index: number;
  eventId?: string;
  reason: string;
}

/** An event partprint does not store (yet): its type and why. */
export interface UnsupportedEvent extends EpcisIssue {
  type: string;
}

export interface ParsedEpcisDocument {
  events: ParsedEpcisEvent[];
  rejected: EpcisIssue[];
  unsupported: UnsupportedEvent[];
  warnings: string[];
}

/** Members partprint maps itself; every other member is kept verbatim. */
const MAPPED = new Set(['@context', 'type', 'eventID', 'eventTime', 'eventTimeZoneOffset', 'recordTime', 'epcList', 'childEPCs', 'parentID', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation']);
/** Class-level members: kept on the first EPC's record only, so a split event does not multiply quantities. */
const CLASS_LEVEL = new Set(['quantityList', 'childQuantityList']);
const PP_MEMBERS = new Set(['eventType', 'actor', 'recordedBy', 'notes', 'correctsEventID', 'torqueNm', 'position', 'result', 'measurements', 'parent']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Unsupported extends Error {}

/** prefix -> IRI of the term definitions in an @context (string values and { "@id" } objects). */
function contextTerms(context: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of Array.isArray(context) ? context : [context]) {
    if (!isObj(item)) continue;
    for (const [k, v] of Object.entries(item)) {
      const iri = typeof v === 'string' ? v : isObj(v) && typeof v['@id'] === 'string' ? v['@id'] : null;
      if (iri !== null && !k.startsWith('@')) out.set(k, iri);
    }
  }
  return out;
}

function fail(message: string): never {
  throw new TraceError(message, { code: 'BAD_INPUT' });
}

function unsupported(message: string): never {
  throw new Unsupported(message);
}

function readPpMeasurements(value: unknown, pp: (o: Obj, name: string) => unknown): Record<string, Measurement> {
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

function uriList(raw: Obj, name: string): string[] {
  const v = raw[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`${name} must be a list of URIs`);
  for (const epc of v) if (typeof epc !== 'string' || epc === '') fail(`${name} entry ${JSON.stringify(epc)} is not a URI`);
  return v as string[];
}

interface Context {
  index: number;
  terms: Map<string, string>;
  ppPrefixes: string[];
  rule: EpcRule;
  placeUriBase: string;
  warnings: string[];
}

function parseOne(raw: Obj, c: Context): ParsedEpcisEvent[] {
  const pp = (o: Obj, name: string): unknown => {
    for (const p of c.ppPrefixes) if (`${p}${name}` in o) return o[`${p}${name}`];
    return undefined;
  };
  const kind = raw.type;
  if (kind !== 'ObjectEvent' && kind !== 'AggregationEvent' && kind !== 'AssociationEvent') {
    unsupported(`${typeof kind === 'string' ? kind : 'an event without a type'} is not stored by partprint (it stores ObjectEvents, AggregationEvents and AssociationEvents)`);
  }
  const action = raw.action;
  if (action !== 'ADD' && action !== 'OBSERVE' && action !== 'DELETE') fail(`action ${JSON.stringify(action)} must be ADD, OBSERVE or DELETE`);
  if (typeof raw.eventTime !== 'string') fail('eventTime is missing');
  if (typeof raw.eventTimeZoneOffset !== 'string') fail('eventTimeZoneOffset is missing');
  parseOffset(raw.eventTimeZoneOffset, 'eventTimeZoneOffset');
  const time = parseEventTime(raw.eventTime, 'eventTime');
  // An association (components assembled into a machine, a sensor fitted to an asset) is the same parent/child relation as packing.
  const aggregation = kind === 'AggregationEvent' || kind === 'AssociationEvent';
  const epcs = uriList(raw, aggregation ? 'childEPCs' : 'epcList');
  if (epcs.length === 0) {
    const classLevel = raw[aggregation ? 'childQuantityList' : 'quantityList'] !== undefined;
    if (aggregation && action === 'DELETE') unsupported(`an ${kind} DELETE without childEPCs (take everything out) is not stored yet`);
    unsupported(classLevel ? `a class-level ${kind} (quantities of a class, no instance EPC) names no part` : `this ${kind} names no EPC, so no part`);
  }
  if (raw.eventID !== undefined && (typeof raw.eventID !== 'string' || raw.eventID === '')) fail('eventID must be a URI');
  const documentEventId = typeof raw.eventID === 'string' ? raw.eventID : `urn:uuid:${uuidV5(`epcis-event\n${stableJson(raw)}`)}`;

  let parent: ParsedEpcisEvent['parent'];
  if (aggregation) {
    if (typeof raw.parentID !== 'string' || raw.parentID === '') fail(`an ${kind} with childEPCs needs a parentID`);
    parent = { uri: raw.parentID, part: partForEpc(raw.parentID, c.rule) };
  }

  const declaredType = pp(raw, 'eventType');
  const bizStep = typeof raw.bizStep === 'string' ? raw.bizStep : undefined;
  let type: EventType;
  if (aggregation) type = action === 'DELETE' ? 'unpacked' : 'packed';
  else type = isEventType(declaredType) && declaredType !== 'packed' && declaredType !== 'unpacked' ? declaredType : typeForEpcis(action as EpcisAction, bizStep);
  if (!aggregation && declaredType !== undefined && declaredType !== type) c.warnings.push(`event ${c.index}: pp:eventType ${JSON.stringify(declaredType)} is not one partprint reads for an ObjectEvent; read as ${type}`);

  const docDisp = typeof raw.disposition === 'string' ? bareDisposition(raw.disposition) : null;
  const fields: Obj = {};
  for (const name of ['torqueNm', 'position', 'result'] as const) {
    const v = pp(raw, name);
    if (v !== undefined) fields[name] = v;
  }
  if (type === 'inspected' && fields.result === undefined) {
    if (docDisp === 'conformant') fields.result = 'pass';
    else if (docDisp === 'non_conformant') fields.result = 'fail';
  }
  const ms = pp(raw, 'measurements');
  if (ms !== undefined) fields.measurements = readPpMeasurements(ms, pp);
  const members: Obj = {};
  if (raw.sensorElementList !== undefined) {
    const sensors = readSensorMeasurements(raw.sensorElementList, c.ppPrefixes);
    if (type === 'inspected' || type === 'observed') {
      if (Object.keys(sensors.measurements).length > 0) fields.measurements = { ...sensors.measurements, ...(fields.measurements as object | undefined) };
    }
    // A list partprint wrote from its own measurements is written again from them; any other is kept as it came.
    if (!sensors.writtenByPartprint || (type !== 'inspected' && type !== 'observed')) members.sensorElementList = raw.sensorElementList;
  }
  if (parent) fields.parent = parent.part?.serial ?? parent.uri;

  const readPoint = isObj(raw.readPoint) && typeof raw.readPoint.id === 'string' ? raw.readPoint.id : null;
  const bizLocation = isObj(raw.bizLocation) && typeof raw.bizLocation.id === 'string' ? raw.bizLocation.id : null;
  const placeSource = readPoint ?? bizLocation;
  const place = placeSource === null ? null : placeFromUri(placeSource, c.placeUriBase);

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
  }, { resultOptional: true });
  const recordedBy = validateRecordedBy(text('recordedBy'));
  let recordedAt: string | null = null;
  if (raw.recordTime !== undefined) recordedAt = parseEventTime(String(raw.recordTime), 'recordTime').utc;
  const correctsEventUri = text('correctsEventID');

  let correctiveEventUris: string[] = [];
  if (raw.errorDeclaration !== undefined) {
    const decl = raw.errorDeclaration;
    if (!isObj(decl)) fail('errorDeclaration must be an object');
    const ids = decl.correctiveEventIDs;
    if (Array.isArray(ids) && ids.length > 0 && ids.every((x) => typeof x === 'string')) correctiveEventUris = ids as string[];
    else {
      members.errorDeclaration = decl;
      c.warnings.push(`event ${c.index}: its errorDeclaration names no corrective event; it is kept as written, and the event stays in partprint's effective history`);
    }
  }

  // Keep the "why"/"where" members that partprint's own mapping would not reproduce.
  const mine = cbvFor(event.type, event.fields);
  const epcis: EpcisOverrides = {};
  const docStep = bizStep === undefined ? null : bareBizStep(bizStep);
  if (docStep !== (mine.bizStep ?? null)) epcis.bizStep = docStep;
  if (docDisp !== (mine.disposition ?? null)) epcis.disposition = docDisp;
  if (action !== mine.action) epcis.action = action;
  const myLocation = place === null ? null : placeUri(place, c.placeUriBase);
  if (bizLocation !== myLocation) epcis.bizLocation = bizLocation;
  if (parent && parent.uri !== (parent.part ? partUri(parent.part.serial, c.rule.partUriBase) : parent.uri)) epcis.parentID = parent.uri;
  if (kind === 'AssociationEvent') epcis.eventType = 'AssociationEvent';

  const classMembers: Obj = {};
  const context: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    if (MAPPED.has(key) || key === 'sensorElementList' || key === 'errorDeclaration') continue;
    const p = c.ppPrefixes.find((x) => key.startsWith(x));
    if (p && PP_MEMBERS.has(key.slice(p.length))) continue;
    (CLASS_LEVEL.has(key) ? classMembers : members)[key] = raw[key];
    const colon = key.indexOf(':');
    if (colon > 0) {
      const prefix = key.slice(0, colon);
      const iri = c.terms.get(prefix);
      if (iri !== undefined) context[prefix] = iri;
      else if (!key.includes('://') && !key.startsWith('urn:')) c.warnings.push(`event ${c.index}: member "${key}" uses the prefix "${prefix}", which the @context does not define`);
    }
  }
  if (Object.keys(context).length > 0) epcis.context = context;

  return epcs.map((epc, position) => {
    const part = partForEpc(epc, c.rule);
    const mineUri = part ? partUri(part.serial, c.rule.partUriBase) : null;
    const own: EpcisOverrides = { ...epcis };
    if (epc !== mineUri) own.epc = epc;
    if (epcs.length > 1) own.group = { eventId: documentEventId, size: epcs.length, position };
    const kept = { ...members, ...(position === 0 ? classMembers : {}) };
    if (Object.keys(kept).length > 0) own.members = kept;
    return {
      index: c.index,
      eventId: epcs.length === 1 ? documentEventId : `${documentEventId}#${encodeURIComponent(epc)}`,
      documentEventId,
      partUri: epc,
      part,
      serial: part?.serial ?? null,
      event,
      recordedAt,
      recordedBy,
      correctsEventUri,
      correctiveEventUris,
      ...(parent ? { parent } : {}),
      ...(Object.keys(own).length > 0 ? { epcis: own } : {}),
    };
  });
}

/**
 * Reads an EPCISDocument (or the events of an EPCISQueryDocument). Structural faults of the
 * document itself throw; faults of single events are collected in `rejected`, events partprint
 * does not store in `unsupported`, both with their index and reason.
 */
export function parseEpcisDocument(doc: unknown, options: ParseEpcisOptions = {}): ParsedEpcisDocument {
  if (!isObj(doc)) fail('an EPCIS document must be a JSON object');
  if (doc.type !== 'EPCISDocument' && doc.type !== 'EPCISQueryDocument') fail(`document type ${JSON.stringify(doc.type)} is not "EPCISDocument"`);
  if (typeof doc.schemaVersion !== 'string' || !doc.schemaVersion.startsWith('2.')) {
    fail(`schemaVersion ${JSON.stringify(doc.schemaVersion)} is not supported (partprint reads EPCIS 2.x)`);
  }
  const list = documentEvents(doc);
  if (!list) fail('epcisBody.eventList is missing');
  const docTerms = contextTerms(doc['@context']);
  const rule = options.rule ?? DEFAULT_EPC_RULE;
  const placeUriBase = options.placeUriBase ?? DEFAULT_PLACE_URI_BASE;
  const out: ParsedEpcisDocument = { events: [], rejected: [], unsupported: [], warnings: [] };
  list.events.forEach((raw: unknown, index: number) => {
    const eventId = isObj(raw) && typeof raw.eventID === 'string' ? raw.eventID : undefined;
    try {
      if (!isObj(raw)) fail('an event must be an object');
      const terms = raw['@context'] === undefined ? docTerms : new Map([...docTerms, ...contextTerms(raw['@context'])]);
      const ppPrefixes = [...new Set([...[...terms].filter(([, iri]) => iri === PP_NAMESPACE).map(([k]) => `${k}:`), PP_NAMESPACE])];
      out.events.push(...parseOne(raw, { index, terms, ppPrefixes, rule, placeUriBase, warnings: out.warnings }));
    } catch (err) {
      if (err instanceof Unsupported) {
        out.unsupported.push({ index, ...(eventId ? { eventId } : {}), type: isObj(raw) && typeof raw.type === 'string' ? raw.type : '(none)', reason: err.message });
        return;
      }
      if (!(err instanceof TraceError)) throw err;
      out.rejected.push({ index, ...(eventId ? { eventId } : {}), reason: err.message });
    }
  });
  return out;
}
