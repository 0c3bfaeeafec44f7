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

/** The partprint type for an event from another system, judged by its bizStep, then its action. */
export function typeForEpcis(action: EpcisAction, bizStep: string | undefined): EventType {
  const byStep = bizStep === undefined ? undefined : TYPE_BY_BIZSTEP[bareBizStep(bizStep)];
  if (byStep) return byStep;
  if (action === 'ADD') return 'commissioned';
  if (action === 'DELETE') return 'decommissioned';
  return 'observed';
}
