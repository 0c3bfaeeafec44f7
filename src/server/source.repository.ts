/**
 * Source models through the source capability: the `source_models` table and ONNX sessions
 * (loaded once per model and kept; onnxruntime is touched only here, via src/source).
 */
import { readGreyImage } from '../imaging/index.js';
import type { Registry } from '../registry/index.js';
import {
  activateModel,
  activeModel,
  listModels,
  loadSourceModel,
  predictSource,
  registerModel,
  type RegisteredModel,
  type SourceModel,
  type SourcePrediction,
} from '../source/index.js';

export class SourceRepository {
  private readonly sessions = new Map<string, Promise<SourceModel>>();

  constructor(
    private readonly registry: Registry,
    private readonly maxPixels: number,
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
    const key = `${model.name}\u0000${model.dir}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = loadSourceModel(model.dir);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    const image = await readGreyImage(imageFile, { maxPixels: this.maxPixels, name });
    return predictSource(await session, image, { k: options.k, seed: options.seed, name });
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => null))?.close();
  }
}
