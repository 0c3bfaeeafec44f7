/** /api/analytics/failure-rates: which groups fail more often than the rest, with Fisher's exact test and a multiple-comparison correction. */
import type { FastifyInstance } from 'fastify';
import { failureRates, failureRateSvg, type FailureRateQuery } from '../analytics/index.js';
import { PartprintError } from '../core/index.js';
import { EVENT_TYPES } from '../trace/index.js';
import { anyObject } from './schemas.js';
import type { ServerServices } from './services.js';

type Query = { groupBy: string; type?: string; fail?: string[]; since?: string; until?: string; alpha?: number; correction?: 'holm' | 'bh'; format?: 'json' | 'svg' };

function failWhere(items: string[] | undefined): FailureRateQuery['failWhere'] {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const w of items) {
    const i = w.indexOf(':');
    if (i <= 0) throw new PartprintError(`fail "${w}" must look like field:value, e.g. result:fail`, { code: 'BAD_INPUT' });
    out[w.slice(0, i)] = w.slice(i + 1);
  }
  return out as FailureRateQuery['failWhere'];
}

export function registerAnalyticsRoutes(app: FastifyInstance, services: ServerServices): void {
  app.get<{ Querystring: Query }>(
    '/api/analytics/failure-rates',
    {
      config: { permission: 'read', openapi: { produces: ['application/json', 'image/svg+xml'] } },
      schema: {
        summary: 'Failure rate per group (e.g. groupBy=field:position or attribute:machine) with Wilson intervals, Fisher\'s exact test of each group against the rest, Holm (or BH) correction, and the chi-square test over all groups; format=svg for the chart',
        tags: ['analytics'],
        querystring: {
          type: 'object',
          required: ['groupBy'],
          additionalProperties: false,
          properties: {
            groupBy: { type: 'string', minLength: 1, maxLength: 200, description: 'attribute:NAME | field:position|result|torqueNm | partNumber | type' },
            type: { type: 'string', enum: [...EVENT_TYPES], description: 'events counted (default inspected)' },
            fail: { type: 'array', maxItems: 5, items: { type: 'string', pattern: '^[A-Za-z]+:.*$' }, description: 'what makes an event a failure, field:value (default result:fail)' },
            since: { type: 'string', maxLength: 40 },
            until: { type: 'string', maxLength: 40 },
            alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05 },
            correction: { type: 'string', enum: ['holm', 'bh'], default: 'holm' },
            format: { type: 'string', enum: ['json', 'svg'], default: 'json' },
          },
        },
        response: { 200: anyObject },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const report = await failureRates(services.registry, { groupBy: q.groupBy, type: q.type, failWhere: failWhere(q.fail), since: q.since, until: q.until, alpha: q.alpha, correction: q.correction });
      if (q.format === 'svg') return reply.type('image/svg+xml').send(failureRateSvg(report));
      return report;
    },
  );
}
