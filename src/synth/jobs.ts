/**
 * One unit of work: render one capture of one part and write it to a file. Plain records in and
 * out, so the same function runs in the main thread or in a worker thread.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeCapture, renderCapture, sampleCaptureParams } from './capture.js';
import { makeLookalike, makeMachines, makePart } from './catalogue.js';
import type { CaptureParams, MachineSpec, PartSpec, SynthConfig, ViewSpec } from './types.js';
import type { Mat3 } from './view.js';

export interface RenderJob {
  config: SynthConfig;
  view: ViewSpec;
  /** Registered part (serial P...) or look-alike (serial L...). */
  kind: 'part' | 'lookalike';
  index: number;
  captureIndex: number;
  /** Absolute path of the image file to write (the extension is replaced to match the format). */
  file: string;
  maxRotationDeg?: number;
  pngLevel?: number;
}

export interface RenderResult {
  file: string;
  serial: string;
  params: CaptureParams;
  pixelSizeUm: number;
  toRegistered: Mat3;
  serialBox: [number, number, number, number] | null;
  bytes: number;
}

const machineCache = new Map<string, MachineSpec[]>();

/** The machines of a config, computed once per process. */
export function machinesFor(config: SynthConfig): MachineSpec[] {
  const key = JSON.stringify(config);
  let m = machineCache.get(key);
  if (!m) {
    m = makeMachines(config);
    machineCache.set(key, m);
  }
  return m;
}

export function partFor(job: Pick<RenderJob, 'config' | 'kind' | 'index'>): PartSpec {
  const machines = machinesFor(job.config);
  return job.kind === 'part' ? makePart(job.config, machines, job.index) : makeLookalike(job.config, machines, job.index);
}

export async function runRenderJob(job: RenderJob): Promise<RenderResult> {
  const part = partFor(job);
  const params = sampleCaptureParams(part, job.captureIndex, { maxRotationDeg: job.maxRotationDeg });
  const cap = renderCapture(part, params, job.view);
  const bytes = await encodeCapture(cap.pixels, cap.width, cap.height, params.format, params.jpegQuality, job.pngLevel ?? 3);
  const file = job.file.replace(/\.(png|jpe?g)$/i, '') + (params.format === 'jpeg' ? '.jpg' : '.png');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return { file, serial: part.serial, params, pixelSizeUm: cap.pixelSizeUm, toRegistered: cap.toRegistered, serialBox: cap.serialBox, bytes: bytes.length };
}
