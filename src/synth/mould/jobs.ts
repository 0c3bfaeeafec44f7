/** One unit of mould work: render one capture of one moulded part and write it to a file (main thread or worker). */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { captureHomography, type Mat3 } from '../view.js';
import { makeMouldPart, mouldRangeOf } from './catalogue.js';
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
  /** Keep an image already written by an interrupted run (its parameters are recomputed, not its pixels). */
  resume?: boolean;
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
  const params = sampleMouldCapture(part, job.captureIndex, mouldRangeOf(job.config), job.config.size);
  const file = job.file.replace(/\.(png|jpe?g)$/i, '') + (params.format === 'jpeg' ? '.jpg' : '.png');
  if (job.resume) {
    const done = await stat(file).catch(() => null);
    if (done && done.size > 0) {
      const toRegistered = captureHomography(params, job.config.size);
      return { file, serial: part.serial, params, truePixelUm: Number((job.config.pixelUm / params.scale).toFixed(4)), toRegistered, individualScale: NaN, bytes: done.size };
    }
  }
  const cap = renderMouldCapture(part, params, job.config);
  const bytes = await encodeMouldCapture(cap.pixels, cap.width, cap.height, params.format, params.jpegQuality);
  await mkdir(path.dirname(file), { recursive: true });
  // Written under a temporary name and renamed, so an interrupted run never leaves half a file.
  await writeFile(`${file}.tmp`, bytes);
  await rename(`${file}.tmp`, file);
  return { file, serial: part.serial, params, truePixelUm: cap.truePixelUm, toRegistered: cap.toRegistered, individualScale: cap.individualScale, bytes: bytes.length };
}
