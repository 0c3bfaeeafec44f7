/** The fingerprint stage composed: capture -> normalised image -> quality gate -> FeatureSet. */
import type { GreyImage } from '../../imaging/index.js';
import { DEFAULT_EXTRACT_OPTIONS, extractFeatures, extractorVersion, type ExtractOptions } from './extract.js';
import { DEFAULT_NORMALISE_OPTIONS, normaliseCapture, type NormalisedCapture, type NormaliseOptions } from './normalise.js';
import { assessImageQuality, checkKeypointCount, DEFAULT_QUALITY_OPTIONS, type QualityOptions } from './quality.js';
import type { FeatureSet, QualityReport } from '../types.js';
import { textureMap, type TextureOptions } from '../verify/texture.js';

export interface FingerprintOptions {
  normalise: NormaliseOptions;
  quality: QualityOptions;
  extract: ExtractOptions;
  /** Keep a texture map for the dense residual check; null = keypoints only. */
  texture: TextureOptions | null;
}

export const DEFAULT_FINGERPRINT_OPTIONS: FingerprintOptions = {
  normalise: DEFAULT_NORMALISE_OPTIONS,
  quality: DEFAULT_QUALITY_OPTIONS,
  extract: DEFAULT_EXTRACT_OPTIONS,
  texture: null,
};

export interface PartialFingerprintOptions {
  normalise?: Partial<NormaliseOptions>;
  quality?: Partial<QualityOptions>;
  extract?: Partial<ExtractOptions>;
  texture?: TextureOptions | null;
}

export function resolveFingerprintOptions(options: PartialFingerprintOptions = {}): FingerprintOptions {
  return {
    normalise: { ...DEFAULT_FINGERPRINT_OPTIONS.normalise, ...options.normalise },
    quality: { ...DEFAULT_FINGERPRINT_OPTIONS.quality, ...options.quality },
    extract: { ...DEFAULT_FINGERPRINT_OPTIONS.extract, ...options.extract },
    texture: options.texture === undefined ? DEFAULT_FINGERPRINT_OPTIONS.texture : options.texture,
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
  const texture = o.texture ? `;tx${o.texture.scale}s${o.texture.sigma}` : '';
  return `${extractorVersion(o.extract)};${clahe}${local};max${n.maxSide};um${n.canonicalPixelSizeUm ?? 'native'}${texture}`;
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
  return fingerprintNormalised(await normaliseCapture(img, o.normalise), o);
}

/** The quality gate and extraction of `fingerprintImage` on an already normalised capture. */
export async function fingerprintNormalised(normalised: NormalisedCapture, options: PartialFingerprintOptions = {}): Promise<FingerprintResult> {
  const o = resolveFingerprintOptions(options);
  const q = await assessImageQuality(normalised.image, normalised.mask, o.quality);
  if (!q.ok) return { quality: q, features: null, normalised };
  // A low-contrast surface (or a small working image) can leave the detector with too few points
  // at the profile's threshold: lower it (4x, twice) before giving up, rather than reject every
  // capture of such a surface.
  let features = await extractNormalised(normalised, o.extract);
  for (let k = 1; k <= o.extract.adaptiveSteps && features.sizes.length < 2 * o.quality.minKeypoints && o.extract.kind === 'akaze'; k++) {
    features = await extractNormalised(normalised, { ...o.extract, akazeThreshold: o.extract.akazeThreshold / 4 ** k });
  }
  features.extractor = fingerprintVersion(o);
  if (o.texture) features.texture = await textureMap(normalised.image, o.texture);
  return { quality: checkKeypointCount(q, features.sizes.length, o.quality), features, normalised };
}

/**
 * Keypoints and descriptors of a normalised capture with other extraction settings (the probe's
 * denser shortlist extraction reuses the normalisation of its fingerprint instead of redoing it).
 */
export function extractNormalised(normalised: NormalisedCapture, extract: Partial<ExtractOptions>): Promise<FeatureSet> {
  return extractFeatures(normalised.image, { ...DEFAULT_EXTRACT_OPTIONS, ...extract }, normalised.mask, normalised.scale);
}
