/** /api/trace/* (forward and backward trace through the aggregation relation) and /api/epcis/epc-rule. */
import type { FastifyInstance } from 'fastify';
import { EPC_SCHEMES } from '../trace/index.js';
import { actorOf } from './auth.js';
import type { ServerServices } from './services.js';

const node = {
  type: 'object',
  required: ['key', 'registered'],
  properties: { key: { type: 'string' }, registered: { type: 'boolean' }, partNumber: { type: ['string', 'null'] }, epc: { type: 'string' }, since: { type: 'string' } },
} as const;

const contentsNode = { type: 'object', additionalProperties: true, description: 'node + children (recursive)', properties: { ...node.properties, children: { type: 'array', items: { type: 'object', additionalProperties: true } } } } as const;

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    schemes: { type: 'array', minItems: 1, items: { type: 'string', enum: [...EPC_SCHEMES] } },
    sgtinSerial: { type: 'string', maxLength: 200, description: 'template: {gtin} {serial}' },
    ssccSerial: { type: 'string', maxLength: 200, description: 'template: {sscc}' },
    giaiSerial: { type: 'string', maxLength: 200, description: 'template: {giai}' },
    graiSerial: { type: 'string', maxLength: 200, description: 'template: {grai}' },
    gtins: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 14 } },
    partUriBase: { type: 'string', maxLength: 200 },
  },
} as const;

const at = { type: 'string', maxLength: 40, description: 'as it was at this moment (ISO 8601; default now)' } as const;

export function registerTraceRoutes(app: FastifyInstance, services: ServerServices): void {
  const events = services.events!;
  const tags = ['trace'];

  app.get<{ Querystring: { of: string; at?: string } }>('/api/trace/contents', {
    config: { permission: 'read' },
    schema: {
      summary: 'Forward trace: what is inside an assembly, case or pallet (a serial or an EPC), as a tree',
      tags,
      querystring: { type: 'object', required: ['of'], additionalProperties: false, properties: { of: { type: 'string', minLength: 1, maxLength: 500 }, at } },
      response: { 200: contentsNode },
    },
  }, async (request) => events.traceContents(request.query.of, request.query.at));

  app.get<{ Querystring: { serial?: string[]; attribute?: string; value?: string; at?: string } }>('/api/trace/containers', {
    config: { permission: 'read' },
    schema: {
      summary: 'Backward trace: which assemblies (and their containers) hold these parts, e.g. attribute=build&value=B-17',
      tags,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          serial: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 500 }, description: 'parts (serials or EPCs), repeatable' },
          attribute: { type: 'string', minLength: 1, maxLength: 200 },
          value: { type: 'string', maxLength: 1000 },
          at,
        },
      },
      response: {
        200: {
          type: 'object',
          required: ['parts', 'containers'],
          properties: {
            parts: { type: 'array', items: { type: 'object', properties: { ...node.properties, containers: { type: 'array', items: node } } } },
            containers: { type: 'array', items: { type: 'object', properties: { ...node.properties, parts: { type: 'array', items: { type: 'string' } }, level: { type: 'integer' } } } },
          },
        },
      },
    },
  }, async (request) => events.traceContainers(request.query));

  app.get('/api/epcis/epc-rule', {
    config: { permission: 'read' },
    schema: { summary: "The registry's rule mapping EPCs (SGTIN, SSCC, GIAI, GRAI, Digital Link, partprint URIs) to part serials", tags: ['epcis'], response: { 200: ruleSchema } },
  }, async () => events.epcRule());

  app.put<{ Body: Record<string, unknown> }>('/api/epcis/epc-rule', {
    config: { permission: 'settings:admin' },
    schema: { summary: 'Set the EPC rule (admin); members left out take their defaults', tags: ['epcis'], body: ruleSchema, response: { 200: ruleSchema } },
  }, async (request) => events.setEpcRule(request.body, actorOf(request)));
}
