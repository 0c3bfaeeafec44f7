/**
 * Builds the Fastify application: error mapping, auth, metrics, OpenAPI, static UI and every
 * route group whose capability is present.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import './fastify-types.js';
import { authenticatePresented, installAuth, presentedKey } from './auth.js';
import { HttpError, mapError } from './http-errors.js';
import { buildOpenApi, routeInfo, type OpenApiRouteInfo } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import { registerRoutes } from './routes.js';
import { API_VERSION } from './version.js';
import type { ServerConfig, ServerServices } from './services.js';


/** The web UI's static files (src/web/static), if present; the same folder from src/server and from the compiled dist/server. */
export function defaultStaticDir(): string | null {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/web/static');
  return existsSync(dir) ? dir : null;
}

/**
 * The web UI is same-origin modules and a stylesheet, no inline script or style: scripts, styles
 * and requests stay on this origin; images may also be data: (charts) and blob: (photos fetched
 * with the key); nothing may frame the UI. No upgrade-insecure-requests: the server speaks plain
 * HTTP on a LAN unless a TLS proxy sits in front (which then also owns HSTS).
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export async function buildApp(services: ServerServices, config: ServerConfig): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logger ?? false,
    bodyLimit: config.limits.maxJsonBytes,
    // Open Server-Sent Event streams must not keep `close()` waiting.
    forceCloseConnections: true,
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false, useDefaults: true } },
  });
  const routes: OpenApiRouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(...routeInfo(route));
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err);
    if (mapped.status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(mapped.status).headers(mapped.headers).type('application/json').send(mapped.body);
  });
  const failedAuth = new RateLimiter(config.failedAuthLimit);
  app.setNotFoundHandler(async (request, reply) => {
    // Under /api even "no such route" is only told to a valid key.
    const path = request.url.split('?')[0];
    let e = new HttpError(404, 'NOT_FOUND', `no route ${request.method} ${path}`);
    if (path.startsWith('/api/') || path === '/api') {
      const secret = presentedKey(request);
      if (secret === null) e = new HttpError(401, 'UNAUTHORIZED', 'missing or unknown API key', { 'www-authenticate': 'Bearer' });
      else {
        try {
          await authenticatePresented(request, services.keys, failedAuth, secret);
        } catch (err) {
          e = err as HttpError;
        }
      }
    }
    const mapped = mapError(e);
    return reply.status(mapped.status).headers(mapped.headers).send(mapped.body);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  // EPCIS documents arrive as JSON-LD.
  app.addContentTypeParser('application/ld+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  await app.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY }, strictTransportSecurity: false, xFrameOptions: { action: 'deny' } });
  installAuth(app, services.keys, new RateLimiter(config.rateLimit), failedAuth);
  await app.register(multipart, {
    limits: { fileSize: config.limits.maxUploadBytes, files: 1, fields: 50, fieldSize: 64 * 1024, parts: 60 },
    throwFileSizeLimit: true,
  });

  app.get(
    '/openapi.json',
    { config: { permission: 'public' }, schema: { summary: 'This OpenAPI 3.1 document', tags: ['system'] } },
    async () => buildApi(),
  );
  let cached: Record<string, unknown> | null = null;
  const buildApi = () => (cached ??= buildOpenApi(routes, {
    title: 'partprint',
    version: API_VERSION,
    description: 'Traceability service: parts, captures, fingerprints (verify/identify), source prediction, events (EPCIS 2.0), jobs. Authenticate with `Authorization: Bearer <API key>`.',
  }));

  await registerRoutes(app, services, config);

  const staticDir = config.staticDir === undefined ? defaultStaticDir() : config.staticDir;
  if (staticDir) {
    await app.register(fastifyStatic, { root: staticDir, prefix: '/', index: ['index.html'] });
  }
  await app.ready();
  return app;
}
