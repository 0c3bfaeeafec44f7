/**
 * Assembly inspection checks over HTTP: the plan capability's checkAssembly with the server's
 * identify (the shared, loaded shortlist index, under its lock) and an audit entry.
 */
import { checkAssembly, checkImage, getCheck, identifierFor, listChecks, parseDocument, renderReportHtml, validatePlan, type CheckReport, type CheckSummary, type PositionObservation } from '../plan/index.js';
import type { Registry } from '../registry/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { IdentityRepository } from './identity.repository.js';

export interface PlanCheckInput {
  assembly: string;
  planText: string;
  observations: Record<string, PositionObservation>;
  actor: string | null;
  place: string | null;
  occurredAt?: string;
}

export class PlanChecksService {
  constructor(
    private readonly registry: Registry,
    private readonly identity: IdentityRepository,
    private readonly audit: AuditRepository,
  ) {}

  async check(input: PlanCheckInput, recordedBy: string): Promise<CheckReport> {
    const plan = validatePlan(parseDocument(input.planText, 'plan'), 'plan');
    const report = await checkAssembly({
      registry: this.registry,
      identify: identifierFor(this.registry, async (bytes, name) => this.identity.identify(await this.identity.decode(bytes, name))),
      plan,
      assembly: input.assembly,
      observations: input.observations,
      actor: input.actor,
      place: input.place,
      occurredAt: input.occurredAt,
      recordedBy,
    });
    await this.audit.record(recordedBy, 'plan.check', input.assembly, { checkId: report.checkId, ok: report.ok });
    return report;
  }

  get(id: number): Promise<CheckReport> {
    return getCheck(this.registry, id);
  }

  list(assembly?: string): Promise<CheckSummary[]> {
    return listChecks(this.registry, { assembly });
  }

  async html(id: number): Promise<string> {
    return renderReportHtml(await getCheck(this.registry, id), (position) => `/api/plan-checks/${id}/positions/${encodeURIComponent(position)}/image`);
  }

  image(id: number, position: string) {
    return checkImage(this.registry, id, position);
  }
}
