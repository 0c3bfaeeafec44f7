/** Fastify type extensions used by the server: route permission config and the request's principal. */
import type { Principal } from './keys.service.js';
import type { Permission } from './roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route: what the caller's role must allow ('public' needs no key). */
    permission?: Permission;
    openapi?: { hide?: boolean; multipart?: Record<string, unknown>; produces?: string[] };
  }
  interface FastifySchema {
    /** OpenAPI operation summary, description and tags. */
    summary?: string;
    description?: string;
    tags?: string[];
    hide?: boolean;
  }
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route. */
    principal?: Principal;
  }
}

export {};
