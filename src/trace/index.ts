/**
 * trace: the history of each part as append-only events, exported and imported as GS1 EPCIS 2.0.
 */
export * from './types.js';
export { parseEventTime, formatInOffset, localOffset, nowWithOffset } from './time.js';
export { validateEvent, validateFields, checkEventType, isEventType, FIELD_SPECS, type ValidEvent } from './validate.js';
export { cbvFor, typeForEpcis, type CbvMapping, type EpcisAction } from './cbv.js';
export {
  buildEpcisDocument, toEpcisEvent, placeUri, placeFromUri,
  EPCIS_CONTEXT, PP_NAMESPACE, DEFAULT_PLACE_URI_BASE,
  type EpcisUriOptions, type ExportableEvent,
} from './epcis-export.js';
export {
  partForEpc, parseGs1Key, partUri, serialFromPartUri, checkEpcRule, gs1CheckDigit, DEFAULT_EPC_RULE, DEFAULT_PART_URI_BASE, EPC_SCHEMES,
  type EpcRule, type EpcScheme, type EpcPart, type Gs1Key,
} from './epc.js';
export { getEpcRule, setEpcRule } from './settings.js';
export { validateEpcisDocument, assertValidEpcisDocument, gs1Schema, gs1SchemaCandidates, type EpcisValidation } from './epcis-validate.js';
export { parseEpcisDocument, type ParsedEpcisDocument, type ParsedEpcisEvent, type EpcisIssue, type UnsupportedEvent } from './epcis-parse.js';
export { appendEvent, appendEventIn, getEvent, listEvents, getHistory } from './repository.js';
export { aggregateEvents, AGGREGATE_FIELDS, type AggregateQuery, type AggregateRow, type AggregateGroup, type AggregateField } from './aggregate.js';
export { exportEpcis, queryEpcisEvents, type ExportEpcisOptions, type QueryEpcisOptions, type EpcisPageCursor } from './epcis-store.js';
export { importEpcis, type ImportEpcisOptions, type ImportEpcisReport, type UnsupportedPolicy } from './epcis-import.js';
export {
  traceContents, traceContainers, containmentLinks,
  type ContainmentLink, type TraceNode, type ContentsNode, type ContainersAnswer, type TraceOptions,
} from './containment.js';
