/**
 * The linear family's exact path for a numeric target without text inputs: ridge regression on the
 * featurizer's dense inputs (numeric values and their missing flags) and the categorical one-hot
 * ids, solved in closed form (Cholesky) for a grid of penalties, the one with the lowest
 * validation error kept. Where the inputs are few, this is what the linear family should reach;
 * FTRL's stochastic steps (fit-linear.ts) stop short of it on correlated numeric columns.
 */
import { meanSquaredError } from '../core/calibration.js';
import { linearModelFromRows, type LinearModel } from '../core/linear-model.js';
import type { LinearData } from './fit-linear.js';

/** More parameters than this: the normal equations would cost too much (the FTRL path is used). */
export const MAX_RIDGE_PARAMETERS = 400;
/** Penalties tried, per training row (the objective is the mean squared error + lambda |w|^2). */
const LAMBDAS = [1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10];

/** The parameters of a ridge fit: one per sparse id the rows use, then the numeric inputs. */
function parameterIds(parts: readonly LinearData[]): Int32Array {
  const used = new Set<number>();
  for (const { enc, rows } of parts) for (const r of rows) for (let p = enc.rowPtr[r]!; p < enc.rowPtr[r + 1]!; p++) used.add(enc.idx[p]!);
  return Int32Array.from([...used].sort((a, b) => a - b));
}

/** Whether the ridge path applies (few enough parameters). */
export function ridgeApplies(train: LinearData, val: LinearData): boolean {
  return parameterIds([train, val]).length + train.enc.numDim <= MAX_RIDGE_PARAMETERS;
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

/** The centred normal equations of weighted least squares over the parts' rows: A = Xc' W Xc, b = Xc' W yc, and the weighted means. */
interface NormalEquations {
  A: Float64Array;
  b: Float64Array;
  mean: Float64Array;
  yMean: number;
  wSum: number;
}

function normalEquations(parts: readonly LinearData[], column: Map<number, number>, p: number): NormalEquations {
  const X = parts.flatMap((part) => design(part, column, p));
  const y = parts.flatMap((part) => [...part.y]);
  const w = parts.flatMap((part) => [...part.w]);
  const wSum = w.reduce((s, x) => s + x, 0) || 1;
  const mean = new Float64Array(p);
  let yMean = 0;
  X.forEach((x, i) => {
    for (let j = 0; j < p; j++) mean[j]! += (w[i]! * x[j]!) / wSum;
    yMean += (w[i]! * y[i]!) / wSum;
  });
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  const xc = new Float64Array(p);
  X.forEach((x, i) => {
    for (let j = 0; j < p; j++) xc[j] = x[j]! - mean[j]!;
    const yc = y[i]! - yMean;
    for (let j = 0; j < p; j++) {
      const wx = w[i]! * xc[j]!;
      b[j]! += wx * yc;
      for (let k = 0; k <= j; k++) A[j * p + k]! += wx * xc[k]!;
    }
  });
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) A[k * p + j] = A[j * p + k]!;
  return { A, b, mean, yMean, wSum };
}

/** The coefficients at a penalty (per unit of weight) and the intercept; undefined if the solve fails. */
function solveAt(eq: NormalEquations, p: number, lambda: number): { coef: Float64Array; bias: number } | undefined {
  const coef = solveRidge(eq.A, eq.b, p, lambda * eq.wSum);
  if (!coef) return undefined;
  let bias = eq.yMean;
  for (let j = 0; j < p; j++) bias -= coef[j]! * eq.mean[j]!;
  return { coef, bias };
}

/**
 * Fits the standardised target: weighted least squares with an unpenalised intercept (inputs and
 * target centred by their weighted means), lambda from LAMBDAS by the error on the validation rows.
 * The validation loss is that of the training rows' fit; the model returned is refitted at the
 * chosen lambda on training and validation rows together (unless they are the same rows), as the
 * established imputers use every known value.
 */
export function fitRidge(train: LinearData, val: LinearData, sparseDim: number): { model: LinearModel; valLoss: number; valScores: Float64Array } {
  const held = val !== train;
  const ids = parameterIds(held ? [train, val] : [train]);
  const column = new Map<number, number>();
  ids.forEach((id, c) => column.set(id, c));
  const p = ids.length + train.enc.numDim;
  const eq = normalEquations([train], column, p);
  const Xv = design(val, column, p);
  let best: { lambda: number; fit: { coef: Float64Array; bias: number }; loss: number; scores: Float64Array } | undefined;
  for (const lambda of LAMBDAS) {
    const fit = solveAt(eq, p, lambda);
    if (!fit) continue;
    const scores = Float64Array.from(Xv, (x) => {
      let v = fit.bias;
      for (let j = 0; j < p; j++) v += fit.coef[j]! * x[j]!;
      return v;
    });
    const loss = meanSquaredError(scores, val.y);
    if (!best || loss < best.loss) best = { lambda, fit, loss, scores };
  }
  const final = (best && held ? solveAt(normalEquations([train, val], column, p), p, best.lambda) : undefined) ?? best?.fit;
  const coef = final?.coef ?? new Float64Array(p);
  const numDim = train.enc.numDim;
  const model = linearModelFromRows(
    { task: 'regression', sparseDim, numDim, outDim: 1, labelMean: 0, labelStd: 1, textWeighting: 'column' },
    ids,
    Float32Array.from(coef.subarray(0, ids.length)),
    Float32Array.from(coef.subarray(ids.length)),
    Float32Array.of(final?.bias ?? eq.yMean),
  );
  return { model, valLoss: best?.loss ?? NaN, valScores: best?.scores ?? new Float64Array(Xv.length).fill(eq.yMean) };
}
