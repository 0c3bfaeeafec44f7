/**
 * Synthetic manufactured-part surfaces: seeded, deterministic images of parts from several
 * processes and machines, their recaptures, look-alikes and scanner sheets.
 */
export * from './types.js';
export { DEFAULT_CONFIG, checkConfig, machineName, makeMachines, makePart, makeLookalike, partSerial, lookalikeSerial, parseSerial, trayPositionLabel, datasetSplit, type SplitCounts } from './catalogue.js';
export { sampleCaptureParams, renderCapture, encodeCapture, type RenderedCapture, type CaptureOptions } from './capture.js';
export { captureHomography, invertMat3, applyMat3, mulMat3, isWholePartView, viewOrigin, type Mat3 } from './view.js';
export { generateParts, generateRecaptures, readSynthInfo, PARTS_HEADER, RECAPTURE_HEADER, type GeneratePartsOptions, type GenerateRecapturesOptions, type GenerateSummary, type SynthInfo } from './dataset.js';
export { formatCsv, parseCsv } from './csv.js';
export { runRenderJob, partFor, type RenderJob, type RenderResult } from './jobs.js';
export { generateSheets, placeParts, SHEET_HEADER, type GenerateSheetsOptions } from './sheet.js';
export { renderContactSheet, CONTACT_ZOOMS } from './contact-sheet.js';
export * from './mould/index.js';
