/**
 * Source models through the source capability: the `source_models` table and ONNX sessions
 * (loaded once per model and kept; onnxruntime is touched only here, via src/source).
 */
import type { ProgressListener } from '../core/index.js';
import { readGreyImage } from '../imaging/index.js';
import type { Registry } from '../registry/index.js';
import type { ComputePool } from './compute/pool.js';
import {
  activateModel,
  activeModel,
  listModels,
  loadSourceModel,
  predictSource,
  registerModel,
  confusionSvg,
  evaluateSource,
  lineChartSvg,
  type RegisteredModel,
  type SourceModel,
  type SourcePrediction,
} from '../source/index.js';

export class SourceRepository {
  private readonly sessions = new Map<string, Promise<SourceModel>>();

  constructor(
    private readonly registry: Registry,
    private readonly maxPixels: number,
    /** Decode, ROI sampling and inference on the compute pool's threads (else here, inference on onnxruntime's threads). */
    private readonly compute?: ComputePool,
  ) {}

  list(attribute?: string): Promise<RegisteredModel[]> {
    return listModels(this.registry, attribute);
  }

  async find(name: string): Promise<RegisteredModel | undefined> {
    return (await this.list()).find((m) => m.name === name);
  }

  active(attribute?: string): Promise<RegisteredModel | undefined> {
    return activeModel(this.registry, attribute);
  }

  activate(name: string): Promise<RegisteredModel> {
    return activateModel(this.registry, name);
  }

  register(dir: string, activate: boolean): Promise<RegisteredModel> {
    return registerModel(this.registry, dir, { activate });
  }

  /** Decodes the image and runs the model (sessions cached by model name and folder). */
  async predict(model: RegisteredModel, imageFile: string, name: string, options: { k: number; seed: number }): Promise<SourcePrediction> {
    if (this.compute) return this.compute.predictSource(model.dir, `${model.name}\u0000${model.dir}`, imageFile, name, options);
    const image = await readGreyImage(imageFile, { maxPixels: this.maxPixels, name });
    return predictSource(await this.session(model), image, { k: options.k, seed: options.seed, name });
  }

  private session(model: RegisteredModel): Promise<SourceModel> {
    const key = `${model.name}\u0000${model.dir}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = loadSourceModel(model.dir);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  /** Evaluates a model on an exported dataset folder: report (no per-item rows) and its pictures. */
  async evaluate(model: RegisteredModel, datasetDir: string, options: { split: 'train' | 'val' | 'test' | 'all'; k: number; onProgress: ProgressListener }): Promise<Record<string, unknown>> {
    const loaded = await this.session(model);
    const report = await evaluateSource(loaded, datasetDir, { split: options.split, k: options.k, onProgress: options.onProgress });
    const { items, ...summary } = report;
    return {
      ...summary,
      items: items.length,
      confusionSvg: confusionSvg(report.classes, report.confusion, `${report.model}: ${report.attribute}, ${report.split} split, ${report.k} ROIs, accuracy ${(report.accuracy * 100).toFixed(1)}%`),
      accuracyVsRoisSvg: lineChartSvg([{ name: 'accuracy', points: report.accuracyByRois.map((a) => [a.rois, a.accuracy]) }], { title: `${report.model}: accuracy vs voting ROIs`, xLabel: 'ROIs per part (log scale)', yLabel: 'accuracy', logX: true }),
    };
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => null))?.close();
  }
}
