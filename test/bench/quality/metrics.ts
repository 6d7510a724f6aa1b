/**
 * Scores of imputed cells against the hidden truth, and the summaries the acceptance criteria of
 * issue 12 are judged by. Numbers: normalised MSE = MSE / variance of the column's known values
 * (all rows, before masking: a fixed scale per column, so that MNAR masks, which hide a narrow band
 * of high values, do not inflate it). Classes: error rate, and macro-F1 over the classes present in
 * the truth. Lower is better for every "error"; for classes the error is the error rate.
 */

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length ? sum / values.length : NaN;
}

/** Population variance of the non-NaN values. */
export function variance(values: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]!)) continue;
    sum += values[i]!;
    count++;
  }
  if (count === 0) return NaN;
  const mu = sum / count;
  let squares = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) squares += (values[i]! - mu) ** 2;
  return squares / count;
}

/** MSE / scale; a zero scale (a constant column) falls back to the plain MSE. */
export function normalisedMse(truth: ArrayLike<number>, predicted: ArrayLike<number>, scale: number): number {
  if (truth.length !== predicted.length) throw new Error(`normalisedMse: ${truth.length} true values but ${predicted.length} predictions`);
  if (truth.length === 0) return NaN;
  let squares = 0;
  for (let i = 0; i < truth.length; i++) squares += (truth[i]! - predicted[i]!) ** 2;
  return squares / truth.length / (scale > 0 ? scale : 1);
}

export function errorRate(truth: readonly string[], predicted: readonly (string | null)[]): number {
  if (truth.length !== predicted.length) throw new Error(`errorRate: ${truth.length} true values but ${predicted.length} predictions`);
  if (truth.length === 0) return NaN;
  let wrong = 0;
  truth.forEach((t, i) => {
    if (predicted[i] !== t) wrong++;
  });
  return wrong / truth.length;
}

/** Mean F1 over the classes that occur in the truth (a predicted class absent from the truth only costs precision). */
export function macroF1(truth: readonly string[], predicted: readonly (string | null)[]): number {
  if (truth.length !== predicted.length) throw new Error(`macroF1: ${truth.length} true values but ${predicted.length} predictions`);
  const classes = new Set(truth);
  if (classes.size === 0) return NaN;
  let sum = 0;
  for (const label of classes) {
    let truePositive = 0;
    let falsePositive = 0;
    let falseNegative = 0;
    truth.forEach((t, i) => {
      const hit = predicted[i] === label;
      if (hit && t === label) truePositive++;
      else if (hit) falsePositive++;
      else if (t === label) falseNegative++;
    });
    sum += truePositive ? (2 * truePositive) / (2 * truePositive + falsePositive + falseNegative) : 0;
  }
  return sum / classes.size;
}

/** ours / best; 1 when both are 0, Infinity when only the best is 0. */
export function errorRatio(ours: number, best: number): number {
  if (Number.isNaN(ours) || Number.isNaN(best)) return NaN;
  if (best <= 0) return ours <= 0 ? 1 : Infinity;
  return ours / best;
}

/** Median of the non-NaN values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The peer with the lowest error (NaN errors, i.e. failed peers, are skipped). */
export function bestOf(errors: ReadonlyMap<string, number>): { name: string; error: number } | null {
  let best: { name: string; error: number } | null = null;
  for (const [name, error] of errors) if (!Number.isNaN(error) && (best === null || error < best.error)) best = { name, error };
  return best;
}

/** One scored (table, mask, column) case of one "ours" variant. */
export interface ColumnCase {
  table: string;
  mask: string;
  column: string;
  kind: 'numeric' | 'categorical';
  ratio: number;
}

export interface AcceptanceSummary {
  /** Per table: median ratio over its numeric cases, its categorical cases. */
  perTable: { table: string; numbers: number; classes: number; all: number; cases: number }[];
  overallNumbers: number;
  overallClasses: number;
  /** Cases where ours is more than `tolerance` worse than the best peer. */
  worse: ColumnCase[];
  cases: number;
  /** The acceptance criteria of issue 12: every table's median ≤ 1, overall medians < 1, no case > 1 + tolerance. */
  passes: boolean;
}

export function summarise(cases: readonly ColumnCase[], tolerance = 0.1): AcceptanceSummary {
  const tables = [...new Set(cases.map((c) => c.table))];
  const ratios = (subset: readonly ColumnCase[], kind?: ColumnCase['kind']) => median(subset.filter((c) => !kind || c.kind === kind).map((c) => c.ratio));
  const perTable = tables.map((table) => {
    const mine = cases.filter((c) => c.table === table);
    return { table, numbers: ratios(mine, 'numeric'), classes: ratios(mine, 'categorical'), all: ratios(mine), cases: mine.length };
  });
  const overallNumbers = ratios(cases, 'numeric');
  const overallClasses = ratios(cases, 'categorical');
  const worse = cases.filter((c) => !(c.ratio <= 1 + tolerance));
  const tableMediansHold = perTable.every((t) => [t.numbers, t.classes].every((m) => Number.isNaN(m) || m <= 1));
  const overallHolds = [overallNumbers, overallClasses].every((m) => Number.isNaN(m) || m < 1);
  return {
    perTable,
    overallNumbers,
    overallClasses,
    worse,
    cases: cases.length,
    passes: cases.length > 0 && tableMediansHold && overallHolds && worse.length === 0,
  };
}
