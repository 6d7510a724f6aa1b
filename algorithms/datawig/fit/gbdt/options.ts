/**
 * Options of the boosting learner, their defaults (scikit-learn's HistGradientBoosting ones where
 * it has them) and their checks.
 */

export interface GbdtOptions {
  /**
   * 'auto': squared error for Float64Array targets; for Int32Array (class) targets logistic (one
   * tree per iteration) with two classes, softmax (one tree per class) with more.
   */
  loss?: 'auto' | 'squared' | 'huber' | 'logistic' | 'softmax';
  learningRate?: number;
  maxIter?: number;
  maxLeafNodes?: number;
  /** Deepest level of a leaf (the root is level 0, as scikit-learn counts); unset = no limit. */
  maxDepth?: number;
  minSamplesLeaf?: number;
  /** L2 penalty on leaf values. */
  l2?: number;
  /** Non-missing bins per numeric feature, 2..255. */
  maxBins?: number;
  /** 'auto': on when there are more than 10,000 rows (or explicit validation rows). */
  earlyStopping?: 'auto' | boolean;
  validationFraction?: number;
  /** Rows (indices into the data) held out for early stopping instead of a random fraction. */
  validationRows?: ArrayLike<number>;
  nIterNoChange?: number;
  /** A validation loss must beat the one nIterNoChange iterations before by more than this. */
  tol?: number;
  /** Huber: the quantile of absolute residuals where the loss turns linear. */
  huberQuantile?: number;
  /** Softmax: number of classes (default: largest label + 1). */
  nClasses?: number;
  /** Rows sampled to place the numeric bin edges. */
  binSubsample?: number;
  seed?: number;
}

export interface ResolvedOptions {
  /** 'auto' only for class targets (decided by the number of classes). */
  loss: 'auto' | 'squared' | 'huber' | 'logistic' | 'softmax';
  learningRate: number;
  maxIter: number;
  maxLeafNodes: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
  earlyStopping: 'auto' | boolean;
  validationFraction: number;
  validationRows: ArrayLike<number> | undefined;
  nIterNoChange: number;
  tol: number;
  huberQuantile: number;
  nClasses: number | undefined;
  binSubsample: number;
  seed: number;
  minHessianToSplit: number;
  categorySmoothing: number;
  minCategorySupport: number;
}

function need(ok: boolean, name: string, expected: string): void {
  if (!ok) throw new Error(`gbdt option ${name} must be ${expected}`);
}

const isInt = (v: number, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isSafeInteger(v) && v >= min && v <= max;

/** The options with defaults filled in; throws on a value out of range. */
export function resolveOptions(o: GbdtOptions, classTargets: boolean): ResolvedOptions {
  const r = withDefaults(o, classTargets);
  check(r, classTargets);
  return r;
}

function withDefaults(o: GbdtOptions, classTargets: boolean): ResolvedOptions {
  return {
    loss: (o.loss ?? 'auto') === 'auto' && !classTargets ? 'squared' : (o.loss ?? 'auto'),
    learningRate: o.learningRate ?? 0.1,
    maxIter: o.maxIter ?? 100,
    maxLeafNodes: o.maxLeafNodes ?? 31,
    maxDepth: o.maxDepth ?? Infinity,
    minSamplesLeaf: o.minSamplesLeaf ?? 20,
    l2: o.l2 ?? 0,
    maxBins: o.maxBins ?? 255,
    earlyStopping: o.earlyStopping ?? 'auto',
    validationFraction: o.validationFraction ?? 0.1,
    validationRows: o.validationRows,
    nIterNoChange: o.nIterNoChange ?? 10,
    tol: o.tol ?? 1e-7,
    huberQuantile: o.huberQuantile ?? 0.9,
    nClasses: o.nClasses,
    binSubsample: o.binSubsample ?? 200000,
    seed: o.seed ?? 0,
    minHessianToSplit: 1e-3,
    categorySmoothing: 10,
    minCategorySupport: 10,
  };
}

function check(r: ResolvedOptions, classTargets: boolean): void {
  const fits = classTargets ? ['auto', 'logistic', 'softmax'] : ['squared', 'huber'];
  need(
    fits.includes(r.loss),
    'loss',
    classTargets ? 'auto, logistic or softmax for Int32Array (class) targets' : 'auto, squared or huber for Float64Array targets',
  );
  need(r.learningRate > 0 && r.learningRate <= 10, 'learningRate', 'a number in (0, 10]');
  need(isInt(r.maxIter, 1, 100000), 'maxIter', 'an integer from 1 to 100000');
  need(isInt(r.maxLeafNodes, 2, 65536), 'maxLeafNodes', 'an integer from 2 to 65536');
  need(r.maxDepth === Infinity || isInt(r.maxDepth, 1, 1000), 'maxDepth', 'an integer from 1 to 1000');
  need(isInt(r.minSamplesLeaf, 1), 'minSamplesLeaf', 'a positive integer');
  need(r.l2 >= 0 && Number.isFinite(r.l2), 'l2', 'a finite number >= 0');
  need(isInt(r.maxBins, 2, 255), 'maxBins', 'an integer from 2 to 255');
  need(r.validationFraction > 0 && r.validationFraction < 1, 'validationFraction', 'a number in (0, 1)');
  need(isInt(r.nIterNoChange, 1), 'nIterNoChange', 'a positive integer');
  need(r.tol >= 0 && Number.isFinite(r.tol), 'tol', 'a finite number >= 0');
  need(r.huberQuantile > 0 && r.huberQuantile <= 1, 'huberQuantile', 'a number in (0, 1]');
  need(r.nClasses === undefined || isInt(r.nClasses, 2, 10000), 'nClasses', 'an integer from 2 to 10000');
  need(isInt(r.binSubsample, 1000), 'binSubsample', 'an integer >= 1000');
  need(isInt(r.seed, 0, 2 ** 32 - 1), 'seed', 'an integer from 0 to 2^32 - 1');
}
