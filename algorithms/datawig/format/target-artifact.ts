/**
 * `target.json`: one trained target model (one imputed column) — what it predicts, its featurizer
 * and network specs, its calibration and validation figures, and how it was trained. The weights
 * are in `weights.bin` beside it (format/weights.ts).
 */
import type { ColumnType, FeaturizerSpec, TokenKind } from './featurizer-spec.js';
import type { GbdtModel } from './gbdt-format.js';
import type { LinearSpec } from './linear-format.js';
import type { NetSpec } from './net-spec.js';

export const TARGET_FORMAT = 'datawig-target/1';

export type Task = 'classification' | 'regression';

/** A model family one target's prediction can come from. */
export type ModelFamily = 'network' | 'trees' | 'linear' | 'constant';

/** The `model_family` hyperparameter: one family pinned, the weighted ensemble, or the best on validation rows. */
export type FamilyChoice = 'auto' | 'network' | 'trees' | 'linear' | 'ensemble';

/**
 * One family in the served prediction: classes mix the members' probabilities softmax(score / temperature)
 * with these weights; numbers mix their standardised values.
 */
export interface FamilyMember {
  family: ModelFamily;
  weight: number;
  temperature: number;
}

/** A family (or the ensemble) tried on the validation rows, for the training report. */
export interface FamilyCandidate {
  family: ModelFamily | 'ensemble';
  /** Validation loss: calibrated mean log-loss for classes, mean squared error of the standardised value for numbers. */
  loss: number | null;
}

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

/** One bin of a reliability diagram: the validation rows whose top-class probability falls in it. */
export interface ReliabilityBin {
  /** Mean top-class probability of the bin's rows. */
  confidence: number;
  /** Share of them predicted right. */
  accuracy: number;
  count: number;
}

/** Bins of the reliability diagrams (equal widths over [0, 1]). */
export const RELIABILITY_BINS = 10;
/** At most this many (predicted, true) pairs are kept for a numeric target's report. */
export const MAX_REPORT_PAIRS = 500;

/** Validation figures kept for the training report only (absent in models from before reports). */
export interface TargetDiagnostics {
  /** Seconds the kept fit of this target took. */
  seconds?: number;
  /** Classification: share of the validation rows of the most frequent training class (what always predicting it scores). */
  majorityAccuracy?: number;
  /** Classification: mean validation log-loss before temperature scaling (metrics.loss_calibrated is after it). */
  lossUncalibrated?: number;
  /** Classification: reliability bins of the top-class probability before and after calibration. */
  reliability?: { before: ReliabilityBin[]; after: ReliabilityBin[] };
  /** Regression: up to MAX_REPORT_PAIRS validation rows, evenly spaced: the served value and the label. */
  predictedVsTrue?: { predicted: number[]; actual: number[] };
}

export interface TargetArtifact {
  format: typeof TARGET_FORMAT;
  label: string;
  task: Task;
  classes: string[];
  labelMean: number;
  labelStd: number;
  /**
   * Regression: `log` when the labels were modelled as log(1 + y) (non-negative, heavy-tailed
   * labels); labelMean / labelStd are then of that scale. Absent: the labels as they are.
   */
  labelTransform?: 'log';
  /** Regression: [min, max] of the labels seen in training; served values are clamped to it. */
  labelRange?: [number, number];
  /**
   * Regression: the decimals the training labels were written with (0: integers); served values
   * are rounded to them. Absent in older models: 4 decimals.
   */
  labelDecimals?: number;
  featurizer: FeaturizerSpec;
  featureTypes: Record<string, ColumnType>;
  /**
   * What serves: one family or a weighted ensemble (absent in models from before families: the
   * network alone). `members` lists the families mixed; each family's payload is below.
   */
  family?: ModelFamily | 'ensemble';
  members?: FamilyMember[];
  /** The families tried on the validation rows, the selected one included. */
  candidates?: FamilyCandidate[];
  /** The network's shape (when the network is a member); its tensors are in weights.bin. */
  net?: NetSpec;
  /** Gradient-boosted trees (when a member), inline. */
  trees?: GbdtModel;
  /** Trees: the summed split gain per feature column, the share of the total (what the trees relied on). */
  featureImportance?: Record<string, number>;
  /** The linear model's shapes (when a member); its tensors (LINEAR_TENSORS) are in weights.bin. */
  linear?: LinearSpec;
  /** The constant family: the log prior per class, or the standardised training mean. */
  constant?: number[];
  /** Every tensor of weights.bin, in order: the network's, then the linear model's. */
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[];
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
  diagnostics?: TargetDiagnostics;
}
