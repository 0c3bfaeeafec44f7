/** /api/line: folder watchers of the production line (admins), images delivered over HTTP (operators), the journal's counts. */
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { PartprintError } from '../core/index.js';
import { actorOf } from './auth.js';
import { anyObject } from './schemas.js';
import type { ServerConfig, ServerServices } from './services.js';
import { readUpload } from './uploads.js';

const watcherSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    inbox: { type: 'string' },
    pattern: { type: ['string', 'null'] },
    running: { type: 'boolean' },
    error: { type: ['string', 'null'] },
    stats: anyObject,
    last: { type: 'array', items: anyObject },
  },
} as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

const deliverFields = {
  type: 'object',
  required: ['serial'],
  additionalProperties: false,
  properties: {
    serial: { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$' },
    partNumber: { type: 'string', maxLength: 200 },
    face: { type: 'string', maxLength: 200 },
    device: { type: 'string', maxLength: 200 },
    lighting: { type: 'string', maxLength: 200 },
    operator: { type: 'string', maxLength: 200 },
    pixelSizeUm: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
    attributes: { type: 'string', maxLength: 100_000, description: 'JSON object name -> value' },
    watcher: { type: 'string', pattern: '^[1-9][0-9]*$' },
  },
} as const;

export function registerLineRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): void {
  const line = services.line!;
  const tags = ['line'];

  app.post<{ Body: { inbox: string; pattern?: string | null; sidecar?: 'auto' | 'required' | 'none'; mesFeed?: string; settleMs?: number; pollMs?: number; partNumber?: string; doneDir?: string; rejectedDir?: string } }>(
    '/api/line/watchers',
    {
      config: { permission: 'jobs:admin' },
      schema: {
        summary: 'Start watching a folder on the server that a line camera writes into (admins): each complete image is registered once, then moved to done/ or rejected/',
        tags,
        body: {
          type: 'object',
          required: ['inbox'],
          additionalProperties: false,
          properties: {
            inbox: { type: 'string', minLength: 1, maxLength: 1000 },
            pattern: { type: ['string', 'null'], maxLength: 500, description: 'file-name pattern, default {serial}.*; null: nothing from the name' },
            sidecar: { type: 'string', enum: ['auto', 'required', 'none'] },
            mesFeed: { type: 'string', maxLength: 1000 },
            settleMs: { type: 'integer', minimum: 0, maximum: 600_000 },
            pollMs: { type: 'integer', minimum: 10, maximum: 60_000 },
            partNumber: { type: 'string', maxLength: 200 },
            doneDir: { type: 'string', maxLength: 1000 },
            rejectedDir: { type: 'string', maxLength: 1000 },
          },
        },
        response: { 201: watcherSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await line.start(request.body, actorOf(request))),
  );

  app.get('/api/line/watchers', { config: { permission: 'read' }, schema: { summary: 'Line watchers with live counts and rates', tags, response: { 200: { type: 'object', properties: { items: { type: 'array', items: watcherSchema }, journal: anyObject } } } } }, async () => ({
    items: line.list(),
    journal: await line.journal(),
  }));

  app.get<{ Params: { id: number } }>('/api/line/watchers/:id', { config: { permission: 'read' }, schema: { summary: 'One line watcher', tags, params: idParam, response: { 200: watcherSchema } } }, async (request) => line.status(request.params.id));

  app.delete<{ Params: { id: number } }>('/api/line/watchers/:id', { config: { permission: 'jobs:admin' }, schema: { summary: 'Stop a line watcher (after the image in hand)', tags, params: idParam, response: { 200: watcherSchema } } }, async (request) => line.stop(request.params.id, actorOf(request)));

  app.post(
    '/api/line/images',
    {
      config: { permission: 'register', openapi: { multipart: { ...deliverFields, required: ['serial', 'image'], properties: { image: { type: 'string', format: 'binary' }, ...deliverFields.properties } } } },
      schema: { summary: 'Deliver one line image over HTTP: written into the running watcher\'s folder (with its data as a sidecar) and registered like a camera\'s (202; the outcome lands in the watcher\'s counts and done/ or rejected/)', tags, response: { 202: { type: 'object', properties: { watcher: { type: 'integer' }, file: { type: 'string' } } } } },
    },
    async (request, reply) => {
      const up = await readUpload(request, { tmpDir: config.tmpDir, maxBytes: config.limits.maxUploadBytes, maxPixels: config.limits.maxPixels, fieldsSchema: deliverFields });
      try {
        const { watcher, attributes, pixelSizeUm, ...rest } = up.fields;
        let attrs: unknown = {};
        if (attributes) {
          try {
            attrs = JSON.parse(attributes);
          } catch {
            attrs = null;
          }
          if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw new PartprintError('form field attributes must be a JSON object', { code: 'BAD_INPUT' });
        }
        const data = { ...rest, ...(pixelSizeUm ? { pixelSizeUm: Number(pixelSizeUm) } : {}), attributes: attrs };
        const out = await line.deliver(watcher ? Number(watcher) : undefined, { bytes: new Uint8Array(await readFile(up.file!.path)), filename: up.file!.filename }, data);
        return reply.status(202).send(out);
      } finally {
        await up.cleanup();
      }
    },
  );
}
