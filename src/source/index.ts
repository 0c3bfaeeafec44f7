/** Source identification: dataset export, ROI sampling, ONNX inference and voting, open set, evaluation. */
export {
  DEFAULT_ROI_SPEC,
  buildRoiTensor,
  cropRoi,
  downscaleBox,
  normaliseRois,
  resizeBilinear,
  sampleRois,
  type Normalization,
  type RoiBox,
  type RoiSpec,
  type RoiTensor,
  type SampleOptions,
} from './roi.js';
export { modelCardSchema, readModelCard, sampleSizeMm, validateModelCard, writeModelCard, type ModelCard, type OpenSetRule } from './card.js';
export { validateJson, type JsonSchema } from './schema.js';
export { loadSourceModel, type LoadModelOptions, type SourceModel } from './model.js';
export { openSetScore, softmaxRows, voteRois, type Vote } from './vote.js';
export { isUnknown, predictSource, type PredictOptions, type SourcePrediction } from './predict.js';
export { calibrateOpenSet, type CalibrateOptions, type KnownScore, type OpenSetCalibration } from './open-set.js';
