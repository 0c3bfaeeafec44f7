export * from './errors.js';
export * from './rng.js';
export * from './progress.js';
export * from './dispose.js';
export * from './csv.js';
export { workerFile } from './worker-file.js';
export { lowerThreadPriority } from './thread-priority.js';
export * from './mat3.js';
