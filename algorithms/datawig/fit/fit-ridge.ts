/**
 * The linear family's exact path for a numeric target without text inputs: ridge regression on the
 * featurizer's dense inputs (numeric values and their missing flags) and the categorical one-hot
 * ids, solved in closed form (Cholesky) for a grid of penalties, the one with the lowest
 * validation error kept. Where the inputs are few, this is what the linear family should reach;
 * FTRL's stochastic steps (fit-linear.ts) stop short of it on correlated numeric columns.
 */
import { linearModelFromRows, type LinearModel } from '../core/linear-model.js';
import type { LinearData } from './fit-linear.js';

/** More parameters than this: the normal equations would cost too much (the FTRL path is used). */
export const MAX_RIDGE_PARAMETERS = 400;
/** Penalties tried, per training row (the objective is the mean squared error + lambda |w|^2). */
const LAMBDAS = [1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10];

/** The parameters of a ridge fit: one per sparse id the training rows use, then the numeric inputs. */
function parameterIds(train: LinearData): Int32Array {
  const used = new Set<number>();
  const { enc } = train;
  for (const r of train.rows) for (let p = enc.rowPtr[r]!; p < enc.rowPtr[r + 1]!; p++) used.add(enc.idx[p]!);
  return Int32Array.from([...used].sort((a, b) => a - b));
}

/** Whether the ridge path applies (few enough parameters). */
export function ridgeApplies(train: LinearData): boolean {
  return parameterIds(train).length + train.enc.numDim <= MAX_RIDGE_PARAMETERS;
}

/** Dense design rows: sparse ids (by their position in `ids`), then the numeric inputs. */
function design(data: LinearData, column: Map<number, number>, p: number): Float64Array[] {
  const { enc } = data;
  return Array.from(data.rows, (r) => {
    const x = new Float64Array(p);
    for (let q = enc.rowPtr[r]!; q < enc.rowPtr[r + 1]!; q++) {
      const c = column.get(enc.idx[q]!);
      if (c !== undefined) x[c]! += enc.val[q]!;
    }
    const sparse = column.size;
    for (let j = 0; j < enc.numDim; j++) x[sparse + j] = enc.num[r * enc.numDim + j]!;
    return x;
  });
}

/** Solves (A + lambda I) w = b for symmetric positive semi-definite A by Cholesky; undefined if it fails. */
function solveRidge(A: Float64Array, b: Float64Array, p: number, lambda: number): Float64Array | undefined {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j]! + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        L[i * p + i] = Math.sqrt(s);
      } else L[i * p + j] = s / L[j * p + j]!;
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * z[k]!;
    z[i] = s / L[i * p + i]!;
  }
  const w = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * w[k]!;
    w[i] = s / L[i * p + i]!;
  }
  return w;
}

/**
 * Fits the standardised target: weighted least squares with an unpenalised intercept (inputs and
 * target centred by their weighted means), lambda from LAMBDAS by validation error.
 */
export function fitRidge(train: LinearData, val: LinearData, sparseDim: number): { model: LinearModel; valLoss: number } {
  const ids = parameterIds(train);
  const column = new Map<number, number>();
  ids.forEach((id, c) => column.set(id, c));
  const p = ids.length + train.enc.numDim;
  const X = design(train, column, p);
  const w = Float64Array.from(train.w);
  const wSum = w.reduce((s, x) => s + x, 0) || 1;
  const mean = new Float64Array(p);
  let yMean = 0;
  X.forEach((x, i) => {
    for (let j = 0; j < p; j++) mean[j]! += (w[i]! * x[j]!) / wSum;
    yMean += (w[i]! * train.y[i]!) / wSum;
  });
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  const xc = new Float64Array(p);
  X.forEach((x, i) => {
    for (let j = 0; j < p; j++) xc[j] = x[j]! - mean[j]!;
    const yc = train.y[i]! - yMean;
    for (let j = 0; j < p; j++) {
      const wx = w[i]! * xc[j]!;
      b[j]! += wx * yc;
      for (let k = 0; k <= j; k++) A[j * p + k]! += wx * xc[k]!;
    }
  });
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) A[k * p + j] = A[j * p + k]!;
  const Xv = design(val, column, p);
  let best: { coef: Float64Array; loss: number } | undefined;
  for (const lambda of LAMBDAS) {
    const coef = solveRidge(A, b, p, lambda * wSum);
    if (!coef) continue;
    let se = 0;
    Xv.forEach((x, i) => {
      let v = yMean;
      for (let j = 0; j < p; j++) v += coef[j]! * (x[j]! - mean[j]!);
      se += (v - val.y[i]!) ** 2;
    });
    const loss = se / Math.max(1, Xv.length);
    if (!best || loss < best.loss) best = { coef, loss };
  }
  const coef = best?.coef ?? new Float64Array(p);
  let bias = yMean;
  for (let j = 0; j < p; j++) bias -= coef[j]! * mean[j]!;
  const numDim = train.enc.numDim;
  const model = linearModelFromRows(
    { task: 'regression', sparseDim, numDim, outDim: 1, labelMean: 0, labelStd: 1, textWeighting: 'column' },
    ids,
    Float32Array.from(coef.subarray(0, ids.length)),
    Float32Array.from(coef.subarray(ids.length)),
    Float32Array.of(bias),
  );
  return { model, valLoss: best?.loss ?? NaN };
}
