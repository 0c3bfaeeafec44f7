/** /api/plan-checks: check an assembly against an inspection plan (one photo per position), read stored checks and reports. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PartprintError } from '../core/index.js';
import type { PositionObservation } from '../plan/index.js';
import { actorOf, principalOf } from './auth.js';
import { HttpError } from './http-errors.js';
import { anyObject } from './schemas.js';
import type { ServerConfig, ServerServices } from './services.js';
import { roleAllows } from './roles.js';

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

interface CheckForm {
  fields: Record<string, string>;
  images: Record<string, { bytes: Uint8Array; name: string }>;
}

/** Reads the form: text fields, and one image per position (the file field's name is the position id). */
async function readCheckForm(request: FastifyRequest, maxBytes: number): Promise<CheckForm> {
  if (!request.isMultipart()) throw new PartprintError('expected a multipart/form-data body', { code: 'UNSUPPORTED' });
  const fields: Record<string, string> = {};
  const images: CheckForm['images'] = {};
  // More files (one per position) and a larger text field (the plan) than the app-wide defaults.
  for await (const part of request.parts({ limits: { files: 1000, fileSize: maxBytes, fieldSize: 2 ** 20, parts: 1100, fields: 50 } })) {
    if (part.type === 'file') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw new PartprintError(`${part.filename || part.fieldname}: upload is larger than the limit of ${maxBytes} bytes`, { code: 'TOO_LARGE' });
        chunks.push(chunk as Buffer);
      }
      if (part.file.truncated) throw new PartprintError(`${part.filename || part.fieldname}: upload is larger than the limit`, { code: 'TOO_LARGE' });
      if (images[part.fieldname]) throw new PartprintError(`two photos for position ${part.fieldname}`, { code: 'BAD_INPUT' });
      images[part.fieldname] = { bytes: new Uint8Array(Buffer.concat(chunks)), name: part.filename || `${part.fieldname}.png` };
    } else fields[part.fieldname] = String(part.value);
  }
  return { fields, images };
}

function parseMeasurements(text: string | undefined): Record<string, { torqueNm?: number; inspection?: 'pass' | 'fail' }> {
  if (text === undefined || text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new PartprintError('form field measurements is not valid JSON', { code: 'BAD_INPUT' });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PartprintError('form field measurements must be a JSON object: position -> { torqueNm, inspection }', { code: 'BAD_INPUT' });
  const out: Record<string, { torqueNm?: number; inspection?: 'pass' | 'fail' }> = {};
  for (const [pos, m] of Object.entries(v as Record<string, unknown>)) {
    if (typeof m !== 'object' || m === null) throw new PartprintError(`measurements.${pos} must be an object`, { code: 'BAD_INPUT' });
    const { torqueNm, inspection, ...rest } = m as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new PartprintError(`measurements.${pos}: unknown member(s) ${Object.keys(rest).join(', ')} (allowed: torqueNm, inspection)`, { code: 'BAD_INPUT' });
    if (torqueNm !== undefined && (typeof torqueNm !== 'number' || !(torqueNm > 0))) throw new PartprintError(`measurements.${pos}.torqueNm must be a number > 0`, { code: 'BAD_INPUT' });
    if (inspection !== undefined && inspection !== 'pass' && inspection !== 'fail') throw new PartprintError(`measurements.${pos}.inspection must be pass or fail`, { code: 'BAD_INPUT' });
    out[pos] = { torqueNm: torqueNm as number | undefined, inspection: inspection as 'pass' | 'fail' | undefined };
  }
  return out;
}

export function registerPlanRoutes(app: FastifyInstance, services: ServerServices, config: ServerConfig): void {
  const plans = services.plan!;
  const tags = ['plans'];

  app.post(
    '/api/plan-checks',
    {
      config: {
        permission: 'verify',
        openapi: {
          multipart: {
            type: 'object',
            required: ['assembly', 'plan'],
            properties: {
              assembly: { type: 'string', description: 'serial of the assembly (created with the plan\'s assembly type when new)' },
              plan: { type: 'string', description: 'the inspection plan, JSON or YAML (schemas/inspection-plan.schema.json)' },
              measurements: { type: 'string', description: 'JSON: position -> { torqueNm, inspection: pass|fail }' },
              actor: { type: 'string' },
              place: { type: 'string' },
              occurredAt: { type: 'string', description: 'ISO 8601 with an offset; default now' },
              '<position id>': { type: 'string', format: 'binary', description: 'one photo per position; the file field is named after the position (P1, P2, ...)' },
            },
          },
        },
      },
      schema: { summary: 'Check an assembly against an inspection plan: identify the part at each position (1:N), apply its rules, store photos, report and events (inspectors and admins)', tags, response: { 201: anyObject } },
    },
    async (request, reply) => {
      if (!roleAllows(principalOf(request).role, 'events:write')) throw new HttpError(403, 'FORBIDDEN', 'a plan check records events: it needs a key that may identify and write events (inspector or admin)');
      const form = await readCheckForm(request, config.limits.maxUploadBytes);
      const f = form.fields;
      if (!f.assembly || !f.assembly.trim()) throw new PartprintError('form field assembly is missing', { code: 'BAD_INPUT' });
      if (!f.plan) throw new PartprintError('form field plan is missing', { code: 'BAD_INPUT' });
      const observations: Record<string, PositionObservation> = {};
      for (const [pos, m] of Object.entries(parseMeasurements(f.measurements))) observations[pos] = { ...m };
      for (const [pos, img] of Object.entries(form.images)) observations[pos] = { ...observations[pos], image: img };
      const report = await plans.check({ assembly: f.assembly.trim(), planText: f.plan, observations, actor: f.actor ?? null, place: f.place ?? null, occurredAt: f.occurredAt }, actorOf(request));
      return reply.status(201).send({ ...report, reportUrl: `/api/plan-checks/${report.checkId}/report.html` });
    },
  );

  app.get<{ Querystring: { assembly?: string } }>(
    '/api/plan-checks',
    {
      config: { permission: 'read' },
      schema: { summary: 'Stored checks, newest first', tags, querystring: { type: 'object', additionalProperties: false, properties: { assembly: { type: 'string', maxLength: 200 } } }, response: { 200: { type: 'object', properties: { items: { type: 'array', items: anyObject } } } } },
    },
    async (request) => ({ items: await plans.list(request.query.assembly) }),
  );

  app.get<{ Params: { id: number } }>(
    '/api/plan-checks/:id',
    { config: { permission: 'read' }, schema: { summary: 'A stored check\'s report (JSON)', tags, params: idParam, response: { 200: anyObject } } },
    async (request) => plans.get(request.params.id),
  );

  app.get<{ Params: { id: number } }>(
    '/api/plan-checks/:id/report.html',
    { config: { permission: 'read', openapi: { produces: ['text/html'] } }, schema: { summary: 'A stored check\'s report as a printable HTML page', tags, params: idParam } },
    async (request, reply) => reply.type('text/html; charset=utf-8').send(await plans.html(request.params.id)),
  );

  app.get<{ Params: { id: number; position: string } }>(
    '/api/plan-checks/:id/positions/:position/image',
    {
      config: { permission: 'read', openapi: { produces: ['image/*'] } },
      schema: { summary: 'The photo taken at one position of a check', tags, params: { type: 'object', required: ['id', 'position'], properties: { id: { type: 'integer', minimum: 1 }, position: { type: 'string', maxLength: 100 } } } },
    },
    async (request, reply) => {
      const img = await plans.image(request.params.id, request.params.position);
      const type = img.bytes.subarray(1, 4).toString() === 'PNG' ? 'image/png' : img.bytes[0] === 0xff && img.bytes[1] === 0xd8 ? 'image/jpeg' : 'application/octet-stream';
      return reply.type(type).send(img.bytes);
    },
  );
}
