/**
 * Assembly inspection plans: a plan names an assembly type's positions and what each expects (part
 * number, torque range, inspection result); a check identifies the part at each position (1:N),
 * applies the rules, stores the photos, the report and EPCIS-exportable history events.
 */
export * from './types.js';
export { parseDocument, readPlan, readCheckFile, readImageFile, validatePlan, validateCheckFile, type CheckFile } from './load.js';
export { checkAssembly, evaluatePoints, summarise, type CheckAssemblyOptions } from './check.js';
export { identifierFor, toPositionIdentification } from './identify.js';
export { renderReportHtml } from './report.js';
export { getCheck, listChecks, checkImage, type CheckSummary } from './store.js';
export type { PlanTables } from './tables.js';
