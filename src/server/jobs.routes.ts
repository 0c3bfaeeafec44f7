/** /api/jobs: list, status, and progress as Server-Sent Events. Submitting is per kind (other groups). */
import type { FastifyInstance } from 'fastify';
import { actorOf } from './auth.js';
import type { Job } from './jobs.repository.js';
import { idParam, pageQuery } from './schemas.js';
import { readBulkUpload } from './bulk-upload.js';
import { CSV_NAME } from './import.service.js';
import type { ServerConfig, ServerServices } from './services.js';

export const jobSchema = {
  type: 'object',
  required: ['id', 'kind', 'status', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'interrupted'], description: 'interrupted: the server stopped before the job finished (error says what that means for the job)' },
    params: { type: 'object', additionalProperties: true },
    progress: { type: ['object', 'null'], properties: { phase: { type: 'string' }, done: { type: 'number' }, total: { type: 'number' }, detail: { type: 'string' } } },
    result: {},
    error: { type: ['string', 'null'] },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    startedAt: { type: ['string', 'null'] },
    finishedAt: { type: ['string', 'null'] },
  },
} as const;

const tags = ['jobs'];

/** Files (the CSV and its images) one bulk import upload may carry; README "Limits". */
export const MAX_BULK_FILES = 10_000;

function finished(job: Job): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'interrupted';
}

export function registerJobsRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): void {
  const { jobs } = services;

  app.post(
    '/api/jobs/import-parts',
    {
      config: {
        permission: 'parts:write',
        openapi: {
          multipart: {
            type: 'object',
            required: ['csv'],
            properties: {
              csv: { type: 'string', format: 'binary', description: 'Parts CSV (header: serial, part_number, image, capture metadata, other columns = attributes)' },
              images: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'Image files, named as in the CSV image column (relative paths)' },
              dryRun: { type: 'string', enum: ['true', 'false'] },
            },
          },
        },
      },
      schema: { summary: `Bulk import of parts from a CSV (+ images) as a background job; all rows or none. At most ${MAX_BULK_FILES} files per upload, each within the upload size limit`, tags, response: { 202: jobSchema } },
    },
    async (request, reply) => {
      const upload = await readBulkUpload(request, {
        rootDir: config.importsDir,
        maxBytes: config.limits.maxUploadBytes,
        maxFiles: MAX_BULK_FILES,
        fileFields: { csv: CSV_NAME, images: null },
      });
      const dryRun = upload.fields.dryRun === 'true';
      const job = await services.importer.submit(upload, dryRun, actorOf(request));
      return reply.status(202).header('location', `/api/jobs/${job.id}`).send(job);
    },
  );

  if (services.identity) {
    app.post<{ Body: { targetFmr?: number; maxImpostor?: number; apply?: boolean } }>(
      '/api/jobs/evaluate-identity',
      {
        config: { permission: 'jobs:admin' },
        // The body is optional: no body means the defaults.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          summary: 'Evaluate/calibrate identification on the registry (needs 2+ parts with 2+ captures; genuine pairs: captures of one part; impostor pairs: across parts): EER, FNMR at FMR 1e-2/1e-3/1e-4, threshold for targetFmr (applied when apply=true), DET and histogram SVGs in the result',
          tags,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { targetFmr: { type: 'number', exclusiveMinimum: 0, maximum: 0.5 }, maxImpostor: { type: 'integer', minimum: 10, maximum: 1_000_000 }, apply: { type: 'boolean', default: false } },
          },
          response: { 202: jobSchema },
        },
      },
      async (request, reply) => {
        const job = await jobs.submit('evaluate-identity', { ...(request.body ?? {}) }, actorOf(request));
        return reply.status(202).header('location', `/api/jobs/${job.id}`).send(job);
      },
    );
    app.post(
      '/api/jobs/rebuild-index',
      {
        config: { permission: 'jobs:admin' },
        schema: { summary: 'Rebuild the identification shortlist index from the database (re-extracting stale fingerprints)', tags, response: { 202: jobSchema } },
      },
      async (request, reply) => {
        const job = await jobs.submit('rebuild-index', {}, actorOf(request));
        return reply.status(202).header('location', `/api/jobs/${job.id}`).send(job);
      },
    );
  }

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/api/jobs',
    {
      config: { permission: 'read' },
      schema: { summary: 'Background jobs, newest first', tags, querystring: { type: 'object', additionalProperties: false, properties: pageQuery }, response: { 200: { type: 'object', properties: { items: { type: 'array', items: jobSchema }, total: { type: 'integer' } } } } },
    },
    async (request) => jobs.list(request.query.limit, request.query.offset),
  );

  app.get<{ Params: { id: number } }>(
    '/api/jobs/:id',
    { config: { permission: 'read' }, schema: { summary: 'Status, progress and result of a job', tags, params: idParam, response: { 200: jobSchema } } },
    async (request) => jobs.get(request.params.id),
  );

  app.get<{ Params: { id: number } }>(
    '/api/jobs/:id/events',
    {
      config: { permission: 'read', openapi: { produces: ['text/event-stream'] } },
      schema: { summary: 'Progress as Server-Sent Events: event "job" with the job JSON after each change; the stream ends when the job finishes', tags, params: idParam },
    },
    async (request, reply) => {
      const first = await jobs.get(request.params.id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let ended = false;
      const send = (job: Job) => {
        if (ended) return;
        res.write(`event: job\nid: ${Date.now()}\ndata: ${JSON.stringify(job)}\n\n`);
        if (finished(job)) end();
      };
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const unsubscribe = jobs.subscribe(first.id, send);
      function end() {
        if (ended) return;
        ended = true;
        clearInterval(keepAlive);
        unsubscribe();
        res.end();
      }
      request.raw.on('close', end);
      // Re-read after subscribing so no change between the first read and the subscription is lost.
      send(await jobs.get(first.id));
    },
  );
}
