/** Softmax and cross-entropy, temperature scaling, expected calibration error, per-class metrics and precision curves. */
import { argmax } from '../../../framework/contract/index.js';
import type { ClassReport, PrecisionCurves, ReliabilityBin } from '../format/target-artifact.js';

export function softmaxInto(logits: ArrayLike<number>, off: number, K: number, t: number, out: Float64Array): void {
  let m = -Infinity;
  for (let k = 0; k < K; k++) m = Math.max(m, logits[off + k]! / t);
  let s = 0;
  for (let k = 0; k < K; k++) s += out[k] = Math.exp(logits[off + k]! / t - m);
  for (let k = 0; k < K; k++) out[k]! /= s;
}

/** -log softmax(logits / t)[y]. */
export function crossEntropy(logits: ArrayLike<number>, y: number, t = 1): number {
  let m = -Infinity;
  for (let k = 0; k < logits.length; k++) m = Math.max(m, logits[k]! / t);
  let s = 0;
  for (let k = 0; k < logits.length; k++) s += Math.exp(logits[k]! / t - m);
  return Math.log(s) + m - logits[y]! / t;
}

export function nll(logits: Float32Array, y: Float32Array, K: number, t: number): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! < 0) continue;
    s += crossEntropy(logits.subarray(i * K, (i + 1) * K), y[i]!, t);
    n++;
  }
  return n ? s / n : 0;
}

/** Mean -log p(true class) over the rows with a known class (y >= 0), probabilities floored at 1e-12; undefined if there is none. */
export function meanLogLoss(probs: ArrayLike<number>, y: Float32Array, K: number): number | undefined {
  let loss = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! < 0) continue;
    loss -= Math.log(Math.max(1e-12, probs[i * K + y[i]!]!));
    n++;
  }
  return n ? loss / n : undefined;
}

/** softmax(scores / t) of every row (K per row), into a new array (core/gbdt-model.ts softmaxRows works in place, without t). */
export function temperedSoftmax(scores: ArrayLike<number>, K: number, t: number): Float64Array {
  const p = new Float64Array(scores.length);
  const row = new Float64Array(K);
  for (let i = 0; i < scores.length / K; i++) {
    softmaxInto(scores, i * K, K, t, row);
    p.set(row, i * K);
  }
  return p;
}

/** Mean squared error of predictions against targets (0 rows: 0). */
export function meanSquaredError(predictions: ArrayLike<number>, y: ArrayLike<number>): number {
  let se = 0;
  for (let i = 0; i < y.length; i++) se += (predictions[i]! - y[i]!) ** 2;
  return se / Math.max(1, y.length);
}

/** The middle of the final bracket of a golden-section search for the minimum of f on [lo, hi]. */
export function goldenSection(f: (x: number) => number, lo: number, hi: number, iterations: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < iterations; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

/** The temperature minimising validation NLL (golden-section search over log T in [1/20, 20]). */
export function fitTemperature(logits: Float32Array, y: Float32Array, K: number): number {
  const f = (x: number) => nll(logits, y, K, Math.exp(x));
  const t = Math.exp(goldenSection(f, Math.log(0.05), Math.log(20), 40));
  // keep T=1 when scaling does not help (tiny validation sets)
  return f(Math.log(t)) < f(0) ? t : 1;
}

/** Per equal-width bin of the top-class probability softmax(logits / t): summed probability, hits and rows. */
function topClassBins(logits: Float32Array, y: Float32Array, K: number, t: number, bins: number): { conf: Float64Array; acc: Float64Array; cnt: Float64Array } {
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  const cnt = new Float64Array(bins);
  const p = new Float64Array(K);
  for (let i = 0; i < y.length; i++) {
    softmaxInto(logits, i * K, K, t, p);
    const arg = argmax(p);
    const bin = Math.min(bins - 1, Math.floor(p[arg]! * bins));
    conf[bin] += p[arg]!;
    acc[bin] += arg === y[i] ? 1 : 0;
    cnt[bin]++;
  }
  return { conf, acc, cnt };
}

/** Expected calibration error of the top-class probability, 15 equal-width bins. */
export function ece(logits: Float32Array, y: Float32Array, K: number, t: number, bins = 15): number {
  const { conf, acc, cnt } = topClassBins(logits, y, K, t, bins);
  let e = 0;
  for (let b = 0; b < bins; b++) if (cnt[b]) e += Math.abs(acc[b]! - conf[b]!) / y.length;
  return e;
}

/** The reliability diagram of softmax(logits / t): per non-empty bin, mean confidence, accuracy and rows (4 decimals: the report's figures). */
export function reliabilityBins(logits: Float32Array, y: Float32Array, K: number, t: number, bins: number): ReliabilityBin[] {
  const { conf, acc, cnt } = topClassBins(logits, y, K, t, bins);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) if (cnt[b]) out.push({ confidence: round(conf[b]! / cnt[b]!), accuracy: round(acc[b]! / cnt[b]!), count: cnt[b]! });
  return out;
}

export function classReport(pred: Int32Array, y: Float32Array, classes: string[]): ClassReport {
  const K = classes.length;
  const confusion = Array.from({ length: K + 1 }, () => new Array<number>(K).fill(0));
  let correct = 0;
  for (let i = 0; i < pred.length; i++) {
    const t = y[i]! < 0 ? K : y[i]!;
    confusion[t]![pred[i]!]!++;
    if (pred[i] === y[i]) correct++;
  }
  const perClass = classes.map((label, k) => {
    const tp = confusion[k]![k]!;
    let predicted = 0;
    for (let t = 0; t <= K; t++) predicted += confusion[t]![k]!;
    const support = confusion[k]!.reduce((a, b) => a + b, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((c) => c.support > 0);
  const macroF1 = present.length ? present.reduce((a, c) => a + c.f1, 0) / present.length : 0;
  return { accuracy: pred.length ? correct / pred.length : 0, macroF1, perClass, confusion };
}

export const CURVE_STEPS = 100;

/**
 * Precision-vs-threshold per class on validation data: for threshold i/100, the precision and
 * count of rows predicted as that class with probability >= the threshold.
 */
export function precisionCurves(probs: Float64Array[], pred: Int32Array, y: Float32Array, K: number): PrecisionCurves {
  const precision: number[][] = [];
  const count: number[][] = [];
  for (let k = 0; k < K; k++) {
    const hits = new Float64Array(CURVE_STEPS + 1);
    const all = new Float64Array(CURVE_STEPS + 1);
    for (let i = 0; i < pred.length; i++) {
      if (pred[i] !== k) continue;
      const top = Math.min(CURVE_STEPS, Math.floor(probs[i]![k]! * CURVE_STEPS + 1e-9));
      all[top]++;
      if (y[i] === k) hits[top]++;
    }
    // cumulative from the top: rows with p >= threshold
    for (let s = CURVE_STEPS - 1; s >= 0; s--) {
      all[s] += all[s + 1]!;
      hits[s] += hits[s + 1]!;
    }
    precision.push(Array.from(all, (a, s) => (a ? Math.round((hits[s]! / a) * 1e4) / 1e4 : 0)));
    count.push(Array.from(all));
  }
  return { precision, count };
}

/**
 * The probability a prediction of class k needs so that, on validation data, that class reached
 * the requested precision (DataWig's precision_threshold). Infinity: never reached.
 */
export function thresholdFor(curve: PrecisionCurves, k: number, wanted: number): number {
  if (wanted <= 0) return 0;
  const p = curve.precision[k]!;
  const c = curve.count[k]!;
  for (let s = 0; s <= CURVE_STEPS; s++) if (c[s]! > 0 && p[s]! >= wanted) return s / CURVE_STEPS;
  return Infinity;
}
