/** /api/keys (admin), /api/whoami (any key), /api/audit (admin). */
import type { FastifyInstance } from 'fastify';
import { actorOf, principalOf } from './auth.js';
import { ROLES } from './roles.js';
import { pageQuery } from './schemas.js';
import type { ServerServices } from './services.js';

const keySchema = {
  type: 'object',
  required: ['id', 'name', 'role', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    ratePerSecond: { type: ['number', 'null'] },
    createdAt: { type: 'string' },
    createdBy: { type: ['string', 'null'] },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;

export function registerKeysRoutes(app: FastifyInstance, services: ServerServices): void {
  const { keys, audit } = services;
  const tags = ['auth'];

  app.get(
    '/api/whoami',
    {
      config: { permission: 'read' },
      schema: {
        summary: "The calling key's id, name, role and permissions",
        tags,
        response: { 200: { type: 'object', required: ['keyId', 'name', 'role', 'permissions'], properties: { keyId: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, permissions: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return { keyId: p.keyId, name: p.name, role: p.role, permissions: services.permissionsOf(p.role) };
    },
  );

  app.get('/api/keys', { config: { permission: 'keys:admin' }, schema: { summary: 'List API keys (never their secrets)', tags, response: { 200: { type: 'object', properties: { items: { type: 'array', items: keySchema } } } } } }, async () => ({
    items: await keys.list(),
  }));

  app.post<{ Body: { role: string; name: string; ratePerSecond?: number | null } }>(
    '/api/keys',
    {
      config: { permission: 'keys:admin' },
      schema: {
        summary: 'Make an API key; the secret is in this response only',
        tags,
        body: {
          type: 'object',
          required: ['role', 'name'],
          additionalProperties: false,
          properties: { role: { type: 'string', enum: [...ROLES] }, name: { type: 'string', minLength: 1, maxLength: 200 }, ratePerSecond: { type: ['number', 'null'], exclusiveMinimum: 0 } },
        },
        response: { 201: { type: 'object', required: ['key', 'secret'], properties: { key: keySchema, secret: { type: 'string' } } } },
      },
    },
    async (request, reply) => {
      const made = await keys.create({ ...request.body, createdBy: actorOf(request) });
      await audit.record(actorOf(request), 'key.create', made.key.id, { role: made.key.role, name: made.key.name });
      return reply.status(201).send(made);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/keys/:id',
    {
      config: { permission: 'keys:admin' },
      schema: { summary: 'Revoke an API key', tags, params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } }, response: { 200: keySchema } },
    },
    async (request) => {
      const key = await keys.revoke(request.params.id);
      await audit.record(actorOf(request), 'key.revoke', key.id, {});
      return key;
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/api/audit',
    {
      config: { permission: 'keys:admin' },
      schema: {
        summary: 'Audit log: who wrote what through the API, newest first',
        tags,
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: {
          200: {
            type: 'object',
            properties: {
              total: { type: 'integer' },
              items: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, at: { type: 'string' }, actor: { type: 'string' }, action: { type: 'string' }, target: { type: ['string', 'null'] }, details: { type: 'object', additionalProperties: true } } } },
            },
          },
        },
      },
    },
    async (request) => audit.list(request.query.limit, request.query.offset),
  );
}
