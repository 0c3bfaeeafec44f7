/**
 * The plain OpenCV baseline for individual identity: ORB with 1000 features at native size, brute-
 * force Hamming kNN (k = 2) with Lowe's ratio test at 0.8, a RANSAC homography (reprojection
 * 5 px), S = inliers / min(keypoints of the two images); 1:N = the best S over the gallery
 * (exhaustive). Through the project's OpenCV wrapper; every Mat and vector is freed.
 */
import { DisposeScope } from '../src/core/index.js';
import { loadOpenCv, type GreyImage, type OpenCv } from '../src/imaging/index.js';

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

/** Gallery descriptors kept as OpenCV Mats for the whole evaluation; `dispose()` frees them. */
export class OrbGallery implements Disposable {
  private readonly mats: unknown[] = [];
  private constructor(private readonly cv: OpenCv, readonly entries: OrbFeatures[]) {
    for (const e of entries) this.mats.push(e.count > 0 ? cv.matFromArray(e.count, 32, cv.CV_8UC1, e.descriptors) : null);
  }

  static async build(entries: OrbFeatures[]): Promise<OrbGallery> {
    return new OrbGallery(await loadOpenCv(), entries);
  }

  /** S of the probe against gallery entry i. */
  score(probe: OrbFeatures, probeMat: unknown, i: number): { score: number; inliers: number } {
    const g = this.entries[i];
    const gm = this.mats[i];
    if (!gm || probe.count < 2 || g.count < 2) return { score: 0, inliers: 0 };
    const cv = this.cv;
    using scope = new DisposeScope();
    const bf = scope.track(new cv.BFMatcher(cv.NORM_HAMMING, false));
    const knn = scope.track(new cv.DMatchVectorVector());
    bf.knnMatch(probeMat, gm, knn, 2);
    const src: number[] = [];
    const dst: number[] = [];
    for (let k = 0; k < knn.size(); k++) {
      const v = knn.get(k);
      if (v.size() >= 2) {
        const a = v.get(0);
        const b = v.get(1);
        if (a.distance < ORB_BASELINE.ratio * b.distance) {
          src.push(probe.points[2 * a.queryIdx], probe.points[2 * a.queryIdx + 1]);
          dst.push(g.points[2 * a.trainIdx], g.points[2 * a.trainIdx + 1]);
        }
      }
      v.delete();
    }
    if (src.length < 8) return { score: 0, inliers: 0 };
    const s = scope.track(cv.matFromArray(src.length / 2, 1, cv.CV_32FC2, src));
    const d = scope.track(cv.matFromArray(dst.length / 2, 1, cv.CV_32FC2, dst));
    const inlierMask = scope.track(new cv.Mat());
    const h = scope.track(cv.findHomography(s, d, cv.RANSAC, ORB_BASELINE.ransacPx, inlierMask));
    let inliers = 0;
    if (!h.empty()) for (let k = 0; k < inlierMask.rows; k++) if (inlierMask.data[k]) inliers++;
    return { score: inliers / Math.min(probe.count, g.count), inliers };
  }

  /** 1:N: the best-scoring gallery entry, and every entry's score. */
  identify(probe: OrbFeatures): { best: number; bestScore: number; scores: Float32Array } {
    const cv = this.cv;
    const scores = new Float32Array(this.entries.length);
    let best = -1;
    let bestScore = -1;
    if (probe.count === 0) return { best, bestScore: 0, scores };
    using scope = new DisposeScope();
    const pm = scope.track(cv.matFromArray(probe.count, 32, cv.CV_8UC1, probe.descriptors));
    for (let i = 0; i < this.entries.length; i++) {
      scores[i] = this.score(probe, pm, i).score;
      if (scores[i] > bestScore) {
        bestScore = scores[i];
        best = i;
      }
    }
    return { best, bestScore, scores };
  }

  [Symbol.dispose](): void {
    for (const m of this.mats) (m as { delete(): void } | null)?.delete();
    this.mats.length = 0;
  }
}
