/**
 * The composed pipeline: capture -> normalised image -> quality gate -> FeatureSet, and
 * FeatureSet pair -> matches -> geometry -> score -> decision (`verifyPair`).
 */
import type { GreyImage } from '../imaging/index.js';
import { DEFAULT_EXTRACT_OPTIONS, extractFeatures, extractorVersion, type ExtractOptions } from './extract.js';
import { DEFAULT_GEOMETRY_OPTIONS, estimateTransform, type GeometryOptions } from './geometry.js';
import { DEFAULT_MATCH_OPTIONS, matchDescriptors, type MatchOptions } from './match.js';
import { DEFAULT_NORMALISE_OPTIONS, normaliseCapture, type NormalisedCapture, type NormaliseOptions } from './normalise.js';
import { assessImageQuality, checkKeypointCount, DEFAULT_QUALITY_OPTIONS, type QualityOptions } from './quality.js';
import { computeScore } from './score.js';
import type { FeatureSet, GeometricResult, Matches, QualityReport, Score, ScoreKind } from './types.js';

export interface FingerprintOptions {
  normalise: NormaliseOptions;
  quality: QualityOptions;
  extract: ExtractOptions;
}

export const DEFAULT_FINGERPRINT_OPTIONS: FingerprintOptions = {
  normalise: DEFAULT_NORMALISE_OPTIONS,
  quality: DEFAULT_QUALITY_OPTIONS,
  extract: DEFAULT_EXTRACT_OPTIONS,
};

export interface PartialFingerprintOptions {
  normalise?: Partial<NormaliseOptions>;
  quality?: Partial<QualityOptions>;
  extract?: Partial<ExtractOptions>;
}

export function resolveFingerprintOptions(options: PartialFingerprintOptions = {}): FingerprintOptions {
  return {
    normalise: { ...DEFAULT_FINGERPRINT_OPTIONS.normalise, ...options.normalise },
    quality: { ...DEFAULT_FINGERPRINT_OPTIONS.quality, ...options.quality },
    extract: { ...DEFAULT_FINGERPRINT_OPTIONS.extract, ...options.extract },
  };
}

/**
 * The version stored with a fingerprint: extractor, its parameters and the normalisation that
 * changes what it sees. A stored fingerprint with another version is re-extracted.
 */
export function fingerprintVersion(options: PartialFingerprintOptions = {}): string {
  const o = resolveFingerprintOptions(options);
  const n = o.normalise;
  const clahe = n.clahe ? `clahe${n.clahe.clipLimit}x${n.clahe.tileGrid}` : 'raw';
  const local = n.localNormalise ? `;ln${n.localNormalise.sigma}s${n.localNormalise.minStd}` : '';
  return `${extractorVersion(o.extract)};${clahe}${local};max${n.maxSide};um${n.canonicalPixelSizeUm ?? 'native'}`;
}

export interface FingerprintResult {
  quality: QualityReport;
  /** Null when the capture was rejected before extraction; present (possibly too small) otherwise. */
  features: FeatureSet | null;
  normalised: NormalisedCapture;
}

/**
 * Normalises a capture, checks its quality and extracts its fingerprint. A rejected capture comes
 * back with `quality.ok === false` and the reason; it is not an exception.
 *
 * @example
 *   const fp = await fingerprintImage(await readGreyImage('part.png'));
 *   if (!fp.quality.ok) throw new Error(fp.quality.message);
 */
export async function fingerprintImage(img: GreyImage, options: PartialFingerprintOptions = {}): Promise<FingerprintResult> {
  const o = resolveFingerprintOptions(options);
  const normalised = await normaliseCapture(img, o.normalise);
  const q = await assessImageQuality(normalised.image, normalised.mask, o.quality);
  if (!q.ok) return { quality: q, features: null, normalised };
  const features = await extractFeatures(normalised.image, o.extract, normalised.mask, normalised.scale);
  features.extractor = fingerprintVersion(o);
  return { quality: checkKeypointCount(q, features.sizes.length, o.quality), features, normalised };
}

export interface VerifyOptions {
  match: MatchOptions;
  geometry: GeometryOptions;
  scoreKind: ScoreKind;
  /** Same item when score.value >= threshold. */
  threshold: number;
  /** And at least this many inliers (guards tiny feature sets). */
  minInliers: number;
}

export const DEFAULT_VERIFY_OPTIONS: VerifyOptions = {
  match: DEFAULT_MATCH_OPTIONS,
  geometry: DEFAULT_GEOMETRY_OPTIONS,
  scoreKind: 'inlier-ratio',
  threshold: 0.02,
  minInliers: 8,
};

export interface PartialVerifyOptions {
  match?: Partial<MatchOptions>;
  geometry?: Partial<GeometryOptions>;
  scoreKind?: ScoreKind;
  threshold?: number;
  minInliers?: number;
}

export interface VerifyResult {
  /** True when the two captures are judged to show the same item. */
  same: boolean;
  score: Score;
  threshold: number;
  matches: Matches;
  geometry: GeometricResult;
  /** A sentence explaining the decision. */
  reason: string;
}

/**
 * Compares two fingerprints: putative pairs, geometric verification, score and decision.
 *
 * @example
 *   const r = await verifyPair(probe.features, gallery.features, { threshold: 0.03 });
 *   console.log(r.same, r.score.value, r.score.kind);
 */
export async function verifyPair(a: FeatureSet, b: FeatureSet, options: PartialVerifyOptions = {}): Promise<VerifyResult> {
  const o: VerifyOptions = {
    ...DEFAULT_VERIFY_OPTIONS,
    ...options,
    match: { ...DEFAULT_VERIFY_OPTIONS.match, ...options.match },
    geometry: { ...DEFAULT_VERIFY_OPTIONS.geometry, ...options.geometry },
  };
  const matches = matchDescriptors(a, b, o.match);
  const geometry = await estimateTransform(a, b, matches, o.geometry);
  const score = computeScore(a, b, geometry.inliers, o.scoreKind);
  const same = score.value >= o.threshold && geometry.inliers >= o.minInliers;
  let reason: string;
  if (a.extractor !== b.extractor) reason = `fingerprints come from different extractors (${a.extractor} vs ${b.extractor}); re-extract`;
  else if (same) reason = `${geometry.inliers} inliers, score ${score.value.toFixed(4)} (${score.kind}) >= threshold ${o.threshold}`;
  else if (geometry.inliers < o.minInliers) reason = `only ${geometry.inliers} geometrically consistent pairs (< ${o.minInliers})`;
  else reason = `score ${score.value.toFixed(4)} (${score.kind}) < threshold ${o.threshold}`;
  return { same: same && a.extractor === b.extractor, score, threshold: o.threshold, matches, geometry, reason };
}
