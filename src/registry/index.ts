export * from './types.js';
export type * from './schema.js';
export { openRegistry, type Registry, type RegistryBlobs, type RegistryOpenOptions, type RegistryScope } from './registry.js';
export { SCHEMA_VERSION, type Dialect } from './connect.js';
export { sha256Hex } from './blobs.js';
export { inspectImage, type InspectedImage } from './images.js';
export type { PartsRepo } from './parts.js';
export type { CapturesRepo } from './captures.js';
export type { FeaturesRepo, NewCaptureFeature } from './features.js';
