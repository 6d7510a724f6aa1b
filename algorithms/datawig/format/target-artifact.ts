/**
 * `target.json`: one trained target model (one imputed column) — what it predicts, its featurizer
 * and network specs, its calibration and validation figures, and how it was trained. The weights
 * are in `weights.bin` beside it (format/weights.ts).
 */
import type { ColumnType, FeaturizerSpec, TokenKind } from './featurizer-spec.js';
import type { NetSpec } from './net-spec.js';

export const TARGET_FORMAT = 'datawig-target/1';

export type Task = 'classification' | 'regression';

/** How the network is trained: Adam, mini-batches, early stopping on the validation loss. */
export interface TrainingSettings {
  learningRate: number;
  /** L2 penalty on the weight matrices. */
  weightDecay: number;
  batchSize: number;
  /** Maximum epochs. */
  epochs: number;
  /** Epochs without validation-loss improvement before stopping. */
  patience: number;
  /** Seed of the initialisation and the shuffling. */
  seed: number;
}

/** The settings one target model was fitted with (from the hyperparameters, or a search candidate). */
export interface TargetConfig extends TrainingSettings {
  tokens: 'auto' | TokenKind;
  wordRange: [number, number];
  charRange: [number, number];
  buckets: number;
  maxTokens: number;
  latentDim: number;
  numericLatentDim: number;
  numericHiddenLayers: number;
  fcHidden: number[];
  classWeights: string | undefined;
  missingTokens: string[];
  tfidf: boolean;
  /** Regression: clamp served values to the training labels' range (absent in older models: true). */
  clipRegression?: boolean;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy?: number;
  valRmse?: number;
}

export interface ClassReport {
  accuracy: number;
  macroF1: number;
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  /** confusion[true][predicted]; the last row counts labels unknown to the model. */
  confusion: number[][];
}

/**
 * Per class, for thresholds s/100: the precision and count of validation rows predicted as that
 * class with probability >= the threshold.
 */
export interface PrecisionCurves {
  precision: number[][];
  count: number[][];
}

export interface TargetArtifact {
  format: typeof TARGET_FORMAT;
  label: string;
  task: Task;
  classes: string[];
  labelMean: number;
  labelStd: number;
  /** Regression: [min, max] of the labels seen in training; served values are clamped to it. */
  labelRange?: [number, number];
  featurizer: FeaturizerSpec;
  featureTypes: Record<string, ColumnType>;
  net: NetSpec;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  temperature: number;
  config: TargetConfig;
  metrics: Record<string, number>;
  report?: ClassReport;
  curves?: PrecisionCurves;
  /** Training class prior and validation joint P(predicted, true), for label-shift estimation. */
  trainPrior?: number[];
  valJoint?: number[][];
  explanations?: Record<string, string[]>;
  history: EpochReport[];
}
