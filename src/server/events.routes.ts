/** /api/parts/:serial/events, /api/epcis/*, /api/analytics/events: thin routes over EventsService. */
import type { FastifyInstance } from 'fastify';
import { EVENT_TYPES, type NewEvent } from '../trace/index.js';
import { actorOf, principalOf } from './auth.js';
import { anyObject, serialParam } from './schemas.js';
import type { ServerServices } from './services.js';

const eventFields = {
  type: 'object',
  additionalProperties: false,
  description: 'Typed fields: installed {torqueNm, position}; inspected {result: pass|fail, measurements: {name: {value, unit}}}; observed {measurements}; packed, unpacked {parent: serial or EPC}',
  properties: {
    torqueNm: { type: 'number', exclusiveMinimum: 0 },
    position: { type: 'string', maxLength: 500 },
    result: { type: 'string', enum: ['pass', 'fail'] },
    measurements: { type: 'object', additionalProperties: { type: 'object', required: ['value', 'unit'], additionalProperties: false, properties: { value: { type: 'number' }, unit: { type: 'string', maxLength: 50 } } } },
    parent: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

const eventSchema = {
  type: 'object',
  required: ['id', 'serial', 'type', 'occurredAt', 'recordedAt', 'fields'],
  properties: {
    id: { type: 'integer' },
    partId: { type: 'integer' },
    serial: { type: 'string' },
    type: { type: 'string', enum: [...EVENT_TYPES] },
    occurredAt: { type: 'string' },
    timeZoneOffset: { type: 'string' },
    recordedAt: { type: 'string' },
    place: { type: ['string', 'null'] },
    actor: { type: ['string', 'null'] },
    notes: { type: ['string', 'null'] },
    fields: { type: 'object', additionalProperties: true },
    correctsEventId: { type: ['integer', 'null'] },
    recordedBy: { type: ['string', 'null'] },
    eventId: { type: 'string' },
    correctedBy: { type: ['integer', 'null'] },
    effective: { type: 'boolean' },
  },
} as const;

const timeFilter = {
  type: { type: 'string', enum: [...EVENT_TYPES] },
  since: { type: 'string', maxLength: 40, description: 'ISO 8601, inclusive' },
  until: { type: 'string', maxLength: 40, description: 'ISO 8601, exclusive' },
} as const;

export function registerEventsRoutes(app: FastifyInstance, services: ServerServices): void {
  const events = services.events!;
  const tags = ['events'];

  app.post<{ Params: { serial: string }; Body: NewEvent }>(
    '/api/parts/:serial/events',
    {
      config: { permission: 'events:write' },
      schema: {
        summary: 'Record an event in a part\'s history (inspectors: "inspected" events only); recordedBy is the API key',
        tags,
        params: serialParam,
        body: {
          type: 'object',
          required: ['type', 'occurredAt'],
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: [...EVENT_TYPES] },
            occurredAt: { type: 'string', minLength: 10, maxLength: 40, description: 'ISO 8601 with offset, e.g. 2026-11-21T10:38:00+01:00' },
            place: { type: ['string', 'null'], maxLength: 500 },
            actor: { type: ['string', 'null'], maxLength: 500, description: 'who did the work (default: none)' },
            notes: { type: ['string', 'null'], maxLength: 10000 },
            fields: eventFields,
            correctsEventId: { type: ['integer', 'null'], minimum: 1, description: 'id of an earlier event of this part that this one corrects' },
          },
        },
        response: { 201: eventSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await events.append(request.params.serial, request.body, principalOf(request), actorOf(request))),
  );

  app.get<{ Params: { serial: string }; Querystring: { type?: string; since?: string; until?: string; effectiveOnly?: boolean } }>(
    '/api/parts/:serial/events',
    {
      config: { permission: 'read' },
      schema: {
        summary: "A part's history, oldest first, with correction links",
        tags,
        params: serialParam,
        querystring: { type: 'object', additionalProperties: false, properties: { ...timeFilter, effectiveOnly: { type: 'boolean', default: false } } },
        response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: eventSchema } } } },
      },
    },
    async (request) => ({ items: await events.history(request.params.serial, request.query) }),
  );

  app.get<{ Querystring: { serial?: string; type?: string; since?: string; until?: string } }>(
    '/api/epcis/events',
    {
      config: { permission: 'read', openapi: { produces: ['application/ld+json'] } },
      schema: {
        summary: 'EPCIS 2.0 query: stored events as an EPCISDocument (JSON-LD)',
        tags: ['epcis'],
        querystring: { type: 'object', additionalProperties: false, properties: { serial: { type: 'string', maxLength: 200 }, ...timeFilter } },
      },
    },
    async (request, reply) => reply.type('application/ld+json').send(JSON.stringify(await events.exportEpcis(request.query))),
  );

  app.post<{ Body: Record<string, unknown>; Querystring: { createParts: boolean; skipUnsupported: boolean } }>(
    '/api/epcis/capture',
    {
      config: { permission: 'parts:write' },
      schema: {
        summary: "EPCIS 2.0 import (partprint's own route; the standard binding is /epcis/capture): checked against GS1's schema and the CBV (400), then all or none; 422 with the report when any event is rejected",
        tags: ['epcis'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            createParts: { type: 'boolean', default: false },
            skipUnsupported: { type: 'boolean', default: false, description: 'skip (and list in `skipped`) events of types partprint does not store, instead of refusing the document' },
          },
        },
        body: { type: 'object', required: ['type'], additionalProperties: true, properties: { type: { type: 'string', enum: ['EPCISDocument', 'EPCISQueryDocument'] } } },
        response: {
          201: {
            type: 'object',
            properties: {
              committed: { type: 'boolean' },
              events: { type: 'integer' },
              imported: { type: 'integer' },
              alreadyPresent: { type: 'integer' },
              createdParts: { type: 'array', items: { type: 'string' } },
              unknownParts: { type: 'array', items: { type: 'string' } },
              rejected: { type: 'array', items: anyObject },
              skipped: { type: 'array', items: anyObject },
              validation: { type: 'string' },
              warnings: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async (request, reply) => reply.status(201).send(await events.importEpcis(request.body, request.query.createParts, actorOf(request), request.query.skipUnsupported)),
  );

  app.get<{ Querystring: { groupBy: string; type?: string; since?: string; until?: string; where?: string[]; effectiveOnly: boolean } }>(
    '/api/analytics/events',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Events counted per group, largest first: e.g. groupBy=attribute:tray_position&type=inspected&where=result:fail',
        tags: ['analytics'],
        querystring: {
          type: 'object',
          required: ['groupBy'],
          additionalProperties: false,
          properties: {
            groupBy: { type: 'string', minLength: 1, maxLength: 200, description: 'attribute:NAME | field:NAME (torqueNm, position, result) | partNumber | type' },
            ...timeFilter,
            where: { type: 'array', maxItems: 5, items: { type: 'string', pattern: '^[A-Za-z]+:.*$' }, description: 'field:value (repeatable), e.g. result:fail' },
            effectiveOnly: { type: 'boolean', default: true },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['groupBy', 'rows'],
            properties: { groupBy: { type: 'string' }, rows: { type: 'array', items: { type: 'object', properties: { key: { type: ['string', 'null'] }, events: { type: 'integer' }, parts: { type: 'integer' } } } } },
          },
        },
      },
    },
    async (request) => events.analytics(request.query),
  );
}
