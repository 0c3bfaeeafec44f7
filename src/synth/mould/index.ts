/**
 * The mould generator: parts injection-moulded or cast in the same mould, which share the mould's
 * form, machining marks and fine texture; each adds a small individual micro-relief. A second,
 * deliberately different generator for individual identity (see ARCHITECTURE.md).
 */
export * from './types.js';
export { MOULD_RANGES, DEFAULT_MOULD_PIXEL_UM, resolveMouldRange, mouldRangeOf, checkMouldConfig, makeMould, makeMouldPart, mouldName, mouldPartSerial, parseMouldSerial, lookalikeSlot } from './catalogue.js';
export { REGISTRATION_LIGHT, sampleMouldCapture, renderMouldCapture, encodeMouldCapture, movedLight, lightAngleDeg, mouldLayerRegion, type RenderedMouldCapture } from './capture.js';
export { renderMouldLayer, renderPartSurface, shadeLayer, fineRms, FINE_SIGMA_PX, type Layer } from './surface.js';
export { highPass, gaussianBlur, gradientRms } from './filters.js';
export { generateMouldSet, readMouldSet, renderMouldSet, mouldSetCaptures, MOULD_MANIFEST_HEADER, MOULD_GENERATOR, type GenerateMouldSetOptions, type MouldSetSummary, type MouldSetInfo, type MouldManifestEntry, type MouldRole, type InMemoryCapture, type RenderMouldSetOptions } from './dataset.js';
export type { MouldRenderJob, MouldRenderResult } from './jobs.js';
