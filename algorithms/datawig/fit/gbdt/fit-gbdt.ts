/**
 * The boosting loop: bins the training rows, starts from the loss's baseline and adds, per
 * iteration, one tree per output fitted to the gradients of the current scores. With a validation
 * split it stops once the validation loss has not improved by more than `tol` for `nIterNoChange`
 * iterations (scikit-learn's rule) and keeps the iterations up to the best validation loss.
 */
import { GBDT_LIMITS, type GbdtModel } from '../../core/gbdt-model.js';
import type { StepListener } from '../fit-progress.js';
import { applyBins, fitBinMapper } from './binning.js';
import { explicitSplit, randomSplit, type RowSplit } from './data-split.js';
import { HuberLoss, LogisticLoss, SoftmaxLoss, SquaredError, type Loss } from './losses.js';
import { exportModel } from './model-export.js';
import { resolveOptions, type GbdtOptions, type ResolvedOptions } from './options.js';
import { addBinnedPredictions, TreeGrower, type BinnedTree } from './tree-grower.js';

export type { GbdtOptions } from './options.js';

export interface GbdtData {
  /** Column-major features, NaN = missing; a categorical feature holds codes 0..254. */
  features: readonly Float64Array[];
  categorical: readonly boolean[];
  /** Float64Array: regression targets; Int32Array: class labels 0..k-1. */
  y: Float64Array | Int32Array;
  weights?: Float64Array;
}

export interface GbdtHistory {
  /** Loss after i iterations (index 0: the baseline alone). */
  trainLoss: number[];
  /** Same on the validation rows (empty without early stopping). */
  validationLoss: number[];
}

export interface GbdtFit {
  model: GbdtModel;
  history: GbdtHistory;
  /** Iterations kept in the model: the one with the lowest validation loss, else all of them. */
  bestIteration: number;
  /** Iterations run before stopping (>= bestIteration). */
  iterationsRun: number;
  stoppedEarly: boolean;
}

function checkData(data: GbdtData, classes: boolean): number {
  const nf = data.features.length;
  if (nf < 1 || nf > GBDT_LIMITS.features) throw new Error(`gbdt: expected 1 to ${GBDT_LIMITS.features} feature columns, got ${nf}`);
  if (data.categorical.length !== nf) throw new Error(`gbdt: categorical has ${data.categorical.length} flags for ${nf} feature columns`);
  const n = data.y.length;
  if (n < 2) throw new Error(`gbdt: need at least 2 rows, got ${n}`);
  data.features.forEach((col, f) => {
    if (col.length !== n) throw new Error(`gbdt: feature column ${f} has ${col.length} rows, y has ${n}`);
  });
  for (let i = 0; i < n; i++) {
    const v = data.y[i]!;
    if (classes ? v < 0 : !Number.isFinite(v)) throw new Error(`gbdt: y[${i}] must be ${classes ? 'a class label >= 0' : 'a finite number'}`);
  }
  if (data.weights) {
    if (data.weights.length !== n) throw new Error(`gbdt: weights has ${data.weights.length} values for ${n} rows`);
    if (!data.weights.every((w) => w >= 0 && Number.isFinite(w))) throw new Error('gbdt: weights must be finite numbers >= 0');
  }
  return n;
}

function makeLoss(o: ResolvedOptions, y: Float64Array | Int32Array): Loss {
  if (o.loss === 'squared') return new SquaredError();
  if (o.loss === 'huber') return new HuberLoss(o.huberQuantile);
  let top = 0;
  for (const label of y) top = Math.max(top, label);
  const k = o.nClasses ?? Math.max(2, top + 1);
  if (top >= k) throw new Error(`gbdt: class label ${top} is not below nClasses (${k})`);
  if (o.loss === 'logistic' && k !== 2) throw new Error(`gbdt: logistic loss needs 2 classes, the labels have ${k}`);
  return k === 2 && o.loss !== 'softmax' ? new LogisticLoss() : new SoftmaxLoss(k);
}

function rowSplit(n: number, data: GbdtData, o: ResolvedOptions): RowSplit | null {
  if (o.validationRows !== undefined && o.earlyStopping !== false) return explicitSplit(n, o.validationRows);
  if (o.earlyStopping === true || (o.earlyStopping === 'auto' && n > 10000))
    return randomSplit(n, o.validationFraction, o.seed, data.y instanceof Int32Array ? data.y : null);
  return null;
}

/** scikit-learn's rule: stop when none of the last n losses beats the one before them by more than tol. */
export function shouldStop(losses: readonly number[], n: number, tol: number): boolean {
  if (losses.length <= n) return false;
  const reference = losses[losses.length - n - 1]!;
  return losses.slice(-n).every((l) => !(l < reference - tol));
}

function reportStep(onStep: StepListener, history: GbdtHistory, step: number, o: { maxIter: number; nIterNoChange: number }): void {
  const val = history.validationLoss;
  const bestStep = val.length ? argMin(val) : step;
  onStep({
    step,
    total: o.maxIter,
    trainLoss: history.trainLoss[history.trainLoss.length - 1]!,
    valLoss: val.length ? val[val.length - 1]! : NaN,
    bestStep,
    sinceBest: step - bestStep,
    patience: o.nIterNoChange,
  });
}

/** The rows `rows` of a target or weight array. */
function pick<T extends Float64Array | Int32Array>(a: T, rows: Uint32Array): T {
  const out = new (a.constructor as new (n: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]!]!;
  return out;
}

/** Index of the smallest value (the first one on ties). */
function argMin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i;
  return best;
}

function startScores(baseline: number[], rows: number): Float64Array {
  const k = baseline.length;
  const raw = new Float64Array(rows * k);
  for (let i = 0; i < raw.length; i++) raw[i] = baseline[i % k]!;
  return raw;
}

/** `onStep`: after each boosting round (the progress display). */
export function fitGbdt(data: GbdtData, options: GbdtOptions = {}, onStep?: StepListener): GbdtFit {
  const classes = data.y instanceof Int32Array;
  const o = resolveOptions(options, classes);
  const n = checkData(data, classes);
  const split = rowSplit(n, data, o);
  const train = split?.train ?? Uint32Array.from({ length: n }, (_, i) => i);
  const validation = split?.validation ?? new Uint32Array(0);
  const mapper = fitBinMapper(data.features, data.categorical, train, o.maxBins, o.binSubsample, o.seed);
  const bins = applyBins(mapper, data.features, train);
  const validationBins = applyBins(mapper, data.features, validation);
  const y = pick(data.y, train);
  const yValidation = pick(data.y, validation);
  const w = data.weights ? pick(data.weights, train) : null;
  const wValidation = data.weights ? pick(data.weights, validation) : null;
  if (w && !w.some((x) => x > 0)) throw new Error('gbdt: the training rows have no positive weight');
  if (wValidation?.length && !wValidation.some((x) => x > 0)) throw new Error('gbdt: the validation rows have no positive weight');
  const loss = makeLoss(o, y);
  const k = loss.nOutputs;
  const baseline = loss.baseline(y, w);
  const raw = startScores(baseline, train.length);
  const rawValidation = startScores(baseline, validation.length);
  const g = new Float32Array(train.length * k);
  const h = new Float32Array(train.length * k);
  const grower = new TreeGrower(bins, train.length, mapper, { ...o, unitHessian: !w && (loss.name === 'squared' || loss.name === 'huber') });
  const iterations: BinnedTree[][] = [];
  const history: GbdtHistory = { trainLoss: [], validationLoss: [] };
  const useValidation = validation.length > 0;
  if (useValidation) history.validationLoss.push(loss.loss(rawValidation, yValidation, wValidation));
  let stoppedEarly = false;
  for (let it = 0; it < o.maxIter; it++) {
    // the loss of the scores so far comes out of the gradient pass
    history.trainLoss.push(loss.gradients(raw, y, w, g, h));
    const trees: BinnedTree[] = [];
    for (let out = 0; out < k; out++) {
      const tree = grower.grow(g.subarray(out * train.length, (out + 1) * train.length), h.subarray(out * train.length, (out + 1) * train.length), raw, k, out);
      if (useValidation) addBinnedPredictions(tree, validationBins, validation.length, rawValidation, k, out);
      trees.push(tree);
    }
    iterations.push(trees);
    if (useValidation) {
      history.validationLoss.push(loss.loss(rawValidation, yValidation, wValidation));
      if (shouldStop(history.validationLoss, o.nIterNoChange, o.tol)) stoppedEarly = true;
    }
    if (onStep) reportStep(onStep, history, it + 1, o);
    // nothing left to split: further iterations would add nothing
    if (stoppedEarly || trees.every((t) => t.feature.length === 1)) break;
  }
  history.trainLoss.push(loss.loss(raw, y, w));
  const best = useValidation ? argMin(history.validationLoss) : iterations.length;
  return {
    model: exportModel(loss.name, mapper, baseline, iterations.slice(0, best)),
    history,
    bestIteration: best,
    iterationsRun: iterations.length,
    stoppedEarly,
  };
}
