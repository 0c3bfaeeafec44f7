/**
 * Individual identity ("fingerprint of things"): normalise a capture, gate its quality, extract
 * keypoints + binary descriptors, match, verify geometrically, score, decide, calibrate.
 */
export * from './types.js';
export { DEFAULT_NORMALISE_OPTIONS, normaliseCapture, type NormalisedCapture, type NormaliseOptions, type Region } from './fingerprint/normalise.js';
export { assessImageQuality, checkKeypointCount, DEFAULT_QUALITY_OPTIONS, type QualityOptions } from './fingerprint/quality.js';
export { DEFAULT_EXTRACT_OPTIONS, extractFeatures, extractorVersion, featureCount, type ExtractOptions } from './fingerprint/extract.js';
export { DEFAULT_MATCH_OPTIONS, matchDescriptors, type MatchOptions } from './verify/match.js';
export { applyTransform, DEFAULT_GEOMETRY_OPTIONS, estimateTransform, toOriginalPixels, type GeometryOptions } from './verify/geometry.js';
export { computeScore } from './verify/score.js';
export {
  DEFAULT_FINGERPRINT_OPTIONS,
  extractNormalised,
  fingerprintImage,
  fingerprintNormalised,
  fingerprintVersion,
  resolveFingerprintOptions,
  type FingerprintOptions,
  type FingerprintResult,
  type PartialFingerprintOptions,
} from './fingerprint/fingerprint.js';
export { DEFAULT_VERIFY_OPTIONS, verifyPair, type PartialVerifyOptions, type VerifyOptions, type VerifyResult } from './verify/verify.js';
export { calibrateScores, errorRatesAt, thresholdForFmr, type Calibration, type OperatingPoint } from './evaluate/calibrate.js';
export { renderDetSvg, renderHistogramSvg } from './evaluate/plots.js';
export { decodeFeatureSet, encodeFeatureSet } from './fingerprint/serialise.js';
export { DEFAULT_EVIDENCE_OPTIONS, renderEvidencePng, type EvidenceOptions } from './evaluate/evidence.js';
export {
  IdentityService,
  FINGERPRINT_KIND,
  REGISTRY_FINGERPRINT_OPTIONS,
  SHORTLIST_PROBE_EXTRACT,
  type Candidate,
  type Decision,
  type FingerprintFailure,
  type IdentifyDecision,
  type IdentifyOutcome,
  type RegisterOutcome,
  type VerifyDecision,
  type VerifyOutcome,
  type IdentityServiceOptions,
  type IdentityCompute,
  type RankEntry,
  type RankOptions,
} from './service.js';
export { decideVerified, pairOptions, rankGallery, rankVerified, verifyGallery, type GalleryEntry, type GalleryRanking, type RankProfile, type Verified } from './rank.js';
export { cohortScores, DEFAULT_COHORT_OPTIONS, probeInliers, type CohortEntry, type CohortOptions, type CohortScore } from './verify/cohort.js';
export { relight, relightImage, relitFingerprint } from './fingerprint/relight.js';
export { DEFAULT_SYNTHETIC_RECAPTURE_OPTIONS, syntheticRecapture, type SyntheticRecaptureOptions } from './evaluate/synthetic-recapture.js';
export { DEFAULT_IDENTITY_SETTINGS, loadIdentitySettings, readProfileNameSync, saveIdentitySettings, type IdentitySettings } from './settings.js';
export { IDENTITY_PROFILES, PROFILE_NAMES, resolveFingerprintFor, resolveProfile, type IdentityProfile, type ProfileName, type RelightOptions } from './profiles.js';
export { DEFAULT_SHORTLIST_OPTIONS, ShortlistIndex, type ShortlistHit, type ShortlistMeta, type ShortlistOptions } from './shortlist/shortlist.js';
export type { Shortlist } from './shortlist/store.js';
export { ShortlistThread } from './shortlist/thread.js';
export { evaluateLabelled, readLabelledFolder, type Evaluation, type EvaluationOptions } from './evaluate/evaluate.js';
export { REGISTRY_MATCH_OPTIONS } from './service.js';
