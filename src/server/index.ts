/** The HTTP service: Fastify app, API keys and roles, background jobs, OpenAPI. */
export { createServer, type PartprintServer } from './server.js';
export { DEFAULT_LIMITS, type ServerLimits, type ServerOptions, type ServerServices } from './services.js';
export { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';
export { KeysService, hashSecret, type ApiKey, type NewApiKey, type Principal } from './keys.service.js';
export { KeysRepository } from './keys.repository.js';
export { serverDb } from './tables.js';
export { ROLES, ROLE_PERMISSIONS, isRole, mayRecordEventType, type Role, type Permission } from './roles.js';
export { EventsService } from './events.service.js';
export { EventsRepository } from './events.repository.js';
export { AuditRepository } from './audit.repository.js';
export { mapError, STATUS_BY_CODE, HttpError } from './http-errors.js';
export { API_VERSION } from './version.js';
