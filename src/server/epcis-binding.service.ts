/**
 * The EPCIS 2.0 REST binding's logic: capture jobs (the document is checked, then stored by the
 * "epcis-capture" job), event queries with keyset page tokens, and the EPCIS exception types.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PartprintError } from '../core/index.js';
import { assertValidEpcisDocument, type EpcisPageCursor, type ImportEpcisReport } from '../trace/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { EventsRepository } from './events.repository.js';
import { HttpError } from './http-errors.js';
import type { Job } from './jobs.repository.js';
import type { JobsService } from './jobs.service.js';

export const CAPTURE_JOB = 'epcis-capture';

/** GS1-Capture-Error-Behaviour: rollback (all or nothing, default) or proceed (events of unsupported types are skipped). */
export type CaptureErrorBehaviour = 'rollback' | 'proceed';

/** An EPCIS 2.0 CaptureJob (the binding's GET /capture/{captureID} body). */
export interface CaptureJob {
  captureID: string;
  createdAt: string;
  finishedAt?: string;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: CaptureErrorBehaviour;
  errors: Array<{ type: string; title: string; status: number; detail?: string; instance?: string }>;
  /** partprint's import report (what was stored, skipped, rejected). */
  'pp:report'?: ImportEpcisReport;
}

/** An RFC 7807 problem with an EPCIS exception type. */
export class EpcisProblem extends Error {
  constructor(readonly status: number, readonly type: string, readonly title: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Query page token: the last event's position, base64url JSON, tied to the query it came from. */
export function encodePageToken(cursor: EpcisPageCursor, query: string): string {
  return Buffer.from(JSON.stringify({ t: cursor.occurredAt, i: cursor.id, q: query })).toString('base64url');
}

export function decodePageToken(token: string, query: string): EpcisPageCursor {
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown; q?: unknown };
    if (typeof o.t === 'string' && Number.isSafeInteger(o.i) && o.q === query) return { occurredAt: o.t, id: o.i as number };
  } catch {
    // fall through
  }
  throw new EpcisProblem(400, 'epcisException:QueryParameterException', 'Invalid nextPageToken', 'nextPageToken is not one this server gave for this query (tokens carry the query they page)');
}

export class EpcisBindingService {
  constructor(
    private readonly repo: EventsRepository,
    private readonly jobs: JobsService,
    private readonly audit: AuditRepository,
    private readonly spoolDir: string,
  ) {
    jobs.define(CAPTURE_JOB, async (params, ctx) => {
      const file = String(params.file);
      try {
        const doc = JSON.parse(await readFile(file, 'utf8')) as unknown;
        const report = await this.repo.importEpcis(doc, { createParts: params.createParts === true, unsupported: params.behaviour === 'proceed' ? 'skip' : 'reject', onProgress: ctx.onProgress });
        if (!report.committed) {
          const first = [...report.rejected.slice(0, 3).map((r) => `event ${r.index}: ${r.reason}`), ...report.unknownParts.slice(0, 3).map((u) => `unknown part ${u}`)];
          throw Object.assign(new PartprintError(`nothing stored: ${first.join('; ')}`, { code: 'BAD_INPUT' }), { result: report });
        }
        if (ctx.actor) await this.audit.record(ctx.actor, 'epcis.capture', null, { imported: report.imported, skipped: report.skipped.length, createdParts: report.createdParts.length });
        return report;
      } finally {
        await rm(file, { force: true });
      }
    });
  }

  /** Checks the document (GS1's schema and the CBV) and queues its capture; invalid documents are refused at once. */
  async capture(doc: unknown, options: { createParts: boolean; behaviour: CaptureErrorBehaviour }, actor: string): Promise<Job> {
    try {
      assertValidEpcisDocument(doc);
    } catch (err) {
      throw new EpcisProblem(400, 'epcisException:ValidationException', 'The EPCIS document is invalid', (err as Error).message);
    }
    await mkdir(this.spoolDir, { recursive: true });
    const file = path.join(this.spoolDir, `${randomUUID()}.json`);
    await writeFile(file, JSON.stringify(doc));
    return this.jobs.submit(CAPTURE_JOB, { file, createParts: options.createParts, behaviour: options.behaviour }, actor);
  }

  async captureJob(id: number): Promise<CaptureJob> {
    const job = await this.jobs.get(id).catch(() => undefined);
    if (!job || job.kind !== CAPTURE_JOB) throw new EpcisProblem(404, 'epcisException:NoSuchResourceException', 'No such capture job', `capture job ${id} does not exist`);
    return toCaptureJob(job);
  }

  async captureJobs(limit: number): Promise<CaptureJob[]> {
    const { items } = await this.jobs.list(Math.min(limit * 4, 1000), 0);
    return items.filter((j) => j.kind === CAPTURE_JOB).slice(0, limit).map(toCaptureJob);
  }

  queryEvents(...args: Parameters<EventsRepository['queryEvents']>) {
    return this.repo.queryEvents(...args);
  }

  /** The serial an EPC names under the registry's rule, or a 404 problem. */
  async serialOfEpc(epc: string): Promise<string> {
    const serial = await this.repo.serialForEpc(epc);
    if (serial === null) throw new EpcisProblem(404, 'epcisException:NoSuchResourceException', 'Unknown EPC', `${epc} names no registered part under this registry's EPC rule`);
    return serial;
  }
}

export function toCaptureJob(job: Job): CaptureJob {
  const running = job.status === 'queued' || job.status === 'running';
  const report = (job.result ?? undefined) as ImportEpcisReport | undefined;
  const errors: CaptureJob['errors'] = [];
  if (job.status === 'failed') {
    const reasons = report ? [...report.rejected.map((r) => `event ${r.index}${r.eventId ? ` (${r.eventId})` : ''}: ${r.reason}`), ...report.unknownParts.map((u) => `unknown part ${u} (capture with createParts=true to register it)`)] : [];
    for (const detail of reasons.length > 0 ? reasons : [job.error ?? 'failed']) {
      errors.push({ type: 'epcisException:ValidationException', title: 'Event not captured', status: 400, detail, instance: `/epcis/capture/${job.id}` });
    }
  }
  return {
    captureID: String(job.id),
    createdAt: job.createdAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    running,
    success: job.status === 'succeeded',
    captureErrorBehaviour: (job.params.behaviour === 'proceed' ? 'proceed' : 'rollback'),
    errors,
    ...(report ? { 'pp:report': report } : {}),
  };
}

/** Maps anything thrown under /epcis to an RFC 7807 problem. */
export function toProblem(err: unknown, mapped: { status: number; body: { error: { code: string; message: string } }; headers: Record<string, string> }, instance: string) {
  if (err instanceof EpcisProblem) {
    return { status: err.status, headers: err.headers, body: { type: err.type, title: err.title, status: err.status, detail: err.message, instance } };
  }
  const status = mapped.status;
  const type =
    status === 401 || status === 403 ? 'epcisException:SecurityException'
      : status === 404 ? 'epcisException:NoSuchResourceException'
        : status === 413 ? 'epcisException:CaptureLimitExceededException'
          : status === 415 ? 'epcisException:UnsupportedMediaTypeException'
            : status === 406 ? 'epcisException:NotAcceptableException'
              : status === 429 ? 'epcisException:ImplementationException'
                : status >= 500 ? 'epcisException:ImplementationException'
                  : 'epcisException:ValidationException';
  const title = err instanceof HttpError ? err.code : mapped.body.error.code;
  return { status, headers: mapped.headers, body: { type, title, status, detail: mapped.body.error.message, instance } };
}
