/**
 * Plain records passed between the identity stages (LightGlue style): each stage takes one and
 * returns the next, so any stage can be tested, stored or replaced on its own.
 */

/** Which keypoint detector + binary descriptor a FeatureSet came from. */
export type ExtractorKind = 'akaze' | 'orb';

/**
 * Keypoints and binary descriptors of one capture.
 * - `keypoints`: N x 2 (x, y) in pixels of the normalised image, row-major.
 * - `sizes`, `angles` (degrees), `responses`: N each.
 * - `descriptors`: N x `descriptorBytes` bytes, row-major.
 */
export interface FeatureSet {
  keypoints: Float32Array;
  sizes: Float32Array;
  angles: Float32Array;
  responses: Float32Array;
  descriptors: Uint8Array;
  descriptorBytes: number;
  /** Size of the normalised image the keypoints refer to. */
  imageSize: { width: number; height: number };
  /** Scale from the original capture's pixels to the normalised image's pixels. */
  scale: number;
  /** Extractor identity and version, e.g. "akaze-mldb/1"; a change means re-extraction. */
  extractor: string;
  /** The capture's fine texture for the dense residual check (verify/texture.ts), when the profile keeps one. */
  texture?: TextureMap | null;
}

/** A reduced, high-passed copy of the normalised capture: int8 z-scores x 32, row-major. */
export interface TextureMap {
  width: number;
  height: number;
  /** Map pixels per normalised-image pixel. */
  scale: number;
  data: Int8Array;
}

/** Putative correspondences: index pairs into the two FeatureSets plus descriptor distances. */
export interface Matches {
  /** M x 2 (index in A, index in B). */
  pairs: Uint32Array;
  distances: Uint16Array;
  count: number;
}

export type TransformModel = 'similarity' | 'affine' | 'homography';

/** The estimated transform from image A to image B (3 x 3, row-major) and which pairs agree. */
export interface GeometricResult {
  model: TransformModel;
  /** 3 x 3 row-major matrix mapping A's (x, y, 1) to B's; null when no estimate was possible. */
  matrix: number[] | null;
  /** Per putative pair: 1 when the pair is an inlier. Length = matches.count. */
  inlierMask: Uint8Array;
  inliers: number;
  /** Median reprojection error of the inliers, pixels. */
  medianError: number;
}

/** Which normalisation turned n_inlier into the score a decision used. */
export type ScoreKind = 'inlier-ratio' | 'inlier-min';

/**
 * What a registry decision compares with its threshold: a pair score, or `individual`, the
 * inlier ratio after removing the inliers the probe shares with the other parts of its cohort
 * (verify/cohort.ts), or `residual`, the correlation of the fine texture with the cohort's mean
 * subtracted (verify/texture.ts).
 */
export type DecisionScoreKind = ScoreKind | 'individual' | 'residual';

export interface Score {
  /** The value compared with the threshold. */
  value: number;
  kind: ScoreKind;
  inliers: number;
  /** Feature points of both images: N_A + N_B. */
  total: number;
  /** S = n_inlier / N_total, as published (always reported). */
  inlierRatio: number;
  /** n_inlier / min(N_A, N_B). */
  inlierMin: number;
}

/** A capture that cannot identify, with the reason as a value (not an exception). */
export interface QualityReport {
  ok: boolean;
  /** Machine-readable reason when rejected: 'too-small', 'too-dark', 'too-bright', 'no-texture', 'blurred', 'too-few-keypoints'. */
  reason: QualityReason | null;
  /** Human explanation naming the measurement and its limit. */
  message: string;
  metrics: { width: number; height: number; mean: number; std: number; laplacianVar: number; keypoints?: number };
}

export type QualityReason = 'too-small' | 'too-dark' | 'too-bright' | 'no-texture' | 'blurred' | 'too-few-keypoints';
