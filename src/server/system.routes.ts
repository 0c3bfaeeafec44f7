/** /api/health (public) and /metrics (Prometheus text; any key). */
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from './version.js';
import type { ServerServices } from './services.js';

export function registerSystemRoutes(app: FastifyInstance, services: ServerServices): void {
  const tags = ['system'];
  const started = Date.now();
  app.get(
    '/api/health',
    {
      config: { permission: 'public' },
      schema: {
        summary: 'Liveness and database reachability (no key needed)',
        tags,
        response: {
          200: {
            type: 'object',
            required: ['status', 'version', 'database', 'uptimeSeconds', 'capabilities'],
            properties: {
              status: { type: 'string', enum: ['ok'] },
              version: { type: 'string' },
              database: { type: 'string', enum: ['sqlite', 'postgres'] },
              uptimeSeconds: { type: 'number' },
              capabilities: { type: 'object', additionalProperties: { type: 'boolean' } },
            },
          },
        },
      },
    },
    async () => {
      await services.stats.ping();
      return { status: 'ok', version: API_VERSION, database: services.registry.dialect, uptimeSeconds: (Date.now() - started) / 1000, capabilities: services.capabilities() };
    },
  );

  app.get(
    '/metrics',
    { config: { permission: 'read', openapi: { produces: ['text/plain; version=0.0.4'] } }, schema: { summary: 'Prometheus metrics: request counts, latency histograms, registry sizes, jobs', tags } },
    async (_request, reply) => {
      const counts = await services.stats.counts(['parts', 'captures', 'events', 'source_models', 'api_keys']);
      const fingerprints = await services.stats.fingerprints();
      const jobs = await services.jobs.countByStatus();
      const text = services.metrics.render([
        { name: 'partprint_registry_rows', help: 'Rows per registry table.', values: Object.entries(counts).map(([table, value]) => ({ labels: { table }, value })) },
        { name: 'partprint_fingerprints', help: 'Captures with a stored fingerprint (the identification gallery).', values: [{ value: fingerprints }] },
        { name: 'partprint_jobs', help: 'Background jobs by status.', values: ['queued', 'running', 'succeeded', 'failed'].map((status) => ({ labels: { status }, value: jobs[status] ?? 0 })) },
        { name: 'partprint_process_resident_bytes', help: 'Resident memory of the server process.', values: [{ value: process.memoryUsage().rss }] },
      ]);
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  );
}
