/** /api/parts and /api/captures: thin routes over PartsService. */
import type { FastifyInstance } from 'fastify';
import { PartprintError } from '../core/index.js';
import { actorOf } from './auth.js';
import { captureMetaFrom } from './parts.service.js';
import { attributesSchema, captureMetaFields, captureSchema, idParam, imageFileField, pageQuery, partSchema, serialParam } from './schemas.js';
import type { ServerConfig, ServerServices } from './services.js';
import { readUpload } from './uploads.js';

const tags = ['parts'];

function withImageUrl<T extends { id: number }>(c: T): T & { imageUrl: string } {
  return { ...c, imageUrl: `/api/captures/${c.id}/image` };
}

/** `attr=name:value` (repeatable) -> { name: value }. */
function parseAttrFilters(attr: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of attr ?? []) {
    const i = a.indexOf(':');
    if (i <= 0) throw new PartprintError(`attr filter "${a}" must look like name:value`, { code: 'BAD_INPUT' });
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

/** A part in a list: the part plus what the list shows about it. */
const partListItemSchema = {
  ...partSchema,
  properties: {
    ...partSchema.properties,
    captureCount: { type: 'integer' },
    eventCount: { type: 'integer', description: 'history events, identity checks included' },
    thumbnailCaptureId: { type: ['integer', 'null'], description: 'first capture; GET /api/captures/{id}/preview' },
  },
} as const;

export const captureFormSchema = {
  type: 'object',
  properties: captureMetaFields,
  additionalProperties: false,
} as const;

export function registerPartsRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): void {
  const { parts } = services;

  app.post<{ Body: { serial: string; partNumber?: string | null; attributes?: Record<string, string> } }>(
    '/api/parts',
    {
      config: { permission: 'parts:write' },
      schema: {
        summary: 'Register a part (serial unique)',
        tags,
        body: {
          type: 'object',
          required: ['serial'],
          additionalProperties: false,
          properties: { serial: { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$' }, partNumber: { type: ['string', 'null'], maxLength: 200 }, attributes: attributesSchema },
        },
        response: { 201: partSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await parts.create(request.body, actorOf(request))),
  );

  app.get<{ Querystring: { limit: number; offset: number; serial?: string; partNumber?: string; attr?: string[] } }>(
    '/api/parts',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'List parts, filtered by attributes (attr=name:value, repeatable), part number or serial substring',
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuery,
            serial: { type: 'string', maxLength: 200, description: 'substring of the serial' },
            partNumber: { type: 'string', maxLength: 200 },
            attr: { type: 'array', items: { type: 'string', pattern: '^[^:]+:.*$' }, maxItems: 20, description: 'attribute filter name:value (all must match)' },
          },
        },
        response: {
          200: { type: 'object', required: ['items', 'total', 'limit', 'offset'], properties: { items: { type: 'array', items: partListItemSchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } } },
        },
      },
    },
    async (request) => parts.list({ ...request.query, attributes: parseAttrFilters(request.query.attr) }),
  );

  app.get<{ Params: { serial: string } }>(
    '/api/parts/:serial',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'A part with its attributes and captures',
        tags,
        params: serialParam,
        response: { 200: { ...partSchema, required: [...partSchema.required, 'captures'], properties: { ...partSchema.properties, captures: { type: 'array', items: captureSchema } } } },
      },
    },
    async (request) => {
      const part = await parts.get(request.params.serial);
      return { ...part, captures: part.captures.map(withImageUrl) };
    },
  );

  app.patch<{ Params: { serial: string }; Body: { attributes: Record<string, string | null> } }>(
    '/api/parts/:serial/attributes',
    {
      config: { permission: 'parts:write' },
      schema: {
        summary: 'Set attributes (a null value removes one; others stay)',
        tags,
        params: serialParam,
        body: {
          type: 'object',
          required: ['attributes'],
          additionalProperties: false,
          properties: { attributes: { type: 'object', additionalProperties: { type: ['string', 'null'], maxLength: 1000 }, propertyNames: { minLength: 1, maxLength: 200 } } },
        },
        response: { 200: partSchema },
      },
    },
    async (request) => parts.setAttributes(request.params.serial, request.body.attributes, actorOf(request)),
  );

  app.post<{ Params: { serial: string } }>(
    '/api/parts/:serial/captures',
    {
      config: { permission: 'parts:write', openapi: { multipart: { type: 'object', required: ['image'], properties: { image: imageFileField, ...captureMetaFields } } } },
      schema: { summary: 'Upload an image of a registered part (multipart; size and pixel limits apply)', tags, params: serialParam, response: { 201: captureSchema } },
    },
    async (request, reply) => {
      const upload = await readUpload(request, { tmpDir: config.tmpDir, maxBytes: config.limits.maxUploadBytes, maxPixels: config.limits.maxPixels, fieldsSchema: captureFormSchema });
      try {
        const capture = await parts.addCapture(request.params.serial, upload.file!, captureMetaFrom(upload.fields), actorOf(request));
        return reply.status(201).send(withImageUrl(capture));
      } finally {
        await upload.cleanup();
      }
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/captures/:id',
    { config: { permission: 'read' }, schema: { summary: 'One capture', tags, params: idParam, response: { 200: captureSchema } } },
    async (request) => withImageUrl(await parts.getCapture(request.params.id)),
  );

  app.get<{ Params: { id: number } }>(
    '/api/captures/:id/image',
    { config: { permission: 'read', openapi: { produces: ['image/png', 'image/tiff', 'image/jpeg', 'image/x-portable-graymap'] } }, schema: { summary: 'The stored image file of a capture', tags, params: idParam } },
    async (request, reply) => {
      const { capture, bytes } = await parts.captureImage(request.params.id);
      const types: Record<string, string> = { png: 'image/png', tiff: 'image/tiff', jpeg: 'image/jpeg', pnm: 'image/x-portable-graymap' };
      return reply.type(types[capture.format] ?? 'application/octet-stream').header('cache-control', 'private, max-age=86400, immutable').send(bytes);
    },
  );

  app.get<{ Params: { id: number }; Querystring: { size?: number } }>(
    '/api/captures/:id/preview',
    {
      config: { permission: 'read', openapi: { produces: ['image/png'] } },
      schema: {
        summary: 'A downscaled greyscale PNG of a capture (thumbnails; any stored format)',
        tags,
        params: idParam,
        querystring: { type: 'object', additionalProperties: false, properties: { size: { type: 'integer', minimum: 16, maximum: 2048, default: 480 } } },
      },
    },
    async (request, reply) => {
      const png = await parts.capturePreview(request.params.id, request.query.size ?? 480);
      return reply.type('image/png').header('cache-control', 'private, max-age=86400, immutable').send(png);
    },
  );
}
