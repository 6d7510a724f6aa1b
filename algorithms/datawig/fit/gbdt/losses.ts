/**
 * Losses of the boosting loop: the baseline score, per-row gradients and hessians of the raw
 * scores, and the (weighted mean) loss used for early stopping. Raw scores are row-major
 * (`raw[row * nOutputs + k]`), gradients per output (`g[k * nRows + row]`) so that each tree
 * reads one contiguous slice.
 */
import type { GbdtLoss } from '../../core/gbdt-model.js';

export interface Loss {
  readonly name: GbdtLoss;
  readonly nOutputs: number;
  baseline(y: Float64Array | Int32Array, w: Float64Array | null): number[];
  /** Fills gradients and hessians (weighted) of the current raw scores; returns their loss (as `loss` would, in the same pass). */
  gradients(raw: Float64Array, y: Float64Array | Int32Array, w: Float64Array | null, g: Float32Array, h: Float32Array): number;
  /** Weighted mean loss of the raw scores. */
  loss(raw: Float64Array, y: Float64Array | Int32Array, w: Float64Array | null): number;
}

const weightOf = (w: Float64Array | null, i: number): number => (w ? w[i]! : 1);

function totalWeight(n: number, w: Float64Array | null): number {
  if (!w) return n;
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i]!;
  return s;
}

/** The weighted q-quantile (lower) of `values`. */
export function weightedQuantile(values: Float64Array, w: Float64Array | null, q: number): number {
  const order = Uint32Array.from(values.keys()).sort((a, b) => values[a]! - values[b]! || a - b);
  const target = q * totalWeight(values.length, w);
  let acc = 0;
  for (const i of order) {
    acc += weightOf(w, i);
    if (acc >= target) return values[i]!;
  }
  return values[order[order.length - 1]!] ?? 0;
}

export class SquaredError implements Loss {
  readonly name: GbdtLoss = 'squared';
  readonly nOutputs = 1;

  baseline(y: Float64Array, w: Float64Array | null): number[] {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += weightOf(w, i) * y[i]!;
    return [s / totalWeight(y.length, w)];
  }

  gradients(raw: Float64Array, y: Float64Array, w: Float64Array | null, g: Float32Array, h: Float32Array): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const wi = weightOf(w, i);
      const r = raw[i]! - y[i]!;
      g[i] = wi * r;
      h[i] = wi;
      s += wi * r * r;
    }
    return (0.5 * s) / totalWeight(y.length, w);
  }

  loss(raw: Float64Array, y: Float64Array, w: Float64Array | null): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += weightOf(w, i) * (raw[i]! - y[i]!) ** 2;
    return (0.5 * s) / totalWeight(y.length, w);
  }
}

/**
 * Huber loss: squared within `delta` of the target, linear beyond it, so outliers pull a leaf by at
 * most delta. delta is re-estimated each iteration as the `quantile` of the absolute residuals (as
 * scikit-learn's GradientBoostingRegressor does); the hessian is taken as 1 everywhere, which turns
 * a leaf's value into the mean of the clipped residuals.
 */
export class HuberLoss implements Loss {
  readonly name: GbdtLoss = 'huber';
  readonly nOutputs = 1;
  private delta = Infinity;
  /** The delta of the reported loss, fixed at the baseline so that losses of different iterations compare. */
  private lossDelta = Infinity;

  constructor(private readonly quantile: number) {}

  baseline(y: Float64Array, w: Float64Array | null): number[] {
    const median = weightedQuantile(y, w, 0.5);
    this.lossDelta = Math.max(
      weightedQuantile(
        y.map((v) => Math.abs(v - median)),
        w,
        this.quantile,
      ),
      1e-12,
    );
    return [median];
  }

  gradients(raw: Float64Array, y: Float64Array, w: Float64Array | null, g: Float32Array, h: Float32Array): number {
    const abs = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) abs[i] = Math.abs(raw[i]! - y[i]!);
    this.delta = Math.max(weightedQuantile(abs, w, this.quantile), 1e-12);
    for (let i = 0; i < y.length; i++) {
      const wi = weightOf(w, i);
      g[i] = wi * Math.max(-this.delta, Math.min(this.delta, raw[i]! - y[i]!));
      h[i] = wi;
    }
    return this.loss(raw, y, w);
  }

  loss(raw: Float64Array, y: Float64Array, w: Float64Array | null): number {
    const d = this.lossDelta;
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const r = Math.abs(raw[i]! - y[i]!);
      s += weightOf(w, i) * (r <= d ? 0.5 * r * r : d * (r - 0.5 * d));
    }
    return s / totalWeight(y.length, w);
  }
}

/** log(1 + e^-z): the log loss of log-odds z for the true class, without overflow. */
function logLoss(z: number): number {
  return z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
}

/** Binary log loss of the log-odds of class 1: one tree per iteration. */
export class LogisticLoss implements Loss {
  readonly name: GbdtLoss = 'logistic';
  readonly nOutputs = 1;

  baseline(y: Int32Array, w: Float64Array | null): number[] {
    let ones = 0;
    for (let i = 0; i < y.length; i++) ones += y[i] === 1 ? weightOf(w, i) : 0;
    const p = Math.min(Math.max(ones / totalWeight(y.length, w), 1e-12), 1 - 1e-12);
    return [Math.log(p / (1 - p))];
  }

  gradients(raw: Float64Array, y: Int32Array, w: Float64Array | null, g: Float32Array, h: Float32Array): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]!));
      const wi = weightOf(w, i);
      g[i] = wi * (p - y[i]!);
      h[i] = wi * Math.max(p * (1 - p), 1e-16);
      s += wi * logLoss(y[i] === 1 ? raw[i]! : -raw[i]!);
    }
    return s / totalWeight(y.length, w);
  }

  loss(raw: Float64Array, y: Int32Array, w: Float64Array | null): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += weightOf(w, i) * logLoss(y[i] === 1 ? raw[i]! : -raw[i]!);
    return s / totalWeight(y.length, w);
  }
}

/** Multinomial log loss over softmax of K raw scores; one tree per class per iteration. */
export class SoftmaxLoss implements Loss {
  readonly name: GbdtLoss = 'softmax';
  private readonly p: Float64Array;

  constructor(readonly nOutputs: number) {
    this.p = new Float64Array(nOutputs);
  }

  baseline(y: Int32Array, w: Float64Array | null): number[] {
    const prior = new Float64Array(this.nOutputs);
    for (let i = 0; i < y.length; i++) prior[y[i]!]! += weightOf(w, i);
    const total = totalWeight(y.length, w);
    return Array.from(prior, (p) => Math.log(Math.max(p / total, 1e-12)));
  }

  /** Class probabilities of one row into this.p. */
  private probabilities(raw: Float64Array, row: number): Float64Array {
    const k = this.nOutputs;
    let max = -Infinity;
    for (let o = 0; o < k; o++) max = Math.max(max, raw[row * k + o]!);
    let sum = 0;
    for (let o = 0; o < k; o++) sum += this.p[o] = Math.exp(raw[row * k + o]! - max);
    for (let o = 0; o < k; o++) this.p[o]! /= sum;
    return this.p;
  }

  gradients(raw: Float64Array, y: Int32Array, w: Float64Array | null, g: Float32Array, h: Float32Array): number {
    const n = y.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const p = this.probabilities(raw, i);
      const wi = weightOf(w, i);
      s -= wi * Math.log(Math.max(p[y[i]!]!, 1e-300));
      for (let o = 0; o < this.nOutputs; o++) {
        const po = p[o]!;
        g[o * n + i] = wi * (po - (y[i] === o ? 1 : 0));
        h[o * n + i] = wi * Math.max(po * (1 - po), 1e-16);
      }
    }
    return s / totalWeight(n, w);
  }

  loss(raw: Float64Array, y: Int32Array, w: Float64Array | null): number {
    let s = 0;
    for (let i = 0; i < y.length; i++) s -= weightOf(w, i) * Math.log(Math.max(this.probabilities(raw, i)[y[i]!]!, 1e-300));
    return s / totalWeight(y.length, w);
  }
}
