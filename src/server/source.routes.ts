/** /api/models and /api/source/predict: thin routes over SourceService. */
import type { FastifyInstance } from 'fastify';
import { actorOf } from './auth.js';
import { HttpError } from './http-errors.js';
import { jobSchema } from './jobs.routes.js';
import { imageFileField, serialParam } from './schemas.js';
import type { ServerConfig, ServerServices } from './services.js';
import { readUpload } from './uploads.js';

const modelSchema = {
  type: 'object',
  required: ['name', 'attribute', 'classes', 'active'],
  properties: {
    name: { type: 'string' },
    attribute: { type: 'string' },
    classes: { type: 'array', items: { type: 'string' } },
    active: { type: 'boolean' },
    dir: { type: 'string' },
    createdAt: { type: 'string' },
    architecture: { type: 'string' },
    metrics: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

const predictFields = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string', maxLength: 200, description: 'model name (default: the active model of attribute)' },
    attribute: { type: 'string', maxLength: 200, description: 'e.g. machine, tray_position' },
    rois: { type: 'string', pattern: '^[1-9][0-9]{0,2}$', description: 'number of ROIs voted (default 16)' },
    seed: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'ROI sampling seed (default 1)' },
  },
} as const;

export function registerSourceRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): void {
  const source = services.source!;
  const tags = ['source'];

  app.get<{ Querystring: { attribute?: string } }>(
    '/api/models',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Source models (one active per attribute)',
        tags,
        querystring: { type: 'object', additionalProperties: false, properties: { attribute: { type: 'string', maxLength: 200 } } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: modelSchema } } } },
      },
    },
    async (request) => ({ items: await source.list(request.query.attribute) }),
  );

  app.post<{ Body: { dir: string; activate?: boolean } }>(
    '/api/models',
    {
      config: { permission: 'models:write' },
      schema: {
        summary: 'Register a model folder on the server (model.onnx + model.json)',
        tags,
        body: { type: 'object', required: ['dir'], additionalProperties: false, properties: { dir: { type: 'string', minLength: 1, maxLength: 1000 }, activate: { type: 'boolean', default: false } } },
        response: { 201: modelSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await source.register(request.body.dir, request.body.activate ?? false, actorOf(request))),
  );

  app.post<{ Params: { name: string } }>(
    '/api/models/:name/activate',
    {
      config: { permission: 'models:write' },
      schema: { summary: 'Make this model the active one of its attribute', tags, params: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } }, response: { 200: modelSchema } },
    },
    async (request) => source.activate(request.params.name, actorOf(request)),
  );

  app.post<{ Body: { model: string; dataset: string; split?: string; k?: number } }>(
    '/api/jobs/evaluate-source',
    {
      config: { permission: 'jobs:admin' },
      schema: {
        summary: 'Evaluate a source model on an exported dataset folder on the server (partprint source dataset): accuracy, per class, confusion matrix, accuracy vs ROIs; confusionSvg and accuracyVsRoisSvg in the result',
        tags: ['jobs', 'source'],
        body: {
          type: 'object',
          required: ['model', 'dataset'],
          additionalProperties: false,
          properties: { model: { type: 'string', minLength: 1, maxLength: 200 }, dataset: { type: 'string', minLength: 1, maxLength: 1000 }, split: { type: 'string', enum: ['train', 'val', 'test', 'all'], default: 'test' }, k: { type: 'integer', minimum: 1, maximum: 256, default: 16 } },
        },
        response: { 202: jobSchema },
      },
    },
    async (request, reply) => {
      const job = await services.jobs.submit('evaluate-source', { ...request.body }, actorOf(request));
      return reply.status(202).header('location', `/api/jobs/${job.id}`).send(job);
    },
  );

  const predictionSchema = {
    type: 'object',
    required: ['model', 'label', 'bestClass', 'unknown', 'confidence', 'distribution', 'rois'],
    properties: {
      model: { type: 'object', properties: { name: { type: 'string' }, attribute: { type: 'string' }, classes: { type: 'array', items: { type: 'string' } } } },
      attribute: { type: 'string' },
      label: { type: ['string', 'null'], description: 'null when the open-set rule says: unknown source' },
      bestClass: { type: 'string' },
      unknown: { type: 'boolean' },
      confidence: { type: 'number' },
      voteShare: { type: 'number' },
      maxLogit: { type: 'number', description: 'mean over the ROIs of the winning class\'s raw logit (open-set score "max-logit")' },
      energy: { type: 'number', description: 'mean over the ROIs of logsumexp of the logits (open-set score "energy"; higher = more like a known class)' },
      logitCosine: { type: 'number', description: 'mean over the ROIs of the winner\'s logit / L2 norm of the logits (open-set score "logit-cosine")' },
      distribution: { type: 'object', additionalProperties: { type: 'number' }, description: 'class -> mean softmax over the ROIs' },
      rois: { type: 'integer' },
      seed: { type: 'integer' },
      boxes: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'ROI boxes in the (downscaled) image' },
      confidenceLevel: { type: 'string', enum: ['high', 'low'], description: 'low when the model card\'s input check finds the part unlike its training parts (reasons in lowConfidenceReasons)' },
      lowConfidenceReasons: { type: 'array', items: { type: 'string' } },
      inputStats: { type: 'object', properties: { mean: { type: 'number' }, logContrast: { type: 'number' }, texture: { type: 'array', items: { type: 'number' } } }, description: 'ROI brightness and log contrast before normalisation, and the texture statistics of the input check (TEXTURE_FEATURES order)' },
      calibratedConfidence: { type: ['number', 'null'], description: 'winner probability after the card\'s temperature scaling' },
    },
  } as const;

  app.get<{ Params: { serial: string }; Querystring: { attribute?: string } }>(
    '/api/parts/:serial/source',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Source prediction for a registered part, from its first capture, by the active model (of attribute); 404 when the part has no capture or no model is active',
        tags,
        params: serialParam,
        querystring: { type: 'object', additionalProperties: false, properties: { attribute: predictFields.properties.attribute } },
        response: { 200: { ...predictionSchema, properties: { ...predictionSchema.properties, captureId: { type: 'integer' } } } },
      },
    },
    async (request) => {
      const part = await services.parts.get(request.params.serial);
      const capture = part.captures[0];
      if (!capture) throw new HttpError(404, 'NOT_FOUND', `part "${part.serial}" has no capture to predict its source from`);
      const file = { path: services.registry.blobs.path(capture.blobHash), filename: `capture ${capture.id} of ${part.serial}.${capture.format}` };
      return { ...(await source.predict(file, { attribute: request.query.attribute, k: 16, seed: 1 })), captureId: capture.id };
    },
  );

  app.post(
    '/api/source/predict',
    {
      config: { permission: 'verify', openapi: { multipart: { type: 'object', required: ['image'], properties: { image: imageFileField, ...predictFields.properties } } } },
      schema: { summary: 'Predict the source (machine, process, position, ...) of a part from an image: class distribution and the model used', tags, response: { 200: predictionSchema } },
    },
    async (request) => {
      const upload = await readUpload(request, { tmpDir: config.tmpDir, maxBytes: config.limits.maxUploadBytes, maxPixels: config.limits.maxPixels, fieldsSchema: predictFields });
      try {
        const f = upload.fields;
        return await source.predict(upload.file!, { model: f.model, attribute: f.attribute, k: f.rois ? Number(f.rois) : 16, seed: f.seed ? Number(f.seed) : 1 });
      } finally {
        await upload.cleanup();
      }
    },
  );
}
