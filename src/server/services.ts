/**
 * The server's wiring: repositories over the registry (and, as they land, the identity, source
 * and trace capabilities), one service per route group, and the job runner.
 */
import path from 'node:path';
import { ShortlistThread } from '../identity/index.js';
import type { Registry } from '../registry/index.js';
import { AuditRepository } from './audit.repository.js';
import { CheckRecorder } from './checks.js';
import { ComputePool, DecodeBudget } from './compute/pool.js';
import { EvidenceStore } from './evidence.store.js';
import { IdentityRepository } from './identity.repository.js';
import { IdentityService } from './identity.service.js';
import { EventsRepository } from './events.repository.js';
import { EventsService } from './events.service.js';
import { EpcisBindingService } from './epcis-binding.service.js';
import { ImportRepository } from './import.repository.js';
import { ImportService } from './import.service.js';
import { JobsRepository } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';
import { KeysRepository } from './keys.repository.js';
import { KeysService } from './keys.service.js';
import { Metrics } from './metrics.js';
import { CapturesRepository, PartsRepository } from './parts.repository.js';
import { PartsService } from './parts.service.js';
import { PlanChecksService } from './plan.service.js';
import { LineService } from './line.service.js';
import { DEFAULT_FAILED_AUTH_LIMIT, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';
import { ROLE_PERMISSIONS, type Role } from './roles.js';
import { SourceRepository } from './source.repository.js';
import { SourceService } from './source.service.js';
import { StatsRepository } from './stats.repository.js';
import { serverDb } from './tables.js';

export interface ServerLimits {
  /** Largest accepted upload (image or CSV), bytes. */
  maxUploadBytes: number;
  /** Largest accepted image, width x height. */
  maxPixels: number;
  /** Largest JSON body (EPCIS documents), bytes. */
  maxJsonBytes: number;
  /** Image pixels being decoded at once, over all requests (more wait; one larger image runs alone). */
  decodeBudgetPixels: number;
}

export const DEFAULT_LIMITS: ServerLimits = { maxUploadBytes: 64 * 2 ** 20, maxPixels: 20_000 * 20_000, maxJsonBytes: 8 * 2 ** 20, decodeBudgetPixels: 100_000_000 };

export interface ServerConfig {
  limits: ServerLimits;
  rateLimit: RateLimitOptions;
  /** Failed authentications per client address (unknown or revoked keys). */
  failedAuthLimit: RateLimitOptions;
  /** Temporary upload folder (default DATA/tmp/uploads). */
  tmpDir: string;
  /** Bulk uploads waiting for their import job (DATA/tmp/imports). */
  importsDir: string;
  logger?: boolean | { level: string };
  /** Static web UI folder; undefined = src/web/static if present; null = none. */
  staticDir?: string | null;
  /** Worker threads for decoding, fingerprints and verification (default: the core count; 0: all on the event loop, for comparison). */
  computeThreads?: number;
}

export interface ServerOptions {
  registry: Registry;
  limits?: Partial<ServerLimits>;
  rateLimit?: Partial<RateLimitOptions>;
  failedAuthLimit?: Partial<RateLimitOptions>;
  logger?: boolean | { level: string };
  staticDir?: string | null;
  computeThreads?: number;
}

export interface ServerServices {
  registry: Registry;
  keys: KeysService;
  jobs: JobsService;
  audit: AuditRepository;
  parts: PartsService;
  importer: ImportService;
  events?: EventsService;
  /** The EPCIS 2.0 REST binding under /epcis (present with events). */
  epcisBinding?: EpcisBindingService;
  source?: SourceService;
  identity?: IdentityService;
  /** Worker threads for the CPU-heavy identity stages (null: computeThreads 0). */
  compute: ComputePool | null;
  /** Admission for decoding uploaded images. */
  decodeBudget: DecodeBudget;
  plan?: PlanChecksService;
  line?: LineService;
  /** Releases what the services hold (model sessions, worker threads, line watchers). */
  close(): Promise<void>;
  stats: StatsRepository;
  metrics: Metrics;
  permissionsOf(role: Role): string[];
  /** Which capability groups are wired in this build. */
  capabilities(): Record<string, boolean>;
}

export function resolveConfig(options: ServerOptions): ServerConfig {
  return {
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    rateLimit: { ...DEFAULT_RATE_LIMIT, ...options.rateLimit },
    failedAuthLimit: { ...DEFAULT_FAILED_AUTH_LIMIT, ...options.failedAuthLimit },
    tmpDir: path.join(options.registry.dataDir, 'tmp', 'uploads'),
    importsDir: path.join(options.registry.dataDir, 'tmp', 'imports'),
    logger: options.logger,
    staticDir: options.staticDir,
    computeThreads: options.computeThreads,
  };
}

export function createServices(registry: Registry, config: ServerConfig): ServerServices {
  const db = serverDb(registry.db);

  const audit = new AuditRepository(db);
  const jobs = new JobsService(new JobsRepository(db));
  const eventsRepo = new EventsRepository(registry);
  const compute = config.computeThreads === 0 ? null : new ComputePool({ threads: config.computeThreads, maxPixels: config.limits.maxPixels });
  const sourceRepo = new SourceRepository(registry, config.limits.maxPixels, compute ?? undefined);
  // with the compute pool, the shortlist index lives on its own thread too (its search and writes off the event loop)
  const shortlistThread = compute ? new ShortlistThread() : undefined;
  const identityRepo = new IdentityRepository(registry, config.limits.maxPixels, compute ?? undefined, shortlistThread);
  const line = new LineService(registry, identityRepo, audit);
  const decodeBudget = new DecodeBudget(config.limits.decodeBudgetPixels, (compute?.threads ?? 1) * 4);
  const services: ServerServices = {
    registry,
    keys: new KeysService(new KeysRepository(db)),
    jobs,
    audit,
    parts: new PartsService(new PartsRepository(registry), new CapturesRepository(registry), audit),
    importer: new ImportService(new ImportRepository(registry), jobs, audit, config.importsDir),
    events: new EventsService(eventsRepo, audit),
    epcisBinding: new EpcisBindingService(eventsRepo, jobs, audit, path.join(registry.dataDir, 'tmp', 'epcis-capture')),
    source: new SourceService(sourceRepo, audit, jobs),
    identity: new IdentityService(identityRepo, new EvidenceStore(), audit, jobs, new CheckRecorder(registry, eventsRepo), decodeBudget),
    plan: new PlanChecksService(registry, identityRepo, audit),
    line,
    compute,
    decodeBudget,
    close: async () => {
      await line.close();
      await sourceRepo.close();
      await compute?.close();
      await shortlistThread?.close();
    },
    stats: new StatsRepository(registry),
    metrics: new Metrics(),
    permissionsOf: (role) => [...ROLE_PERMISSIONS[role]].sort(),
    capabilities: () => ({ parts: true, identity: services.identity !== undefined, source: services.source !== undefined, trace: services.events !== undefined, plan: services.plan !== undefined, line: services.line !== undefined }),
  };
  return services;
}
