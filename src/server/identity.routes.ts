/** /api/register, /api/parts/:serial/fingerprints, /api/verify, /api/identify, /api/evidence/:id. */
import type { FastifyInstance } from 'fastify';
import { PartprintError } from '../core/index.js';
import { actorOf } from './auth.js';
import { captureMetaFrom } from './parts.service.js';
import { captureMetaFields, captureSchema, imageFileField, partSchema, serialParam } from './schemas.js';
import type { ServerConfig, ServerServices } from './services.js';
import { readUpload } from './uploads.js';

const serialField = { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$' } as const;
const boolField = { type: 'string', enum: ['true', 'false'] } as const;

const qualitySchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    reason: { type: ['string', 'null'], description: 'too-small, too-dark, too-bright, no-texture, blurred, too-few-keypoints' },
    message: { type: 'string' },
    metrics: { type: 'object', additionalProperties: true },
  },
} as const;

const candidateSchema = {
  type: 'object',
  properties: {
    serial: { type: 'string' },
    captureId: { type: 'integer' },
    score: { type: 'number', description: 'decision score (scoreKind), S = n_inlier / N_total by default' },
    scoreKind: { type: 'string' },
    inliers: { type: 'integer' },
    shortlistSimilarity: { type: ['number', 'null'] },
    same: { type: 'boolean' },
  },
} as const;

const registerResponse = {
  type: 'object',
  required: ['part', 'capture', 'fingerprint', 'quality'],
  properties: { part: partSchema, capture: captureSchema, fingerprint: { type: 'object', properties: { extractor: { type: 'string' }, keypoints: { type: 'integer' } } }, quality: qualitySchema },
} as const;

const registerFields = {
  type: 'object',
  required: ['serial'],
  additionalProperties: false,
  properties: { serial: serialField, partNumber: { type: 'string', maxLength: 200 }, attributes: { type: 'string', maxLength: 100_000, description: 'JSON object name -> value' }, ...captureMetaFields },
} as const;

function parseAttributes(text: string | undefined): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PartprintError('form field attributes is not valid JSON', { code: 'BAD_INPUT' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new PartprintError('form field attributes must be a JSON object of name -> string value', { code: 'BAD_INPUT' });
  }
  return value as Record<string, string>;
}

export function registerIdentityRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): void {
  const identity = services.identity!;
  const tags = ['identity'];
  const upload = (request: Parameters<typeof readUpload>[0], fieldsSchema: Record<string, unknown>) =>
    readUpload(request, { tmpDir: config.tmpDir, maxBytes: config.limits.maxUploadBytes, maxPixels: config.limits.maxPixels, fieldsSchema });

  app.post(
    '/api/register',
    {
      config: { permission: 'register', openapi: { multipart: { ...registerFields, required: ['serial', 'image'], properties: { image: imageFileField, ...registerFields.properties } } } },
      schema: { summary: 'Register a new part with its first image and fingerprint, in one transaction (409 if the serial exists; 422 if the capture is rejected)', tags, response: { 201: registerResponse } },
    },
    async (request, reply) => {
      const up = await upload(request, registerFields);
      try {
        const f = up.fields;
        const result = await identity.registerNew({ serial: f.serial, partNumber: f.partNumber ?? null, attributes: parseAttributes(f.attributes) }, up.file!, captureMetaFrom(f), actorOf(request));
        return reply.status(201).send({ ...result, capture: { ...result.capture, imageUrl: `/api/captures/${result.capture.id}/image` } });
      } finally {
        await up.cleanup();
      }
    },
  );

  const metaFields = { type: 'object', additionalProperties: false, properties: captureMetaFields } as const;
  app.post<{ Params: { serial: string } }>(
    '/api/parts/:serial/fingerprints',
    {
      config: { permission: 'register', openapi: { multipart: { type: 'object', required: ['image'], properties: { image: imageFileField, ...captureMetaFields } } } },
      schema: { summary: 'Add a fingerprinted capture to a registered part (422 if the capture is rejected)', tags, params: serialParam, response: { 201: registerResponse } },
    },
    async (request, reply) => {
      const up = await upload(request, metaFields);
      try {
        const result = await identity.addFingerprint(request.params.serial, up.file!, captureMetaFrom(up.fields), actorOf(request));
        return reply.status(201).send({ ...result, capture: { ...result.capture, imageUrl: `/api/captures/${result.capture.id}/image` } });
      } finally {
        await up.cleanup();
      }
    },
  );

  const verifyFields = { type: 'object', required: ['serial'], additionalProperties: false, properties: { serial: serialField, evidence: boolField, pixel_size_um: captureMetaFields.pixel_size_um } } as const;
  app.post(
    '/api/verify',
    {
      config: { permission: 'verify', openapi: { multipart: { ...verifyFields, required: ['serial', 'image'], properties: { image: imageFileField, ...verifyFields.properties } } } },
      schema: {
        summary: '1:1: is this image the part with this serial? decision match | no-match | not-registered | rejected',
        tags,
        response: {
          200: {
            type: 'object',
            required: ['serial', 'decision', 'same', 'threshold', 'reason'],
            properties: {
              serial: { type: 'string' },
              decision: { type: 'string', enum: ['match', 'no-match', 'not-registered', 'rejected'] },
              same: { type: 'boolean' },
              threshold: { type: 'number' },
              reason: { type: 'string' },
              quality: { anyOf: [qualitySchema, { type: 'null' }] },
              best: { anyOf: [candidateSchema, { type: 'null' }] },
              evidenceUrl: { type: ['string', 'null'], description: 'PNG: probe and gallery capture side by side with inlier pairs' },
              part: { anyOf: [partSchema, { type: 'null' }] },
              checkEventId: { type: ['integer', 'null'], description: 'the inspected event this check was recorded as in the part\'s history' },
            },
          },
        },
      },
    },
    async (request) => {
      const up = await upload(request, verifyFields);
      try {
        return await identity.verify(up.fields.serial, up.file!, up.fields.evidence !== 'false', actorOf(request), captureMetaFrom({ pixel_size_um: up.fields.pixel_size_um ?? '' }));
      } finally {
        await up.cleanup();
      }
    },
  );

  const identifyFields = { type: 'object', additionalProperties: false, properties: { top: { type: 'string', pattern: '^[1-9][0-9]?$' }, evidence: boolField, pixel_size_um: captureMetaFields.pixel_size_um } } as const;
  app.post(
    '/api/identify',
    {
      config: { permission: 'verify', openapi: { multipart: { ...identifyFields, required: ['image'], properties: { image: imageFileField, ...identifyFields.properties } } } },
      schema: {
        summary: '1:N: which registered part is this? ranked candidates and decision identified | not-registered | rejected',
        tags,
        response: {
          200: {
            type: 'object',
            required: ['decision', 'threshold', 'reason', 'candidates'],
            properties: {
              decision: { type: 'string', enum: ['identified', 'not-registered', 'rejected'] },
              threshold: { type: 'number' },
              reason: { type: 'string' },
              quality: { anyOf: [qualitySchema, { type: 'null' }] },
              best: { anyOf: [candidateSchema, { type: 'null' }] },
              candidates: { type: 'array', items: candidateSchema },
              galleryCaptures: { type: 'integer' },
              evidenceUrl: { type: ['string', 'null'] },
              part: { anyOf: [partSchema, { type: 'null' }] },
              checkEventId: { type: ['integer', 'null'], description: 'the inspected event this check was recorded as in the part\'s history' },
            },
          },
        },
      },
    },
    async (request) => {
      const up = await upload(request, identifyFields);
      try {
        return await identity.identify(up.file!, up.fields.top ? Number(up.fields.top) : 5, up.fields.evidence !== 'false', actorOf(request), captureMetaFrom({ pixel_size_um: up.fields.pixel_size_um ?? '' }));
      } finally {
        await up.cleanup();
      }
    },
  );

  app.get<{ Params: { hash: string } }>(
    '/api/check-photos/:hash',
    {
      config: { permission: 'read', openapi: { produces: ['image/png'] } },
      schema: { summary: 'The photo of a recorded identity check (a preview PNG; its hash is in the check event\'s notes)', tags, params: { type: 'object', required: ['hash'], properties: { hash: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } },
    },
    async (request, reply) => {
      const png = await identity.checkPhoto(request.params.hash);
      return reply.type('image/png').header('cache-control', 'private, max-age=86400, immutable').send(png);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/evidence/:id',
    {
      config: { permission: 'read', openapi: { produces: ['image/png'] } },
      schema: { summary: 'Evidence PNG of a verify/identify answer (kept 30 minutes)', tags, params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{24}$' } } } },
    },
    async (request, reply) => reply.type('image/png').header('cache-control', 'private, max-age=1800').send(identity.evidencePng(request.params.id)),
  );
}
