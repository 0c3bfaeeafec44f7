/**
 * OpenAPI 3.1 document built from the registered routes' JSON schemas (collected by an onRoute
 * hook), so the document cannot drift from what the server validates.
 */
import type { RouteOptions } from 'fastify';

export interface OpenApiRouteInfo {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
  permission: string | undefined;
  /** Multipart form fields (JSON schema of an object); files have `format: binary`. */
  multipart: Record<string, unknown> | undefined;
  /** Content types of a non-JSON success response, e.g. text/event-stream, image/png. */
  produces: string[] | undefined;
}

type Json = Record<string, unknown>;

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid request (the message names the field)',
  '401': 'Missing, unknown or revoked API key',
  '403': "The key's role lacks the permission",
  '404': 'Not found',
  '409': 'Conflict with stored data (e.g. duplicate serial)',
  '413': 'Upload too large (bytes or pixels)',
  '415': 'Unsupported media type or image format',
  '422': 'Corrupt image or unprocessable input',
  '429': 'Rate limit exceeded (see Retry-After)',
};

export function routeInfo(route: RouteOptions): OpenApiRouteInfo[] {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const config = (route.config ?? {}) as { permission?: string; openapi?: { hide?: boolean; multipart?: Json; produces?: string[]; options?: boolean } };
  if (config.openapi?.hide || (route.schema as { hide?: boolean } | undefined)?.hide) return [];
  return methods
    // OPTIONS only where it is part of the API (the EPCIS binding's version discovery), not CORS plumbing.
    .filter((m) => m !== 'HEAD' && (m !== 'OPTIONS' || config.openapi?.options === true))
    .map((method) => ({
      method: method.toLowerCase(),
      url: route.url,
      schema: route.schema as Record<string, unknown> | undefined,
      permission: config.permission,
      multipart: config.openapi?.multipart,
      produces: config.openapi?.produces,
    }));
}

function toPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: Json | undefined, where: 'path' | 'query'): Json[] {
  if (!schema || typeof schema.properties !== 'object') return [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, Json>).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' ? true : required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

function operationId(method: string, url: string): string {
  // The EPCIS binding's /epcis/events must not take the id of /api/epcis/events.
  const words = url
    .replace(/^\/epcis(?=\/|$)/, '/epcisBinding')
    .replace(/^\/api\//, '/')
    .split('/')
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w))
    .join('-');
  return `${method}-${words || 'root'}`.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
}

export function buildOpenApi(routes: OpenApiRouteInfo[], info: { title: string; version: string; description: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
    const schema = (r.schema ?? {}) as Json;
    const op: Json = { operationId: operationId(r.method, r.url) };
    if (schema.summary) op.summary = schema.summary;
    if (schema.description) op.description = schema.description;
    if (schema.tags) op.tags = schema.tags;
    const params = [...parameters(schema.params as Json | undefined, 'path'), ...parameters(schema.querystring as Json | undefined, 'query')];
    if (params.length > 0) op.parameters = params;
    if (schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
    if (r.multipart) op.requestBody = { required: true, content: { 'multipart/form-data': { schema: r.multipart } } };
    const responses: Record<string, Json> = {};
    for (const [status, s] of Object.entries((schema.response as Record<string, Json> | undefined) ?? {})) {
      const desc = typeof s.description === 'string' ? s.description : 'Success';
      responses[status] = { description: desc, content: { 'application/json': { schema: s } } };
    }
    for (const type of r.produces ?? []) {
      const ok = responses['200'] ?? { description: 'Success', content: {} };
      ok.content = { ...(ok.content as Json), [type]: { schema: type.startsWith('image/') ? { type: 'string', contentEncoding: 'binary' } : { type: 'string' } } };
      responses['200'] = ok;
    }
    if (Object.keys(responses).length === 0) responses['200'] = { description: 'Success' };
    const errors = r.permission === 'public' ? ['400'] : Object.keys(ERROR_RESPONSES);
    for (const status of errors) responses[status] ??= { description: ERROR_RESPONSES[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    op.responses = responses;
    if (r.permission && r.permission !== 'public') {
      op.security = [{ bearer: [] }];
      op['x-permission'] = r.permission;
    } else op.security = [];
    const p = toPath(r.url);
    paths[p] ??= {};
    paths[p][r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer ppk_<id>_<secret>` (or header `X-API-Key`).' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
        },
      },
    },
  };
}
