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
export { modelCardSchema, readModelCard, sampleSizeMm, syntheticGenerator, syntheticSplitCounts, validateModelCard, writeModelCard, type JsonSchema, type ModelCard, type OpenSetRule, type SyntheticGenerator } from './card.js';
export { loadSourceModel, type LoadModelOptions, type SourceModel } from './model.js';
export { OPEN_SET_METHODS, isOpenSetMethod, openSetScore, softmaxRows, voteRois, type OpenSetMethod, type Vote } from './vote.js';
export { isUnknown, predictSource, type PredictOptions, type SourcePrediction } from './predict.js';
export { DEFAULT_OPEN_SET_METHOD, calibrateOpenSet, openSetAuroc, type CalibrateOptions, type KnownScore, type OpenSetCalibration } from './open-set.js';
export { parseCsv, formatCsv } from './csv.js';
export { checkNoLeak, planSplit, type DatasetCandidate, type SplitCounts, type SplitName, type SplitOptions, type SplitPlan } from './split.js';
export { candidatesFromManifest, readDataset, writeDataset, type DatasetFile, type DatasetItem, type WriteDatasetOptions } from './dataset.js';
export { cropImage, matchSheetPositions, otsuThreshold, segmentSheet, type SegmentOptions, type SheetComponent, type SheetMatch, type SheetPosition } from './segment.js';
export {
  DEFAULT_ROI_COUNTS,
  adjacent,
  evaluateSource,
  isGridAttribute,
  parseGridPosition,
  writeEvaluation,
  type EvaluateOptions,
  type EvaluationReport,
  type ItemResult,
} from './evaluate.js';
export { confusionSvg, lineChartSvg, reliabilitySvg, type Series } from './svg.js';
export {
  activateModel,
  activeModel,
  candidatesFromRegistry,
  latestCaptureImage,
  listModels,
  registerModel,
  type RegisteredModel,
} from './registry-source.js';
export { PYTHON, missingPythonModules, runTrainer, trainerDir, type RunTrainerOptions } from './train.js';
export { runSweep, type SweepOptions, type SweepPoint } from './sweep.js';
export { segmentSheets, type SegmentSheetsOptions, type SegmentSheetsResult } from './segment-sheets.js';
export { baselineProbabilities, fitPcaLda, textureFeatures, type BaselineModel } from './baseline.js';
export { compareWithBaseline, evaluateBaseline, fitBaseline, type BaselineOptions, type BaselineReport, type FittedBaseline } from './baseline-run.js';
export { assessConfidence, calibrateInputCheck, fitInputStatistics, fitTemperature, reliability, type ConfidenceAssessment, type InputCheck, type InputStats } from './confidence.js';
export { calibrateConfidence, type ConfidenceCalibration } from './calibrate-confidence.js';
