/**
 * GS1 Core Business Vocabulary (CBV 2.0) names used for partprint's event types: what EPCIS
 * calls the "why" of an event (business step and disposition) and its action.
 */
import type { EventFields, EventType } from './types.js';

export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE';

export interface CbvMapping {
  action: EpcisAction;
  bizStep?: string;
  disposition?: string;
}

/** bizStep and disposition per type (bare CBV 2.0 terms, as the EPCIS 2.0 JSON-LD context defines them). */
const MAPPING: Record<EventType, CbvMapping> = {
  commissioned: { action: 'ADD', bizStep: 'commissioning', disposition: 'active' },
  inspected: { action: 'OBSERVE', bizStep: 'inspecting' },
  packed: { action: 'ADD', bizStep: 'packing' },
  unpacked: { action: 'DELETE', bizStep: 'unpacking' },
  shipped: { action: 'OBSERVE', bizStep: 'shipping', disposition: 'in_transit' },
  received: { action: 'OBSERVE', bizStep: 'receiving', disposition: 'in_progress' },
  installed: { action: 'OBSERVE', bizStep: 'installing' },
  removed: { action: 'OBSERVE', bizStep: 'removing' },
  observed: { action: 'OBSERVE' },
  decommissioned: { action: 'DELETE', bizStep: 'decommissioning', disposition: 'inactive' },
};

/** The CBV mapping of an event; an inspection's disposition follows its result (conformant / non_conformant). */
export function cbvFor(type: EventType, fields: EventFields = {}): CbvMapping {
  const m = { ...MAPPING[type] };
  if (type === 'inspected' && fields.result !== undefined) m.disposition = fields.result === 'pass' ? 'conformant' : 'non_conformant';
  return m;
}

const BIZSTEP_PREFIXES = ['https://ref.gs1.org/cbv/BizStep-', 'https://gs1.org/voc/BizStep-', 'https://ns.gs1.org/cbv/BizStep-', 'urn:epcglobal:cbv:bizstep:', 'cbv:BizStep-'];
const DISP_PREFIXES = ['https://ref.gs1.org/cbv/Disp-', 'https://gs1.org/voc/Disp-', 'https://ns.gs1.org/cbv/Disp-', 'urn:epcglobal:cbv:disp:', 'cbv:Disp-'];

function strip(value: string, prefixes: string[]): string {
  for (const p of prefixes) if (value.startsWith(p)) return value.slice(p.length);
  return value;
}

/** "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-shipping" -> "shipping". */
export function bareBizStep(value: string): string {
  return strip(value, BIZSTEP_PREFIXES);
}

export function bareDisposition(value: string): string {
  return strip(value, DISP_PREFIXES);
}

const TYPE_BY_BIZSTEP: Record<string, EventType> = {
  commissioning: 'commissioned',
  inspecting: 'inspected',
  shipping: 'shipped',
  departing: 'shipped',
  receiving: 'received',
  arriving: 'received',
  accepting: 'received',
  installing: 'installed',
  removing: 'removed',
  decommissioning: 'decommissioned',
  destroying: 'decommissioned',
};

/**
 * The partprint type for an ObjectEvent from another system, judged by its bizStep, then its
 * action. A bizStep partprint has no type for (a CBV step such as "storing", or a URI of another
 * vocabulary) gives "observed", and the bizStep is kept as written: it is never rewritten to
 * "commissioning".
 */
export function typeForEpcis(action: EpcisAction, bizStep: string | undefined): EventType {
  if (bizStep !== undefined) return TYPE_BY_BIZSTEP[bareBizStep(bizStep)] ?? 'observed';
  if (action === 'ADD') return 'commissioned';
  if (action === 'DELETE') return 'decommissioned';
  return 'observed';
}

/** CBV 2.0 business steps (the bare terms the EPCIS 2.0 JSON-LD context defines). */
export const CBV_BIZSTEPS: ReadonlySet<string> = new Set([
  'accepting', 'arriving', 'assembling', 'collecting', 'commissioning', 'consigning', 'creating_class_instance', 'cycle_counting',
  'decommissioning', 'departing', 'destroying', 'disassembling', 'dispensing', 'encoding', 'entering_exiting', 'holding', 'inspecting',
  'installing', 'killing', 'loading', 'other', 'packing', 'picking', 'receiving', 'removing', 'repackaging', 'repairing', 'replacing',
  'reserving', 'retail_selling', 'shipping', 'staging_outbound', 'stock_taking', 'stocking', 'storing', 'transporting', 'unloading',
  'unpacking', 'void_shipping', 'sensor_reporting', 'sampling',
]);

/** CBV 2.0 dispositions. */
export const CBV_DISPOSITIONS: ReadonlySet<string> = new Set([
  'active', 'container_closed', 'damaged', 'destroyed', 'dispensed', 'disposed', 'encoded', 'expired', 'in_progress', 'in_transit',
  'inactive', 'no_pedigree_match', 'non_sellable_other', 'partially_dispensed', 'recalled', 'reserved', 'retail_sold', 'returned',
  'sellable_accessible', 'sellable_not_accessible', 'stolen', 'unknown', 'available', 'completeness_verified', 'completeness_inferred',
  'conformant', 'container_open', 'mismatch_instance', 'mismatch_class', 'mismatch_quantity', 'needs_replacement', 'non_conformant',
  'unavailable',
]);

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/**
 * Why a bizStep or disposition is not CBV, or null when it is: a bare term must be a CBV term, a
 * CBV URI (urn:epcglobal:cbv:..., https://ref.gs1.org/cbv/...) must name one, any other URI is
 * another vocabulary's term and is kept as written.
 */
export function cbvProblem(kind: 'bizStep' | 'disposition', value: string): string | null {
  const terms = kind === 'bizStep' ? CBV_BIZSTEPS : CBV_DISPOSITIONS;
  const bare = kind === 'bizStep' ? bareBizStep(value) : bareDisposition(value);
  if (bare !== value) return terms.has(bare) ? null : `${kind} ${JSON.stringify(value)} names no CBV 2.0 term`;
  if (terms.has(value)) return null;
  if (URI.test(value)) return null;
  return `${kind} ${JSON.stringify(value)} is neither a CBV 2.0 term nor a URI of another vocabulary`;
}
