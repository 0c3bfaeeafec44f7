/**
 * `partprint serve`: the HTTP API and web UI. `partprint keys create|list|revoke`: API keys.
 */
import type { Command } from 'commander';
import { PartprintError } from '../../core/index.js';
import { createServer, DEFAULT_LIMITS, DEFAULT_RATE_LIMIT, KeysRepository, KeysService, ROLES, serverDb } from '../../server/index.js';
import { addRegistryOptions, openRegistryFromOptions, type RegistryCliOptions } from '../registry-options.js';

interface ServeOptions extends RegistryCliOptions {
  port: string;
  host: string;
  rateLimit: string;
  burst: string;
  maxUploadMb: string;
  computeThreads?: string;
  log?: boolean;
  lineWatch?: string;
  linePattern?: string;
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new PartprintError(`--${name}: "${value}" is not a non-negative number`, { code: 'BAD_INPUT' });
  return n;
}

export function register(program: Command): void {
  const serve = program
    .command('serve')
    .description('Run the HTTP API (OpenAPI at /openapi.json) and the web UI')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--rate-limit <perSecond>', 'requests per second per API key (0 = off)', String(DEFAULT_RATE_LIMIT.perSecond))
    .option('--burst <n>', 'requests a key may make at once', String(DEFAULT_RATE_LIMIT.burst))
    .option('--max-upload-mb <n>', 'largest upload, MiB', String(DEFAULT_LIMITS.maxUploadBytes / 2 ** 20))
    .option('--compute-threads <n>', 'worker threads for decoding, fingerprints and verification (env PARTPRINT_COMPUTE_THREADS; default: one per core; 0 = on the event loop)')
    .option('--log', 'log every request (JSON lines on stdout)')
    .option('--line-watch <dir>', 'also register the images a line camera writes into DIR (as `partprint line watch`; status at /api/line/watchers)')
    .option('--line-pattern <pattern>', 'file-name pattern for --line-watch (default "{serial}.*")');
  addRegistryOptions(serve);
  serve.action(async (opts: ServeOptions) => {
    const port = positive(opts.port, 'port');
    const registry = await openRegistryFromOptions(opts);
    const server = await createServer({
      registry,
      rateLimit: { perSecond: positive(opts.rateLimit, 'rate-limit'), burst: Math.max(1, positive(opts.burst, 'burst')) },
      limits: { maxUploadBytes: Math.round(positive(opts.maxUploadMb, 'max-upload-mb') * 2 ** 20) },
      logger: opts.log ? { level: 'info' } : false,
      ...((opts.computeThreads ?? process.env.PARTPRINT_COMPUTE_THREADS) !== undefined ? { computeThreads: positive(opts.computeThreads ?? process.env.PARTPRINT_COMPUTE_THREADS!, 'compute-threads') } : {}),
    });
    const boot = await server.services.keys.bootstrap(process.env.PARTPRINT_ADMIN_KEY);
    if (boot?.secret) {
      process.stdout.write(
        `No API keys yet: made an admin key (id ${boot.key.id}). It is shown once; store it now:\n\n  ${boot.secret}\n\n` +
          `Use it as "Authorization: Bearer <key>"; make more with "partprint keys create --role R --name N".\n`,
      );
    } else if (boot) {
      process.stdout.write(`No API keys yet: stored PARTPRINT_ADMIN_KEY as admin key ${boot.key.id}.\n`);
    }
    if (opts.lineWatch) {
      const w = await server.services.line!.start({ inbox: opts.lineWatch, pattern: opts.linePattern }, 'serve --line-watch');
      process.stdout.write(`watching ${w.inbox} for line images (watcher ${w.id})\n`);
    }
    const address = await server.app.listen({ port, host: opts.host });
    process.stdout.write(`partprint serving ${address} (API /api, OpenAPI ${address}/openapi.json, database ${registry.dialect})\n`);
    // listen() names the bound address; 0.0.0.0 / :: are not addresses a browser can open.
    const openUrl = address.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//localhost');
    process.stdout.write(`Open ${openUrl}/ in a browser${boot?.secret ? ' and paste the admin key above' : ''} (Ctrl+C stops the server).\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdout.write('stopping...\n');
    await server.close();
    await registry.close();
  });

  const keys = program.command('keys').description('API keys for the HTTP server');
  const withKeys = async <T>(opts: RegistryCliOptions, fn: (svc: KeysService) => Promise<T>): Promise<T> => {
    const registry = await openRegistryFromOptions(opts);
    try {
      return await fn(new KeysService(new KeysRepository(serverDb(registry.db))));
    } finally {
      await registry.close();
    }
  };
  addRegistryOptions(
    keys
      .command('create')
      .description('Make an API key; prints the secret once')
      .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
      .requiredOption('--name <name>', 'who or what uses the key')
      .option('--rate-limit <perSecond>', 'own rate limit for this key')
      .option('--json', 'print JSON'),
  ).action(async (opts: RegistryCliOptions & { role: string; name: string; rateLimit?: string; json?: boolean }) => {
    const made = await withKeys(opts, (svc) => svc.create({ role: opts.role, name: opts.name, createdBy: 'cli', ratePerSecond: opts.rateLimit === undefined ? null : positive(opts.rateLimit, 'rate-limit') }));
    if (opts.json) process.stdout.write(`${JSON.stringify(made)}\n`);
    else process.stdout.write(`key ${made.key.id} (${made.key.role}, "${made.key.name}"); secret, shown once:\n${made.secret}\n`);
  });
  addRegistryOptions(keys.command('list').description('List API keys (ids, names, roles; never secrets)').option('--json', 'print JSON')).action(
    async (opts: RegistryCliOptions & { json?: boolean }) => {
      const list = await withKeys(opts, (svc) => svc.list());
      if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const k of list) process.stdout.write(`${k.id}  ${k.role.padEnd(9)} ${k.revokedAt ? 'revoked ' : 'active  '} ${k.name}\n`);
    },
  );
  addRegistryOptions(keys.command('revoke').description('Revoke an API key').argument('<id>', 'key id')).action(async (id: string, opts: RegistryCliOptions) => {
    const key = await withKeys(opts, (svc) => svc.revoke(id));
    process.stdout.write(`revoked ${key.id} (${key.role}, "${key.name}")\n`);
  });
}
