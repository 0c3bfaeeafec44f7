/** One unit of mould work: render one capture of one moulded part and write it to a file (main thread or worker). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Mat3 } from '../view.js';
import { makeMouldPart, resolveMouldRange } from './catalogue.js';
import { encodeMouldCapture, renderMouldCapture, sampleMouldCapture } from './capture.js';
import type { MouldCaptureParams, MouldPart, MouldSetConfig } from './types.js';

export interface MouldRenderJob {
  generator: 'mould';
  config: MouldSetConfig;
  mould: number;
  role: MouldPart['role'];
  index: number;
  captureIndex: number;
  /** Absolute path of the image file (the extension is replaced to match the format). */
  file: string;
}

export interface MouldRenderResult {
  file: string;
  serial: string;
  params: MouldCaptureParams;
  truePixelUm: number;
  toRegistered: Mat3;
  individualScale: number;
  bytes: number;
}

export async function runMouldJob(job: MouldRenderJob): Promise<MouldRenderResult> {
  const part = makeMouldPart(job.config, job.mould, job.role, job.index);
  const params = sampleMouldCapture(part, job.captureIndex, resolveMouldRange(job.config.range), job.config.size);
  const cap = renderMouldCapture(part, params, job.config);
  const bytes = await encodeMouldCapture(cap.pixels, cap.width, cap.height, params.format, params.jpegQuality);
  const file = job.file.replace(/\.(png|jpe?g)$/i, '') + (params.format === 'jpeg' ? '.jpg' : '.png');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return { file, serial: part.serial, params, truePixelUm: cap.truePixelUm, toRegistered: cap.toRegistered, individualScale: cap.individualScale, bytes: bytes.length };
}
