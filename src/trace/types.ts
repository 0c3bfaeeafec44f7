/**
 * History events of a part: what happened to it, when, where, by whom. Append-only: a mistake is
 * fixed by a new event whose `correctsEventId` names the event it corrects.
 */

/** Event types, in the order a part usually lives through them. */
export const EVENT_TYPES = [
  'commissioned',
  'inspected',
  'packed',
  'unpacked',
  'shipped',
  'received',
  'installed',
  'removed',
  'observed',
  'decommissioned',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One measured value of an inspection, e.g. { value: 12.02, unit: "mm" }. */
export interface Measurement {
  value: number;
  unit: string;
}

/** Typed fields of an `installed` event. */
export interface InstalledFields {
  /** Tightening torque in newton metres (> 0). */
  torqueNm?: number;
  /** Position or location in the assembly, e.g. "wheel 3". */
  position?: string;
}

/** Typed fields of an `inspected` event. */
export interface InspectedFields {
  result?: 'pass' | 'fail';
  /** Measured values by name, e.g. { diameter: { value: 12.02, unit: "mm" } }. */
  measurements?: Record<string, Measurement>;
}

/** Typed fields of `packed` / `unpacked` events (EPCIS AggregationEvents and AssociationEvents): the part goes into or out of a parent. */
export interface PackedFields {
  /** The parent: a part's serial when the EPC rule maps its EPC to one, else its EPC URI (an SSCC of a pallet, ...). */
  parent?: string;
}

/** The typed fields of any event; which keys are allowed depends on the type (see FIELD_SPECS). */
export interface EventFields extends InstalledFields, InspectedFields, PackedFields {}

/** What a caller supplies to record an event. */
export interface NewEvent {
  type: EventType | string;
  /** When it happened: ISO 8601 with an offset ("2026-11-21T10:38:00+01:00" or "...Z"). */
  occurredAt: string;
  place?: string | null;
  /** Who did it (operator, fitter, inspector, company). */
  actor?: string | null;
  notes?: string | null;
  fields?: EventFields;
  /** Id of an earlier event of the same part that this event corrects. */
  correctsEventId?: number | null;
}

/** A stored event. */
export interface TraceEvent {
  id: number;
  partId: number;
  serial: string;
  type: EventType;
  /** When it happened, ISO 8601 UTC ("2026-11-21T09:38:00.000Z"). */
  occurredAt: string;
  /** The offset the time was given in ("+01:00"), kept so the event reads as it was recorded. */
  timeZoneOffset: string;
  /** When partprint stored it (ISO 8601 UTC). */
  recordedAt: string;
  place: string | null;
  actor: string | null;
  notes: string | null;
  fields: EventFields;
  correctsEventId: number | null;
  /** Who wrote the record (user, API key), as opposed to `actor` who did the work. */
  recordedBy: string | null;
  /** The event's EPCIS eventID (a URI): minted when recorded, kept from the document when imported. */
  eventId: string;
  /** EPCIS members kept from an imported document where they differ from partprint's own mapping. */
  epcis?: EpcisOverrides;
}

/** EPCIS members of an imported event that partprint's mapping would not produce, kept so the export says what the document said. */
export interface EpcisOverrides {
  bizStep?: string | null;
  disposition?: string | null;
  bizLocation?: string | null;
  action?: 'ADD' | 'OBSERVE' | 'DELETE';
  /** The EPC as the document wrote it (an SGTIN URN, a Digital Link URI), when it is not the part's partprint URI. */
  epc?: string;
  /** AggregationEvent / AssociationEvent: the parentID as written. */
  parentID?: string;
  /** A packed/unpacked event that came as an AssociationEvent (an assembly of objects rather than packing into a container) exports as one again. */
  eventType?: 'AssociationEvent';
  /** An event naming several EPCs is stored once per EPC; the export joins them again. */
  group?: { eventId: string; size: number; position: number };
  /** Standard and extension members kept verbatim (sensorElementList, bizTransactionList, quantityList, ilmd, "ex:field", ...). */
  members?: Record<string, unknown>;
  /** @context terms (prefix -> IRI) that the kept extension members use. */
  context?: Record<string, string>;
}

/** An event as part of a part's effective history. */
export interface HistoryEntry extends TraceEvent {
  /** Id of the event that corrects this one, if any. */
  correctedBy: number | null;
  /** False when a later event corrects this one. */
  effective: boolean;
}

export interface ListEventsFilter {
  type?: EventType | string;
  /** Inclusive lower bound on the time it happened (ISO 8601 with offset). */
  since?: string;
  /** Exclusive upper bound on the time it happened (ISO 8601 with offset). */
  until?: string;
}

/** Options of the write operations. */
export interface RecordOptions {
  /** Who writes the record (user name, API key name). */
  recordedBy?: string | null;
}
