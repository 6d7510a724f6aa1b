/**
 * Fits one imputation model (one target column): data preparation, training, calibration,
 * metrics and explanations, into the artifact that target.json stores.
 */
import { argmax, parseNumberText, TrainingError, type InputRecord, type MissingValues } from '../../../framework/contract/index.js';
import { classReport, ece, fitTemperature, meanLogLoss, meanSquaredError, precisionCurves, reliabilityBins, temperedSoftmax } from '../core/calibration.js';
import { Featurizer, fitFeaturizer, type EncodedTable } from '../core/features.js';
import { topTokens } from '../core/ranking.js';
import { rng } from '../core/rng.js';
import { clampTo, fromLabelScale, TargetModel } from '../core/target-model.js';
import type { ColumnType } from '../format/featurizer-spec.js';
import {
  MAX_REPORT_PAIRS,
  RELIABILITY_BINS,
  TARGET_FORMAT,
  type EpochReport,
  type FamilyChoice,
  type ModelFamily,
  type TargetArtifact,
  type TargetConfig,
  type Task,
} from '../format/target-artifact.js';
import type { Tensors } from '../format/weights.js';
import { fitFamilies, type TargetData, type TreeBooster } from './family-fits.js';
import { progressOf, type FitProgress } from './fit-progress.js';
import { selectFamily } from './select-family.js';
import type { TfLoader } from './tf-backend.js';
import type { EpochCheckpoints, Evaluation, Split } from './train-net.js';

export interface FitInput {
  rows: InputRecord[];
  valRows?: InputRecord[];
  label: string;
  features: { name: string; type: ColumnType; meanLength: number }[];
  task: Task;
  validationSplit: number;
  deadline: number;
  signal: AbortSignal;
  onEpoch?: (e: EpochReport) => void;
  /** Candidate of the hyper-parameter search (0 without one): names its epoch checkpoints. */
  candidate?: number;
  /** The epoch checkpoints of a candidate (none: training is not checkpointed per epoch). */
  epochCheckpoints?: (candidate: number) => Promise<EpochCheckpoints>;
  /** The `model_family` hyperparameter (default auto). */
  family?: FamilyChoice;
  /**
   * Auto / ensemble: the families worth fitting (complete mode's later rounds pass those that were
   * competitive in the round before); absent: all of them. The constant is always fitted.
   */
  families?: readonly ModelFamily[];
  /** Where the trees are boosted (another thread, while the other families train here); absent: here. */
  boostTrees?: TreeBooster;
  /** The job's progress display and this target's name on it. */
  progress?: FitProgress;
}

export interface Fitted {
  artifact: TargetArtifact;
  weights: Tensors;
  valLoss: number;
  /** Seconds the fit took (not in the artifact: a model's files depend only on its inputs); absent when resumed from a checkpoint. */
  seconds?: number;
}

/** The order of the members' tensors in weights.bin (what format/validation.ts expects). */
const STORAGE_ORDER: readonly ModelFamily[] = ['network', 'linear', 'trees', 'constant'];

/** Fewer labelled rows than this, or a single class: only the constant family (the mean / the class). */
export const MIN_MODEL_ROWS = 10;

/** A numeric label this skewed (sample skewness), with no negative value, is also fitted on the log scale. */
export const SKEWED_LABEL = 1;

export async function fitTarget(tf: TfLoader, input: FitInput, cfg: TargetConfig): Promise<Fitted> {
  const started = performance.now();
  const fitted = await fitOnBestScale(tf, input, cfg);
  return { ...fitted, seconds: Math.round(performance.now() - started) / 1000 };
}

async function fitOnBestScale(tf: TfLoader, input: FitInput, cfg: TargetConfig): Promise<Fitted> {
  const miss = new Featurizer(fitFeaturizer([], [], featureOptions(cfg))).missing;
  const split = validationSplit(input, cfg, miss);
  const choice = input.family ?? 'auto';
  // features and their encodings do not depend on the label's scale: made once for both fits
  const featurizer = new Featurizer(fitFeaturizer(input.rows, input.features, featureOptions(cfg)));
  const prepared: Prepared = {
    miss,
    choice,
    split,
    featurizer,
    encoded: { train: featurizer.encodeTable(split.train), val: featurizer.encodeTable(split.val) },
  };
  // The network keeps one scale: a second training would cost its time twice (and share its epoch checkpoints).
  if (input.task !== 'regression' || choice === 'network' || choice === 'ensemble' || !skewedPositive(split.train, input.label, miss))
    return fitOnScale(tf, input, cfg, prepared, undefined);
  const raw = await fitOnScale(tf, { ...input, progress: progressOf(input.progress, 'raw scale') }, cfg, prepared, undefined);
  const log = await fitOnScale(tf, { ...input, progress: progressOf(input.progress, 'log scale') }, cfg, prepared, 'log');
  // Both judged in label units: the served (clamped) values' squared error over the raw labels' variance.
  const [rawLoss, logLoss] = [raw, log].map((f) => (f.artifact.metrics.rmse! / raw.artifact.labelStd) ** 2) as [number, number];
  const kept = logLoss < rawLoss ? { ...log, valLoss: logLoss } : { ...raw, valLoss: rawLoss };
  Object.assign(kept.artifact.metrics, { loss_raw_scale: rawLoss, loss_log_scale: logLoss });
  return kept;
}

/** Whether a numeric label is non-negative and right-skewed enough (SKEWED_LABEL) for the log scale to be worth a try. */
function skewedPositive(rows: InputRecord[], label: string, miss: MissingValues): boolean {
  const v = rows.map((r) => parseNumberText(miss.value(r[label])!)).filter((x) => Number.isFinite(x));
  if (v.length < MIN_MODEL_ROWS || v.some((x) => x < 0)) return false;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  let m2 = 0;
  let m3 = 0;
  for (const x of v) {
    m2 += (x - mean) ** 2 / v.length;
    m3 += (x - mean) ** 3 / v.length;
  }
  return m2 > 0 && m3 / m2 ** 1.5 > SKEWED_LABEL;
}

/** What a target's fits share whatever the label's scale. */
interface Prepared {
  miss: MissingValues;
  choice: FamilyChoice;
  split: { train: InputRecord[]; val: InputRecord[] };
  featurizer: Featurizer;
  encoded: { train: EncodedTable; val: EncodedTable };
}

/** One fit of the target with its labels on one scale (undefined: their own, 'log': log1p, served back by expm1). */
async function fitOnScale(tf: TfLoader, input: FitInput, cfg: TargetConfig, prepared: Prepared, transform: 'log' | undefined): Promise<Fitted> {
  const { miss, choice, featurizer, encoded } = prepared;
  const { train: labelled, val: valRows } = prepared.split;
  const labels = encodeLabels(input, cfg, miss, labelled, valRows, transform);
  const splits = buildSplits(encoded, labels, input.task === 'classification' ? cfg.classWeights : undefined, labelled, valRows);
  const K = input.task === 'classification' ? labels.classes.length : 1;
  const data: TargetData = {
    task: input.task,
    K,
    featurizer,
    missing: miss,
    cfg,
    train: labelled,
    val: valRows,
    splits,
    deadline: input.deadline,
    signal: input.signal,
    onEpoch: (e) => input.onEpoch?.(input.task === 'regression' ? { ...e, valRmse: (e.valRmse ?? NaN) * labels.std } : e),
    epochCheckpoints: await input.epochCheckpoints?.(input.candidate ?? 0),
    ...(input.boostTrees ? { boostTrees: input.boostTrees } : {}),
    ...(input.progress ? { progress: input.progress } : {}),
  };
  const fits = await fitFamilies(tf, familiesToFit(choice, featurizer, labelled.length, labels, input.families), data);
  const selection = selectFamily(input.task, K, fits, splits.val.y, choice);
  const artifact: TargetArtifact = {
    format: TARGET_FORMAT,
    label: input.label,
    task: input.task,
    classes: labels.classes,
    labelMean: labels.mean,
    labelStd: labels.std,
    ...(labels.transform ? { labelTransform: labels.transform } : {}),
    ...(labels.range ? { labelRange: labels.range } : {}),
    ...(labels.decimals !== undefined ? { labelDecimals: labels.decimals } : {}),
    featurizer: featurizer.spec,
    featureTypes: Object.fromEntries(input.features.map((f) => [f.name, f.type])),
    family: selection.members.length > 1 ? 'ensemble' : selection.members[0]!.family,
    members: selection.members,
    candidates: selection.candidates,
    weightSpecs: [],
    temperature: 1,
    config: cfg,
    metrics: { train_rows: labelled.length, validation_rows: valRows.length },
    history: [],
  };
  const weights: Tensors = new Map();
  // Only the members' payloads are kept: a family that lost costs nothing at serving.
  for (const family of STORAGE_ORDER) fits.find((f) => f.family === family && selection.members.some((m) => m.family === family))?.store(artifact, weights);
  for (const c of selection.candidates) if (c.loss !== null) artifact.metrics[`loss_${c.family}`] = c.loss;
  const ev = evaluation(input.task, K, selection.scores, splits.val.y);
  let valLoss = selection.loss;
  if (input.task === 'classification') {
    valLoss = calibrateClassifier(artifact, ev, splits.val.y, splits.train.y, selection.loss);
    if (featurizer.spec.text.length) {
      const rows = [...valRows.slice(0, 500), ...labelled.slice(0, 500)];
      const explanations = classExplanations(artifact, weights, rows, labels.toY(rows));
      if (explanations) artifact.explanations = explanations;
    }
  } else {
    regressionMetrics(artifact, ev, splits.val.y, labels, selection.loss);
  }
  return { artifact, weights, valLoss };
}

/**
 * The families a choice trains, cheapest first (the deadline may stop the network). Auto trains the
 * network only where a text column can give it an edge over the linear model and the trees.
 */
function familiesToFit(
  choice: FamilyChoice,
  featurizer: Featurizer,
  labelledRows: number,
  labels: LabelEncoding,
  allowed: readonly ModelFamily[] | undefined,
): ModelFamily[] {
  const { spec } = featurizer;
  const columns = spec.text.length + spec.cat.length + spec.num.length;
  if (labelledRows < MIN_MODEL_ROWS || labels.distinct < 2 || columns === 0) return ['constant'];
  if (choice === 'network' || choice === 'trees' || choice === 'linear') return [choice];
  // auto leaves the network out: it costs 10-40x the others' training time for a few points on text (docs/datawig.md, "Model families")
  const all: ModelFamily[] = choice === 'auto' ? ['constant', 'trees', 'linear'] : ['trees', 'linear', 'network'];
  const kept = all.filter((f) => f === 'constant' || !allowed || allowed.includes(f));
  return kept.some((f) => f !== 'constant') ? kept : all;
}

/** The selected scores as an evaluation of the validation rows (loss, accuracy or RMSE on the standardised scale). */
function evaluation(task: Task, K: number, scores: Float64Array, y: Float32Array): Evaluation {
  const logits = Float32Array.from(scores);
  if (task === 'regression') {
    const mse = meanSquaredError(scores, y);
    return { loss: mse, accuracy: NaN, rmse: Math.sqrt(mse), logits };
  }
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (argmax(logits.subarray(i * K, i * K + K)) === y[i]) correct++;
  return { loss: NaN, accuracy: correct / Math.max(1, y.length), rmse: NaN, logits };
}

/**
 * The rows with a known label, split into training and validation rows: the validation channel's
 * rows if there is one, else a seeded random share (none below 10 rows). No validation rows at
 * all: validate on the training rows.
 */
function validationSplit(input: FitInput, cfg: TargetConfig, miss: MissingValues): { train: InputRecord[]; val: InputRecord[] } {
  const known = (rows: InputRecord[]) => rows.filter((r) => !miss.isMissing(r[input.label]));
  const split = input.valRows ? { train: known(input.rows), val: known(input.valRows) } : holdOut(known(input.rows), input.validationSplit, cfg.seed);
  if (split.val.length === 0) split.val = split.train; // too few rows to hold any out: validate on train
  return split;
}

/** Shuffles the rows (seeded) and holds out round(share * n) of them, at least 1, none below 10 rows. */
function holdOut(labelled: InputRecord[], share: number, seed: number): { train: InputRecord[]; val: InputRecord[] } {
  const r = rng(seed ^ 0x1234567);
  const order = labelled.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = labelled.length >= 10 ? Math.max(1, Math.round(labelled.length * share)) : 0;
  return { val: order.slice(0, nVal).map((i) => labelled[i]!), train: order.slice(nVal).map((i) => labelled[i]!) };
}

/** How labels become network targets. */
/** Served numbers are rounded to the labels' decimals, at most this many (the original container wrote 4). */
const MAX_LABEL_DECIMALS = 6;

interface LabelEncoding {
  /** Classification: the classes, most frequent first (ties by name); regression: none. */
  classes: string[];
  /** Regression: targets are (value - mean) / std (classification: 0 and 1). */
  mean: number;
  std: number;
  /** Regression with clipping: [min, max] of every observed label, validation rows included. */
  range?: [number, number];
  /** Regression: the scale the targets are on (see TargetArtifact.labelTransform); absent: the labels' own. */
  transform?: 'log';
  /** Regression: the decimals the labels are written with (see TargetArtifact.labelDecimals). */
  decimals?: number;
  /** Distinct labels of the training rows (classes, or distinct values, counted up to 2). */
  distinct: number;
  /** Per row: the class index (-1: a class unknown to the model) or the standardised value. */
  toY(rows: InputRecord[]): Float32Array;
}

function encodeLabels(
  input: FitInput,
  cfg: TargetConfig,
  miss: MissingValues,
  labelled: InputRecord[],
  valRows: InputRecord[],
  transform: 'log' | undefined,
): LabelEncoding {
  const { label } = input;
  if (input.task === 'classification') {
    const classes = classesByFrequency(labelled, label, miss);
    const index = new Map(classes.map((c, i) => [c, i]));
    return { classes, mean: 0, std: 1, distinct: classes.length, toY: (rows) => Float32Array.from(rows, (r) => index.get(miss.value(r[label])!) ?? -1) };
  }
  const rawVals = labelled.map((r) => parseNumberText(miss.value(r[label])!));
  const bad = labelled.find((_, i) => Number.isNaN(rawVals[i]!));
  if (bad) numericLabel(bad, label, miss); // throws: names the value
  const scale = transform === 'log' ? Math.log1p : (v: number) => v;
  const vals = rawVals.map(scale);
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length) || 1;
  // the range clamps served values: on the labels' own scale
  const range =
    cfg.clipRegression !== false ? clipRange(observedRange([...rawVals, ...valRows.map((r) => parseNumberText(miss.value(r[label])!))])) : undefined;
  const distinct = vals.some((v) => v !== vals[0]) ? 2 : 1;
  return {
    classes: [],
    mean,
    std,
    range,
    ...(transform ? { transform } : {}),
    decimals: writtenDecimals([...labelled, ...valRows].map((r) => miss.value(r[label]))),
    distinct,
    toY: (rows) => Float32Array.from(rows, (r) => (scale(numericLabel(r, label, miss)) - mean) / std),
  };
}

/** Most decimals seen among the label texts, up to MAX_LABEL_DECIMALS (exponent notation counts as the most). */
function writtenDecimals(texts: readonly (string | null)[]): number {
  let most = 0;
  for (const text of texts) {
    if (text === null) continue;
    if (/e/i.test(text)) return MAX_LABEL_DECIMALS;
    const dot = text.indexOf('.');
    if (dot >= 0) most = Math.max(most, text.trim().length - dot - 1);
    if (most >= MAX_LABEL_DECIMALS) return MAX_LABEL_DECIMALS;
  }
  return most;
}

function classesByFrequency(labelled: InputRecord[], label: string, miss: MissingValues): string[] {
  const counts = new Map<string, number>();
  for (const r of labelled) counts.set(miss.value(r[label])!, (counts.get(miss.value(r[label])!) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]);
}

function numericLabel(r: InputRecord, label: string, miss: MissingValues): number {
  const v = parseNumberText(miss.value(r[label])!);
  if (Number.isNaN(v))
    throw new TrainingError(
      `label column "${label}" is numeric but has the non-numeric value "${String(r[label])}"; fix the data or declare it categorical with column_types="${label}:categorical"`,
    );
  return v;
}

/** Share of the observed range by which served values may go past either end of it. */
export const CLIP_MARGIN = 0.5;

/**
 * The range served values are clamped to: the observed one widened by CLIP_MARGIN of its width on
 * each side, without crossing zero where the observed values keep one sign (no negative prices or
 * counts). Gaps that are missing not at random lie partly outside the observed range, and a linear
 * model's extrapolation there is right (low-rank table, MAR/MNAR 10 %: clamping to the bare range
 * made the error up to 10x worse); wild values (an extrapolating network) are still stopped.
 */
function clipRange(observed: [number, number] | undefined): [number, number] | undefined {
  if (!observed) return undefined;
  const [lo, hi] = observed;
  const margin = (hi - lo) * CLIP_MARGIN;
  return [lo >= 0 ? Math.max(0, lo - margin) : lo - margin, hi <= 0 ? Math.min(0, hi + margin) : hi + margin];
}

/** [min, max] of the values (NaN ignored); undefined if there is none. */
function observedRange(values: number[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Encoded features, targets and loss weights (class weights, if any, on training rows; 1 on validation rows). */
function buildSplits(
  encoded: { train: EncodedTable; val: EncodedTable },
  labels: LabelEncoding,
  classWeights: string | undefined,
  labelled: InputRecord[],
  valRows: InputRecord[],
): { train: Split; val: Split } {
  const yTrain = labels.toY(labelled);
  const yVal = labels.toY(valRows);
  const wTrain = new Float32Array(labelled.length).fill(1);
  applyClassWeights(classWeights, labels.classes, yTrain, wTrain);
  return {
    train: { enc: encoded.train, rows: Int32Array.from(labelled, (_, i) => i), y: yTrain, w: wTrain },
    val: { enc: encoded.val, rows: Int32Array.from(valRows, (_, i) => i), y: yVal, w: new Float32Array(valRows.length).fill(1) },
  };
}

/**
 * Classifier: the temperature, then on validation rows (calibrated) the class report, precision
 * curves, ECE and losses, and the class prior and joint for label-shift estimation. Returns the
 * calibrated validation loss (the best epoch's loss if no validation label is known).
 */
function calibrateClassifier(artifact: TargetArtifact, ev: Evaluation, yVal: Float32Array, yTrain: Float32Array, bestValLoss: number): number {
  const K = artifact.classes.length;
  const t = fitTemperature(ev.logits, Float32Array.from(yVal), K);
  artifact.temperature = t;
  const { flat, probs, pred } = calibratedPredictions(ev.logits, yVal.length, K, t);
  const report = classReport(pred, yVal, artifact.classes);
  artifact.report = report;
  artifact.curves = precisionCurves(probs, pred, yVal, K);
  const m = artifact.metrics;
  m.accuracy = report.accuracy;
  m.macro_f1 = report.macroF1;
  m.ece_before = ece(ev.logits, yVal, K, 1);
  m.ece = ece(ev.logits, yVal, K, t);
  m.temperature = t;
  m.loss = bestValLoss;
  const valLoss = meanLogLoss(flat, yVal, K) ?? bestValLoss;
  m.loss_calibrated = valLoss;
  artifact.trainPrior = classPrior(yTrain, K);
  artifact.valJoint = predictionJoint(pred, yVal, K);
  const uncalibrated = meanLogLoss(temperedSoftmax(ev.logits, K, 1), yVal, K);
  artifact.diagnostics = {
    // classes are most frequent first: class 0 is what a majority-class imputer answers
    majorityAccuracy: yVal.filter((y) => y === 0).length / Math.max(1, yVal.length),
    ...(uncalibrated === undefined ? {} : { lossUncalibrated: uncalibrated }),
    reliability: { before: reliabilityBins(ev.logits, yVal, K, 1, RELIABILITY_BINS), after: reliabilityBins(ev.logits, yVal, K, t, RELIABILITY_BINS) },
  };
  return valLoss;
}

/** The probabilities softmax(logits / t), row-major and per row (views of the same array), and each row's most probable class (first on ties). */
function calibratedPredictions(logits: Float32Array, n: number, K: number, t: number): { flat: Float64Array; probs: Float64Array[]; pred: Int32Array } {
  const flat = temperedSoftmax(logits, K, t);
  const probs = Array.from({ length: n }, (_, i) => flat.subarray(i * K, i * K + K));
  const pred = Int32Array.from(probs, (p) => argmax(p));
  return { flat, probs, pred };
}

/** Share of each class among the training labels. */
function classPrior(yTrain: Float32Array, K: number): number[] {
  // counts divided once: a sum of n terms 1/n can pass 1 (and the format check refuses a prior above 1)
  const counts = new Array<number>(K).fill(0);
  for (const y of yTrain) counts[y]! += 1;
  return counts.map((c) => c / yTrain.length);
}

/** joint[predicted][true]: shares of the validation rows with a known class. */
function predictionJoint(pred: Int32Array, yVal: Float32Array, K: number): number[][] {
  const joint = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let jn = 0;
  for (let i = 0; i < pred.length; i++) if (yVal[i]! >= 0) jn++;
  for (let i = 0; i < pred.length; i++) if (yVal[i]! >= 0) joint[pred[i]!]![yVal[i]!]! += 1;
  return joint.map((row) => row.map((c) => c / jn));
}

/** Regression: validation RMSE in label units (of the clamped values if clamping), and the mean-predictor baseline. */
function regressionMetrics(artifact: TargetArtifact, ev: Evaluation, yVal: Float32Array, labels: LabelEncoding, valLoss: number): void {
  const value = (standardised: number) => fromLabelScale({ labelMean: labels.mean, labelStd: labels.std, labelTransform: labels.transform }, standardised);
  let se = 0;
  let baseline = 0;
  const served = new Float64Array(yVal.length);
  for (let i = 0; i < yVal.length; i++) {
    // what is served: clamped to the training range when clamping
    const truth = value(yVal[i]!);
    served[i] = clampTo(labels.range, value(ev.logits[i]!));
    se += (served[i]! - truth) ** 2;
    baseline += (value(0) - truth) ** 2;
  }
  // evenly spaced rows, 6 significant digits: the report's scatter plot, in a few kilobytes
  const picked = Array.from({ length: Math.min(MAX_REPORT_PAIRS, yVal.length) }, (_, j) =>
    Math.floor((j * yVal.length) / Math.min(MAX_REPORT_PAIRS, yVal.length)),
  );
  const short = (x: number) => Number(x.toPrecision(6));
  artifact.diagnostics = { predictedVsTrue: { predicted: picked.map((i) => short(served[i]!)), actual: picked.map((i) => short(value(yVal[i]!))) } };
  artifact.metrics.rmse = Math.sqrt(se / Math.max(1, yVal.length));
  artifact.metrics.loss = valLoss;
  artifact.metrics.rmse_mean_baseline = Math.sqrt(baseline / Math.max(1, yVal.length));
}

function featureOptions(cfg: TargetConfig) {
  return {
    buckets: cfg.buckets,
    tokens: cfg.tokens,
    wordRange: cfg.wordRange,
    charRange: cfg.charRange,
    maxTokens: cfg.maxTokens,
    missingTokens: cfg.missingTokens,
    tfidf: cfg.tfidf,
  };
}

/** `balanced` (n / (K n_c)) or `a:2,b:0.5` (others 1). */
function applyClassWeights(spec: string | undefined, classes: string[], y: Float32Array, w: Float32Array): void {
  if (!spec) return;
  const K = classes.length;
  const per = new Float64Array(K).fill(1);
  if (spec.trim() === 'balanced') {
    const n = new Float64Array(K);
    for (const c of y) n[c]++;
    for (let k = 0; k < K; k++) per[k] = n[k] ? y.length / (K * n[k]!) : 1;
  } else {
    for (const part of spec.split(/[,;]/)) {
      const at = part.lastIndexOf(':');
      const name = part.slice(0, at).trim();
      const v = Number(part.slice(at + 1));
      const k = classes.indexOf(name);
      if (at < 0 || !Number.isFinite(v) || v < 0) throw new TrainingError(`class_weights: "${part}" is not <class>:<non-negative weight> (or use "balanced")`);
      if (k < 0) throw new TrainingError(`class_weights names class "${name}", which is not among the labels (${classes.slice(0, 20).join(', ')})`);
      per[k] = v;
    }
  }
  for (let i = 0; i < y.length; i++) w[i] = per[y[i]!]!;
}

/** Top n-grams supporting each class, summed (gradient x input, or the linear weights) over rows of that class; none if no member names n-grams. */
function classExplanations(a: TargetArtifact, weights: Tensors, rows: InputRecord[], y: Float32Array): Record<string, string[]> | undefined {
  const target = new TargetModel(a, weights);
  if (!target.explains) return undefined;
  const sums = a.classes.map(() => new Map<string, number>());
  rows.forEach((r, i) => {
    if (y[i]! < 0) return;
    for (const [tok, s] of target.tokenContributions(r, y[i]!)) {
      const m = sums[y[i]!]!;
      m.set(tok, (m.get(tok) ?? 0) + s);
    }
  });
  return Object.fromEntries(a.classes.map((c, k) => [c, topTokens([...sums[k]!.entries()], 10)]));
}
