/**
 * The EPCIS 2.0 REST binding (the subset partprint serves), under /epcis, behind the same API
 * keys and roles as /api: OPTIONS / (version discovery), POST /capture (202 + capture job),
 * GET /capture[/{captureID}], GET /events[/{eventType}] (perPage / nextPageToken),
 * GET /epcs/{epc}/events. Errors are RFC 7807 problems (application/problem+json) with EPCIS
 * exception types.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from './auth.js';
import { type CaptureErrorBehaviour, decodePageToken, encodePageToken, type EpcisBindingService, EpcisProblem, toProblem } from './epcis-binding.service.js';
import { mapError } from './http-errors.js';
import { API_VERSION } from './version.js';

export const EPCIS_PREFIX = '/epcis';
export const EPCIS_VERSION = '2.0.0';
export const CBV_VERSION = '2.0.0';

const EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'] as const;
const MAX_PER_PAGE = 1000;
const DEFAULT_PER_PAGE = 100;

/** Headers every binding response carries. */
const VERSION_HEADERS = { 'gs1-epcis-version': EPCIS_VERSION, 'gs1-cbv-version': CBV_VERSION } as const;

const discoveryHeaders = {
  ...VERSION_HEADERS,
  'gs1-epcis-min': EPCIS_VERSION,
  'gs1-epcis-max': EPCIS_VERSION,
  'gs1-cbv-min': CBV_VERSION,
  'gs1-cbv-max': CBV_VERSION,
  'gs1-vendor-version': `partprint-${API_VERSION}`,
  // EPCs are answered as they were captured (URNs stay URNs, Digital Links stay Digital Links).
  'gs1-epc-format': 'No_Preference',
  'gs1-cbv-xml-format': 'No_Preference',
  'gs1-extensions': 'pp=urn:partprint:epcis:',
  allow: 'OPTIONS, GET, POST',
};

const tags = ['epcis-rest'];

const queryParams = {
  type: 'object',
  additionalProperties: false,
  properties: {
    perPage: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE, description: `events per page (at most ${MAX_PER_PAGE})` },
    nextPageToken: { type: 'string', maxLength: 500, description: 'from the Link header of the previous page' },
    GE_eventTime: { type: 'string', maxLength: 40, description: 'events at or after this time (ISO 8601)' },
    LT_eventTime: { type: 'string', maxLength: 40, description: 'events before this time (ISO 8601)' },
  },
} as const;

interface Query {
  perPage: number;
  nextPageToken?: string;
  GE_eventTime?: string;
  LT_eventTime?: string;
}

function problemReply(reply: FastifyReply, request: FastifyRequest, err: unknown) {
  const p = toProblem(err, mapError(err), request.url.split('?')[0]);
  return reply.status(p.status).headers({ ...p.headers, ...VERSION_HEADERS }).type('application/problem+json').send(JSON.stringify(p.body));
}

export async function registerEpcisBindingRoutes(app: FastifyInstance, binding: EpcisBindingService): Promise<void> {
  await app.register(async (epcis) => {
    epcis.setErrorHandler((err, request, reply) => problemReply(reply, request, err));
    epcis.setNotFoundHandler((request, reply) =>
      problemReply(reply, request, new EpcisProblem(404, 'epcisException:NoSuchResourceException', 'No such resource', `no route ${request.method} ${request.url.split('?')[0]}`)));
    epcis.addHook('onRequest', async (request) => {
      const asked = request.headers['gs1-epcis-version'];
      if (typeof asked === 'string' && !asked.startsWith('2.')) {
        throw new EpcisProblem(406, 'epcisException:NotAcceptableException', 'EPCIS version not supported', `GS1-EPCIS-Version ${asked} is not served here (${EPCIS_VERSION} is)`);
      }
    });
    epcis.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(VERSION_HEADERS);
      return payload;
    });

    // /epcis and /epcis/ both answer; the OpenAPI document lists one.
    for (const [trailing, hide] of [['no-slash', false], ['slash', true]] as const) {
      epcis.route({
        method: 'OPTIONS',
        url: '/',
        prefixTrailingSlash: trailing,
        config: { permission: 'read', openapi: { options: true, hide } },
        schema: { summary: 'EPCIS 2.0 discovery: supported versions and formats in the GS1-* response headers', tags },
        handler: async (_request, reply) => reply.status(204).headers(discoveryHeaders).send(),
      });
    }

    epcis.post<{ Body: unknown; Querystring: { createParts: boolean } }>('/capture', {
      config: { permission: 'parts:write' },
      schema: {
        summary: "EPCIS 2.0 capture: checks the EPCISDocument (GS1's schema, the CBV) and answers 202 with the capture job in Location",
        description: 'GS1-Capture-Error-Behaviour: rollback (default: nothing is stored if any event is refused) or proceed (events of types partprint does not store are skipped and listed). partprint extension: createParts=true registers parts the EPCs name.',
        tags,
        querystring: { type: 'object', additionalProperties: false, properties: { createParts: { type: 'boolean', default: false } } },
        headers: { type: 'object', properties: { 'gs1-capture-error-behaviour': { type: 'string', enum: ['rollback', 'proceed', 'all_or_nothing'] } } },
      },
    }, async (request, reply) => {
      const header = request.headers['gs1-capture-error-behaviour'];
      const behaviour: CaptureErrorBehaviour = header === 'proceed' ? 'proceed' : 'rollback';
      const job = await binding.capture(request.body, { createParts: request.query.createParts, behaviour }, actorOf(request));
      return reply.status(202).header('location', `${EPCIS_PREFIX}/capture/${job.id}`).header('gs1-capture-error-behaviour', behaviour).send();
    });

    epcis.get<{ Querystring: { perPage: number } }>('/capture', {
      config: { permission: 'read' },
      schema: { summary: 'Capture jobs, newest first', tags, querystring: { type: 'object', additionalProperties: false, properties: { perPage: { type: 'integer', minimum: 1, maximum: 100, default: 30 } } } },
    }, async (request) => binding.captureJobs(request.query.perPage));

    epcis.get<{ Params: { captureID: string } }>('/capture/:captureID', {
      config: { permission: 'read' },
      schema: { summary: 'One capture job: running, success, errors (RFC 7807 items)', tags, params: { type: 'object', required: ['captureID'], properties: { captureID: { type: 'string', maxLength: 30 } } } },
    }, async (request) => {
      const id = Number(request.params.captureID);
      if (!Number.isSafeInteger(id) || id <= 0) throw new EpcisProblem(404, 'epcisException:NoSuchResourceException', 'No such capture job', `capture job ${request.params.captureID} does not exist`);
      return binding.captureJob(id);
    });

    const answer = async (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply, filter: { eventType?: string; serial?: string }) => {
      const q = request.query;
      // A page token belongs to the query that made it: same filters, any perPage.
      const shape = JSON.stringify([filter, q.GE_eventTime ?? null, q.LT_eventTime ?? null]);
      const after = q.nextPageToken === undefined ? undefined : decodePageToken(q.nextPageToken, shape);
      const page = await binding.queryEvents({ ...filter, since: q.GE_eventTime, until: q.LT_eventTime, perPage: q.perPage, after });
      if (page.next) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(q)) if (k !== 'nextPageToken' && v !== undefined) params.set(k, String(v));
        params.set('nextPageToken', encodePageToken(page.next, shape));
        reply.header('link', `<${request.url.split('?')[0]}?${params.toString()}>; rel="next"`);
      }
      return reply.type('application/ld+json').send(JSON.stringify({
        '@context': page.context,
        type: 'EPCISQueryDocument',
        schemaVersion: '2.0',
        creationDate: new Date().toISOString(),
        epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: page.eventList } } },
      }));
    };

    epcis.get<{ Querystring: Query }>('/events', {
      config: { permission: 'read', openapi: { produces: ['application/ld+json'] } },
      schema: { summary: 'All events, oldest first, as an EPCISQueryDocument; the next page is in the Link header (rel="next")', tags, querystring: queryParams },
    }, (request, reply) => answer(request, reply, {}));

    epcis.get<{ Params: { eventType: string }; Querystring: Query }>('/events/:eventType', {
      config: { permission: 'read', openapi: { produces: ['application/ld+json'] } },
      schema: {
        summary: 'Events of one EPCIS type (partprint stores ObjectEvents, AggregationEvents and AssociationEvents; the other types are always empty)',
        tags,
        params: { type: 'object', required: ['eventType'], properties: { eventType: { type: 'string', maxLength: 100 } } },
        querystring: queryParams,
      },
    }, async (request, reply) => {
      if (!(EVENT_TYPES as readonly string[]).includes(request.params.eventType)) {
        throw new EpcisProblem(404, 'epcisException:NoSuchResourceException', 'No such event type', `event type ${request.params.eventType} is not one of ${EVENT_TYPES.join(', ')}`);
      }
      return answer(request, reply, { eventType: request.params.eventType });
    });

    epcis.get<{ Params: { epc: string }; Querystring: Query }>('/epcs/:epc/events', {
      config: { permission: 'read', openapi: { produces: ['application/ld+json'] } },
      schema: {
        summary: 'Events of the part an EPC names (URL-encoded EPC URN or Digital Link; mapped by the registry EPC rule)',
        tags,
        params: { type: 'object', required: ['epc'], properties: { epc: { type: 'string', maxLength: 500 } } },
        querystring: queryParams,
      },
    }, async (request, reply) => answer(request, reply, { serial: await binding.serialOfEpc(request.params.epc) }));
  }, { prefix: EPCIS_PREFIX });
}
