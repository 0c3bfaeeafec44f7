/* Generated from schemas/model-card.schema.json by scripts/gen-model-card-type.ts (npm run gen:card-type). Do not edit. */

export interface PartprintSourceModelCard {
  schemaVersion: 1;
  name: string;
  attribute: string;
  /**
   * @minItems 2
   */
  classes: string[];
  input: {
    size: number;
    channels: 1;
    layout: 'NCHW';
    dtype: 'float32';
  };
  roi: {
    downscale: number;
    side: number;
    outputSize: number;
    minMeanFraction: number;
    rejectHalvingEvery: number;
    maxAttempts: number;
  };
  normalization: {
    mode: 'dataset' | 'per-roi';
    mean?: number;
    std?: number;
  };
  pixelSizeUm?: number | null;
  sampleSizeMm?: number | null;
  architecture: string;
  onnx: {
    file: string;
    opset: number;
    inputName: string;
    outputName: string;
  };
  training: {
    epochs: number;
    batchSize: number;
    optimizer: 'lamb' | 'adamw';
    optimizerNote?: string;
    lr?: number;
    weightDecay?: number;
    lrDecay?: number;
    /**
     * training steps only, summed over epochs (see secondsCounts)
     */
    seconds?: number;
    hardware?: string;
    torchVersion?: string;
    /**
     * training ROIs per second of training steps, leaving out the process's first (warm-up) epoch
     */
    imagesPerSecond?: number;
    /**
     * what training.seconds counts, in words
     */
    secondsCounts?: string;
    loopWallSeconds?: number;
    imagesPerSecondCounts?: string;
    roisPerPart?: number;
    labelSmoothing?: number;
    ema?: number;
    epochsRun?: number;
    [k: string]: unknown;
  };
  data?: {
    [k: string]: unknown;
  };
  metrics?: {
    [k: string]: unknown;
  };
  openSet?: {
    method: 'max-vote-share' | 'max-softmax' | 'max-logit' | 'energy' | 'logit-cosine';
    threshold: number;
    unknownRecall?: number;
    knownAccuracyLoss?: number;
    [k: string]: unknown;
  };
  /**
   * Out-of-distribution check of a part's ROI statistics against the training images of the predicted class (src/source/confidence.ts): brightness/contrast z-scores, a Mahalanobis distance over texture statistics (texture), and the open-set score
   */
  inputCheck?: {
    statistic: 'roi-mean-and-log-contrast-z';
    perClass: {
      [k: string]: {
        /**
         * @minItems 2
         * @maxItems 2
         */
        mean: number[];
        /**
         * @minItems 2
         * @maxItems 2
         */
        sd: number[];
      };
    };
    threshold: number;
    valFlaggedShare?: number;
    openSetThreshold?: number;
    calibratedOn?: string;
    /**
     * Per-class Gaussian of the part's mean ROI texture statistics (features, in this order), fitted on the training split; a part whose squared Mahalanobis distance to its predicted class exceeds threshold is low confidence
     */
    texture?: {
      /**
       * @minItems 1
       */
      features: string[];
      perClass: {
        [k: string]: {
          mean: number[];
          /**
           * inverse of the shrunk covariance, row-major rows
           */
          precision: number[][];
        };
      };
      threshold: number;
      shrinkage?: number;
      valShare?: number;
    };
    [k: string]: unknown;
  };
  /**
   * Temperature scaling of the logits, fitted on the validation split (per-ROI NLL)
   */
  calibration?: {
    temperature: number;
    valNllBefore?: number;
    valNllAfter?: number;
    calibratedOn?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
