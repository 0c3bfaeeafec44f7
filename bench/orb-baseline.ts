/**
 * The plain OpenCV baseline for individual identity: ORB with 1000 features at native size, brute-
 * force Hamming kNN (k = 2) with Lowe's ratio test at 0.8, a RANSAC homography (reprojection
 * 5 px), S = inliers / min(keypoints of the two images); 1:N = the best S over the gallery
 * (exhaustive). ORB and RANSAC through the project's OpenCV wrapper (every Mat and vector freed);
 * the kNN distances through partprint's WebAssembly popcount, checked against cv.BFMatcher.
 */
import { DisposeScope } from '../src/core/index.js';
import { matchDescriptors, type FeatureSet } from '../src/identity/index.js';
import { loadOpenCv, readGreyImage, type GreyImage } from '../src/imaging/index.js';

export const ORB_BASELINE = { features: 1000, ratio: 0.8, ransacPx: 5 } as const;

export interface OrbFeatures {
  count: number;
  /** x, y per keypoint. */
  points: Float32Array;
  /** count x 32 bytes. */
  descriptors: Uint8Array;
}

export async function orbFeatures(img: GreyImage): Promise<OrbFeatures> {
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  const mat = scope.track(cv.matFromArray(img.height, img.width, cv.CV_8UC1, img.data));
  const orb = scope.track(new cv.ORB(ORB_BASELINE.features));
  const kp = scope.track(new cv.KeyPointVector());
  const desc = scope.track(new cv.Mat());
  const mask = scope.track(new cv.Mat());
  orb.detectAndCompute(mat, mask, kp, desc);
  const count = kp.size();
  const points = new Float32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const k = kp.get(i);
    points[2 * i] = k.pt.x;
    points[2 * i + 1] = k.pt.y;
  }
  return { count, points, descriptors: count > 0 ? new Uint8Array(desc.data as Uint8Array) : new Uint8Array(0) };
}

function asFeatureSet(f: OrbFeatures): FeatureSet {
  const n = f.count;
  return { keypoints: f.points, sizes: new Float32Array(n), angles: new Float32Array(n), responses: new Float32Array(n), descriptors: f.descriptors, descriptorBytes: 32, imageSize: { width: 0, height: 0 }, scale: 1, extractor: 'orb-baseline' };
}

/** Plain brute-force kNN (k = 2) with the ratio test: no mutual check, no distance cap. */
const PLAIN_KNN = { ratio: ORB_BASELINE.ratio, mutual: false, maxDistanceFraction: 1 };

/**
 * Ratio-test survivors [probe index, gallery index] by OpenCV's BFMatcher (NORM_HAMMING,
 * knnMatch k = 2). Correct but slow in the WebAssembly build (20-300 ms per 1000 x 1000 pair on
 * this machine, loaded), so the 1:N search uses `survivors` below and checks it against this.
 */
export async function survivorsOpenCv(probe: OrbFeatures, gallery: OrbFeatures): Promise<number[]> {
  const cv = await loadOpenCv();
  using scope = new DisposeScope();
  if (probe.count < 2 || gallery.count < 2) return [];
  const pm = scope.track(cv.matFromArray(probe.count, 32, cv.CV_8UC1, probe.descriptors));
  const gm = scope.track(cv.matFromArray(gallery.count, 32, cv.CV_8UC1, gallery.descriptors));
  const bf = scope.track(new cv.BFMatcher(cv.NORM_HAMMING, false));
  const knn = scope.track(new cv.DMatchVectorVector());
  bf.knnMatch(pm, gm, knn, 2);
  const out: number[] = [];
  for (let k = 0; k < knn.size(); k++) {
    const v = knn.get(k);
    if (v.size() >= 2) {
      const a = v.get(0);
      const b = v.get(1);
      if (a.distance < ORB_BASELINE.ratio * b.distance) out.push(a.queryIdx, a.trainIdx);
    }
    v.delete();
  }
  return out;
}

/**
 * The same survivors by exhaustive Hamming distances in partprint's WebAssembly popcount kernel
 * (matchDescriptors with the mutual check and the distance cap switched off): the same nearest and
 * second-nearest distances, so the same ratio-test outcome; with a tie for nearest both
 * distances are equal and the ratio test drops the keypoint either way.
 */
export function survivors(probe: OrbFeatures, gallery: OrbFeatures): number[] {
  if (probe.count < 2 || gallery.count < 2) return [];
  return Array.from(matchDescriptors(asFeatureSet(probe), asFeatureSet(gallery), PLAIN_KNN).pairs);
}

/** The gallery's ORB features; 1:N by exhaustive comparison. */
export class OrbGallery {
  constructor(readonly entries: OrbFeatures[]) {}

  /** S of the probe against gallery entry i: RANSAC homography (OpenCV) on the ratio-test survivors. */
  async score(probe: OrbFeatures, i: number, pairs = survivors(probe, this.entries[i])): Promise<{ score: number; inliers: number }> {
    const g = this.entries[i];
    if (pairs.length < 16) return { score: 0, inliers: 0 };
    const src: number[] = [];
    const dst: number[] = [];
    for (let k = 0; k < pairs.length; k += 2) {
      src.push(probe.points[2 * pairs[k]], probe.points[2 * pairs[k] + 1]);
      dst.push(g.points[2 * pairs[k + 1]], g.points[2 * pairs[k + 1] + 1]);
    }
    const cv = await loadOpenCv();
    using scope = new DisposeScope();
    const s = scope.track(cv.matFromArray(src.length / 2, 1, cv.CV_32FC2, src));
    const d = scope.track(cv.matFromArray(dst.length / 2, 1, cv.CV_32FC2, dst));
    const inlierMask = scope.track(new cv.Mat());
    const h = scope.track(cv.findHomography(s, d, cv.RANSAC, ORB_BASELINE.ransacPx, inlierMask));
    let inliers = 0;
    if (!h.empty()) for (let k = 0; k < inlierMask.rows; k++) if (inlierMask.data[k]) inliers++;
    return { score: inliers / Math.min(probe.count, g.count), inliers };
  }

  /**
   * 1:N: the best-scoring gallery entry (exhaustive), and the score of entry `also` (the true
   * part, for genuine scores). RANSAC (2000 iterations in OpenCV, the slow step) runs in
   * decreasing order of the bound survivors / min(keypoints), which no S can exceed, and stops
   * once the bound falls below the best S found: the same best as scoring every entry.
   */
  async identify(probe: OrbFeatures, also = -1): Promise<{ best: number; bestScore: number; alsoScore: number; ransacRuns: number }> {
    const n = this.entries.length;
    const pairs = this.entries.map((_, i) => survivors(probe, this.entries[i]));
    const bound = pairs.map((p, i) => (p.length < 16 ? 0 : p.length / 2 / Math.min(probe.count, this.entries[i].count)));
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => bound[y] - bound[x] || x - y);
    let best = -1;
    let bestScore = 0;
    let alsoScore = also >= 0 ? NaN : 0;
    let ransacRuns = 0;
    for (const i of order) {
      if (bound[i] === 0 || bound[i] < bestScore) break;
      const s = (await this.score(probe, i, pairs[i])).score;
      ransacRuns++;
      if (i === also) alsoScore = s;
      if (s > bestScore || (s === bestScore && s > 0 && i < best)) {
        bestScore = s;
        best = i;
      }
    }
    if (Number.isNaN(alsoScore)) alsoScore = bound[also] === 0 ? 0 : (await this.score(probe, also, pairs[also])).score;
    return { best, bestScore, alsoScore, ransacRuns };
  }
}

export interface ProbeJob {
  i: number;
  file: string;
  /** Gallery index whose score is wanted too (the true part), or -1. */
  also: number;
  /** Also compare the fast survivors with cv.BFMatcher's on a few gallery entries. */
  check: boolean;
}

export interface ProbeResult {
  i: number;
  best: number;
  bestScore: number;
  alsoScore: number;
  ms: number;
  /** Pairs compared with cv.BFMatcher, and those whose survivors differed (must be 0). */
  checked: number;
  mismatches: string[];
}

/** One probe of the baseline: extract, identify, optionally check the kNN against OpenCV. */
export async function runProbe(index: OrbGallery, job: ProbeJob): Promise<ProbeResult> {
  const t = performance.now();
  const probe = await orbFeatures(await readGreyImage(job.file));
  const r = await index.identify(probe, job.also);
  const ms = performance.now() - t;
  let checked = 0;
  const mismatches: string[] = [];
  if (job.check) {
    for (const j of new Set([0, Math.floor(index.entries.length / 2), Math.max(0, r.best)])) {
      checked++;
      if (survivors(probe, index.entries[j]).join(',') !== (await survivorsOpenCv(probe, index.entries[j])).join(',')) mismatches.push(`${job.file} vs gallery #${j}`);
    }
  }
  return { i: job.i, best: r.best, bestScore: r.bestScore, alsoScore: r.alsoScore, ms, checked, mismatches };
}

/** Runs the probes in this thread, in order. (Worker threads were tried: OpenCV's WebAssembly build did not come up inside them here.) */
export async function runProbes(gallery: OrbFeatures[], jobs: ProbeJob[], onResult?: (done: number) => void): Promise<ProbeResult[]> {
  const index = new OrbGallery(gallery);
  const results: ProbeResult[] = [];
  for (const j of jobs) {
    results.push(await runProbe(index, j));
    onResult?.(results.length);
  }
  return results;
}
