/**
 * `createServer`: the Fastify app plus its services, ready to `listen` or `inject`.
 *
 * @example
 *   const registry = await openRegistry({ dataDir: 'data' });
 *   const server = await createServer({ registry });
 *   await server.app.listen({ port: 8080, host: '127.0.0.1' });
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { removeStaleTemps } from './uploads.js';
import { createServices, resolveConfig, type ServerConfig, type ServerOptions, type ServerServices } from './services.js';

export interface PartprintServer {
  app: FastifyInstance;
  services: ServerServices;
  config: ServerConfig;
  /** Stops accepting requests, lets the running job finish, closes the app (not the registry). */
  close(): Promise<void>;
}

export async function createServer(options: ServerOptions): Promise<PartprintServer> {
  const config = resolveConfig(options);
  const services = createServices(options.registry, config);
  await services.jobs.start();
  // Uploads a killed server left behind (their jobs were just marked interrupted).
  await services.importer.removeStaleUploads();
  await removeStaleTemps(config.tmpDir);
  const app = await buildApp(services, config);
  return {
    app,
    services,
    config,
    close: async () => {
      await app.close();
      await services.jobs.close();
      await services.close();
    },
  };
}
