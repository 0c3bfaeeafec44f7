/**
 * Authentication, authorisation and rate limiting, as one onRequest hook. A route's
 * `config.permission` names what it needs; a route without one is refused at registration
 * (so nothing can be exposed by forgetting it).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import type { KeysService, Principal } from './keys.service.js';
import type { RateLimiter } from './rate-limit.js';
import { roleAllows } from './roles.js';

/** Reads `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : null;
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return null;
}

/**
 * Checks a presented key, counting unknown or revoked ones per client address in `failures`: once
 * an address has spent its failed-authentication budget, every key it presents is refused (429)
 * until the budget refills, whether the key is right or not.
 */
export async function authenticatePresented(request: FastifyRequest, keys: KeysService, failures: RateLimiter, secret: string): Promise<Principal> {
  const blocked = failures.wait(request.ip);
  if (blocked > 0) {
    throw new HttpError(429, 'RATE_LIMITED', `too many failed authentications from ${request.ip}; retry in ${blocked.toFixed(1)} s`, { 'retry-after': String(Math.ceil(blocked)) });
  }
  const principal = await keys.authenticate(secret);
  if (principal === null) {
    failures.take(request.ip);
    throw new HttpError(401, 'UNAUTHORIZED', 'unknown or revoked API key', { 'www-authenticate': 'Bearer' });
  }
  return principal;
}

export function installAuth(app: FastifyInstance, keys: KeysService, limiter: RateLimiter, failures: RateLimiter): void {
  app.addHook('onRoute', (route) => {
    const permission = (route.config as { permission?: string } | undefined)?.permission;
    if (permission === undefined && !(route.config as { static?: boolean } | undefined)?.static && route.url.startsWith('/api')) {
      throw new Error(`route ${String(route.method)} ${route.url} has no config.permission`);
    }
  });
  app.addHook('onRequest', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined || permission === 'public') return;
    const secret = presentedKey(request);
    if (secret === null) throw new HttpError(401, 'UNAUTHORIZED', 'missing API key: send "Authorization: Bearer <key>"', { 'www-authenticate': 'Bearer' });
    const principal = await authenticatePresented(request, keys, failures, secret);
    request.principal = principal;
    const wait = principal.ratePerSecond === null ? limiter.take(principal.keyId) : limiter.take(principal.keyId, principal.ratePerSecond, Math.max(1, principal.ratePerSecond * 2));
    if (wait > 0) {
      throw new HttpError(429, 'RATE_LIMITED', `rate limit exceeded for key ${principal.keyId}; retry in ${wait.toFixed(2)} s`, { 'retry-after': String(Math.ceil(wait)) });
    }
    if (!roleAllows(principal.role, permission)) {
      throw new HttpError(403, 'FORBIDDEN', `role "${principal.role}" may not do this (needs permission "${permission}")`);
    }
  });
}

/** The authenticated caller; routes with a permission other than 'public' always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpError(401, 'UNAUTHORIZED', 'no authenticated key on this request');
  return request.principal;
}

/** What writes record as `recorded_by`/`actor`: "key:<id> (<name>)". */
export function actorOf(request: FastifyRequest): string {
  const p = principalOf(request);
  return `key:${p.keyId} (${p.name})`;
}
