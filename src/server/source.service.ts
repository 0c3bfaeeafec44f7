/** Source prediction (image -> class distribution, with the model used) and model management. */
import { PartprintError } from '../core/index.js';
import type { RegisteredModel, SourcePrediction } from '../source/index.js';
import type { AuditRepository } from './audit.repository.js';
import type { JobsService } from './jobs.service.js';
import type { SourceRepository } from './source.repository.js';

export interface ModelSummary {
  name: string;
  attribute: string;
  classes: string[];
  active: boolean;
  dir: string;
  createdAt: string;
  architecture: string;
  metrics: Record<string, unknown> | null;
}

export interface PredictionResult extends Omit<SourcePrediction, 'probabilities' | 'logits'> {
  model: { name: string; attribute: string; classes: string[] };
}

function summary(m: RegisteredModel): ModelSummary {
  return {
    name: m.name,
    attribute: m.attribute,
    classes: m.card.classes,
    active: m.active,
    dir: m.dir,
    createdAt: m.createdAt,
    architecture: m.card.architecture,
    metrics: (m.card.metrics as Record<string, unknown> | undefined) ?? null,
  };
}

export class SourceService {
  constructor(
    private readonly repo: SourceRepository,
    private readonly audit: AuditRepository,
    jobs: JobsService,
  ) {
    jobs.define('evaluate-source', async (params, ctx) => {
      const model = await this.repo.find(String(params.model));
      if (!model) throw new PartprintError(`no source model named "${String(params.model)}"`, { code: 'NOT_FOUND' });
      return this.repo.evaluate(model, String(params.dataset), { split: (params.split as 'test') ?? 'test', k: Number(params.k ?? 16), onProgress: ctx.onProgress });
    });
  }

  async list(attribute?: string): Promise<ModelSummary[]> {
    return (await this.repo.list(attribute)).map(summary);
  }

  async activate(name: string, actor: string): Promise<ModelSummary> {
    const m = await this.repo.activate(name);
    await this.audit.record(actor, 'model.activate', name, { attribute: m.attribute });
    return summary(m);
  }

  async register(dir: string, activate: boolean, actor: string): Promise<ModelSummary> {
    const m = await this.repo.register(dir, activate);
    await this.audit.record(actor, 'model.register', m.name, { dir: m.dir, activate });
    return summary(m);
  }

  /**
   * Predicts with the named model, or the active model of `attribute`, or the only active model.
   */
  async predict(image: { path: string; filename: string }, options: { model?: string; attribute?: string; k: number; seed: number }): Promise<PredictionResult> {
    let model: RegisteredModel | undefined;
    if (options.model) {
      model = await this.repo.find(options.model);
      if (!model) throw new PartprintError(`no source model named "${options.model}"`, { code: 'NOT_FOUND' });
    } else {
      model = await this.repo.active(options.attribute);
      if (!model) {
        throw new PartprintError(options.attribute ? `no active source model for attribute "${options.attribute}"` : 'no active source model (activate one: POST /api/models/{name}/activate)', { code: 'NOT_FOUND' });
      }
    }
    const p = await this.repo.predict(model, image.path, image.filename, { k: options.k, seed: options.seed });
    const { probabilities: _p, logits: _l, ...rest } = p;
    return { ...rest, model: { name: model.name, attribute: model.attribute, classes: model.card.classes } };
  }
}
