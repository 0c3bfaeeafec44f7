/**
 * Feature extraction: keypoints where brightness changes sharply, with binary descriptors of the
 * local pattern (AKAZE/MLDB 61 bytes, or ORB 32 bytes), through OpenCV's WebAssembly build.
 */
import { DisposeScope, IdentityError } from '../../core/index.js';
import { loadOpenCv, type GreyImage } from '../../imaging/index.js';
import type { ExtractorKind, FeatureSet } from '../types.js';

export interface ExtractOptions {
  kind: ExtractorKind;
  /** Keep at most this many keypoints (strongest response first). */
  maxKeypoints: number;
  /** AKAZE detector threshold (lower = more keypoints). */
  akazeThreshold: number;
  /** AKAZE octaves (fewer = faster, less scale range). */
  akazeOctaves: number;
  /** ORB FAST threshold. */
  orbFastThreshold: number;
  /** When fewer than twice the quality gate's minimum are found, retry with the AKAZE threshold lowered 4x, up to this many times. */
  adaptiveSteps: number;
}

export const DEFAULT_EXTRACT_OPTIONS: ExtractOptions = {
  kind: 'akaze',
  maxKeypoints: 1500,
  akazeThreshold: 0.0008,
  akazeOctaves: 4,
  orbFastThreshold: 12,
  adaptiveSteps: 2,
};

/** Bumped when the extraction code changes what it produces for the same options. */
const EXTRACTOR_CODE_VERSION = 1;

/** The version string stored with a fingerprint; any change of it means re-extraction. */
export function extractorVersion(options: Partial<ExtractOptions> = {}): string {
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  const param = o.kind === 'akaze' ? `t${o.akazeThreshold}o${o.akazeOctaves}${o.adaptiveSteps ? `a${o.adaptiveSteps}` : ''}` : `f${o.orbFastThreshold}`;
  return `${o.kind}-${param}-n${o.maxKeypoints}/v${EXTRACTOR_CODE_VERSION}`;
}

/**
 * Detects keypoints and computes binary descriptors.
 *
 * @param mask optional width x height bytes, non-zero where keypoints may lie.
 * @example
 *   const fs = await extractFeatures(normalised.image); // fs.keypoints: N x 2
 */
export async function extractFeatures(
  img: GreyImage,
  options: Partial<ExtractOptions> = {},
  mask: Uint8Array | null = null,
  scale = 1,
): Promise<FeatureSet> {
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  if (img.bitDepth !== 8) throw new IdentityError('extractFeatures needs an 8-bit image (normalise it first)', { code: 'BAD_INPUT' });
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const mat = scope.track(cv.matFromArray(img.height, img.width, cv.CV_8UC1, img.data));
  const maskMat = scope.track(mask ? cv.matFromArray(img.height, img.width, cv.CV_8UC1, mask) : new cv.Mat());
  const kpv = scope.track(new cv.KeyPointVector());
  const desc = scope.track(new cv.Mat());
  let detector;
  if (o.kind === 'akaze') {
    detector = scope.track(new cv.AKAZE());
    detector.setThreshold(o.akazeThreshold);
    detector.setNOctaves(o.akazeOctaves);
  } else {
    detector = scope.track(new cv.ORB(o.maxKeypoints * 2));
    detector.setFastThreshold(o.orbFastThreshold);
    detector.setEdgeThreshold(15);
    detector.setPatchSize(15);
  }
  if (Math.min(img.width, img.height) >= 16) detector.detectAndCompute(mat, maskMat, kpv, desc);
  const total = kpv.size();
  const bytes = total > 0 ? desc.cols : o.kind === 'akaze' ? 61 : 32;
  const order = Array.from({ length: total }, (_, i) => i);
  const resp = new Float32Array(total);
  const kps = new Array(total);
  for (let i = 0; i < total; i++) {
    kps[i] = kpv.get(i);
    resp[i] = kps[i].response;
  }
  order.sort((a, b) => resp[b] - resp[a]);
  const n = Math.min(total, o.maxKeypoints);
  const set: FeatureSet = {
    keypoints: new Float32Array(n * 2),
    sizes: new Float32Array(n),
    angles: new Float32Array(n),
    responses: new Float32Array(n),
    descriptors: new Uint8Array(n * bytes),
    descriptorBytes: bytes,
    imageSize: { width: img.width, height: img.height },
    scale,
    extractor: extractorVersion(o),
  };
  const src = desc.data as Uint8Array;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const k = kps[i];
    set.keypoints[2 * j] = k.pt.x;
    set.keypoints[2 * j + 1] = k.pt.y;
    set.sizes[j] = k.size;
    set.angles[j] = k.angle;
    set.responses[j] = k.response;
    set.descriptors.set(src.subarray(i * bytes, (i + 1) * bytes), j * bytes);
  }
  return set;
}

/** Number of keypoints in a FeatureSet. */
export function featureCount(set: FeatureSet): number {
  return set.sizes.length;
}
