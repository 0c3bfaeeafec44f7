/**
 * Individual identity ("fingerprint of things"): normalise a capture, gate its quality, extract
 * keypoints + binary descriptors, match, verify geometrically, score, decide, calibrate.
 */
export * from './types.js';
export { DEFAULT_NORMALISE_OPTIONS, normaliseCapture, type NormalisedCapture, type NormaliseOptions, type Region } from './normalise.js';
export { assessImageQuality, checkKeypointCount, DEFAULT_QUALITY_OPTIONS, type QualityOptions } from './quality.js';
export { DEFAULT_EXTRACT_OPTIONS, extractFeatures, extractorVersion, featureCount, type ExtractOptions } from './extract.js';
export { DEFAULT_MATCH_OPTIONS, matchDescriptors, type MatchOptions } from './match.js';
export { applyTransform, DEFAULT_GEOMETRY_OPTIONS, estimateTransform, toOriginalPixels, type GeometryOptions } from './geometry.js';
export { computeScore } from './score.js';
export {
  DEFAULT_FINGERPRINT_OPTIONS,
  DEFAULT_VERIFY_OPTIONS,
  fingerprintImage,
  fingerprintVersion,
  resolveFingerprintOptions,
  verifyPair,
  type FingerprintOptions,
  type FingerprintResult,
  type PartialFingerprintOptions,
  type PartialVerifyOptions,
  type VerifyOptions,
  type VerifyResult,
} from './pipeline.js';
export { calibrateScores, errorRatesAt, thresholdForFmr, type Calibration, type OperatingPoint } from './calibrate.js';
export { renderDetSvg, renderHistogramSvg } from './plots.js';
export { decodeFeatureSet, encodeFeatureSet } from './serialise.js';
export { DEFAULT_EVIDENCE_OPTIONS, renderEvidencePng, type EvidenceOptions } from './evidence.js';
export { IdentityService, FINGERPRINT_KIND, REGISTRY_FINGERPRINT_OPTIONS, scoreLabelled, type Candidate, type IdentifyOutcome, type RegisterOutcome, type VerifyOutcome, type IdentityServiceOptions } from './service.js';
export { DEFAULT_IDENTITY_SETTINGS, loadIdentitySettings, readProfileNameSync, saveIdentitySettings, type IdentitySettings } from './settings.js';
export { IDENTITY_PROFILES, PROFILE_NAMES, resolveProfile, type IdentityProfile, type ProfileName } from './profiles.js';
export { DEFAULT_SHORTLIST_OPTIONS, ShortlistIndex, type ShortlistHit, type ShortlistMeta, type ShortlistOptions } from './shortlist.js';
export { DEFAULT_USEARCH_SHORTLIST_OPTIONS, UsearchShortlist, type UsearchShortlistOptions } from './shortlist-usearch.js';
export { evaluateLabelled, readLabelledFolder, type Evaluation, type EvaluationOptions } from './evaluate.js';
export { makeFlat, makeTexture, recapture, type RecaptureOptions } from './test-images.js';
export { REGISTRY_MATCH_OPTIONS } from './service.js';
