/** Registers every route group whose capability is wired. */
import type { FastifyInstance } from 'fastify';
import { registerEpcisBindingRoutes } from './epcis-binding.routes.js';
import { registerEventsRoutes } from './events.routes.js';
import { registerTraceRoutes } from './trace.routes.js';
import { registerSourceRoutes } from './source.routes.js';
import { registerIdentityRoutes } from './identity.routes.js';
import { registerJobsRoutes } from './jobs.routes.js';
import { registerKeysRoutes } from './keys.routes.js';
import { registerPartsRoutes } from './parts.routes.js';
import { registerPlanRoutes } from './plan.routes.js';
import { registerLineRoutes } from './line.routes.js';
import { registerAnalyticsRoutes } from './analytics.routes.js';
import type { ServerConfig, ServerServices } from './services.js';
import { registerSystemRoutes } from './system.routes.js';

export async function registerRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): Promise<void> {
  registerSystemRoutes(app, services);
  registerKeysRoutes(app, services);
  registerJobsRoutes(app, services, config);
  registerPartsRoutes(app, services, config);
  if (services.events) registerEventsRoutes(app, services);
  if (services.events) registerTraceRoutes(app, services);
  if (services.epcisBinding) await registerEpcisBindingRoutes(app, services.epcisBinding);
  if (services.source) registerSourceRoutes(app, services, config);
  if (services.identity) registerIdentityRoutes(app, services, config);
  if (services.plan) registerPlanRoutes(app, services, config);
  if (services.line) registerLineRoutes(app, services, config);
  if (services.events) registerAnalyticsRoutes(app, services);
}
