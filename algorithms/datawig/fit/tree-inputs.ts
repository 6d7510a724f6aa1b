/**
 * Predictor screening for the trees of a wide table (as R mice's `quickpred` does for MICE): a
 * boosting round costs in proportion to the columns it scans, so on a table with more numeric
 * inputs than MAX_TREE_NUMERIC_INPUTS the trees see only those most related to the target on the
 * training rows. The model keeps the table's full column indices (`widenFeatures`), so serving and
 * the stored format do not change. Categorical and text-length inputs are always kept (few, and
 * their relation to the target is not a correlation).
 */
import type { GbdtModel } from '../core/gbdt-model.js';
import type { TreeColumn } from '../core/tree-features.js';

/** Most numeric columns (missing indicators included) the trees of one target scan. */
export const MAX_TREE_NUMERIC_INPUTS = 40;

/**
 * How strongly a numeric input relates to the target over the first `rows` rows where it is known:
 * the squared correlation for a number, the correlation ratio (between-class share of the input's
 * variance) for classes; 0 for a constant or an input never known.
 */
export function relatedness(x: Float64Array, y: ArrayLike<number>, rows: number, classes: number | undefined): number {
  if (classes !== undefined) return correlationRatio(x, y, rows, classes);
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < rows; i++) {
    if (x[i] !== x[i]) continue;
    n++;
    mx += x[i]!;
    my += y[i]!;
  }
  if (n < 2) return 0;
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rows; i++) {
    if (x[i] !== x[i]) continue;
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
}

function correlationRatio(x: Float64Array, y: ArrayLike<number>, rows: number, classes: number): number {
  const sum = new Float64Array(classes);
  const count = new Float64Array(classes);
  let n = 0;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const k = y[i]!;
    if (x[i] !== x[i] || k < 0 || k >= classes) continue;
    sum[k]! += x[i]!;
    count[k]!++;
    total += x[i]!;
    n++;
  }
  if (n < 2) return 0;
  const mean = total / n;
  let within = 0;
  let all = 0;
  for (let i = 0; i < rows; i++) {
    const k = y[i]!;
    if (x[i] !== x[i] || k < 0 || k >= classes) continue;
    all += (x[i]! - mean) ** 2;
    within += (x[i]! - sum[k]! / count[k]!) ** 2;
  }
  return all > 0 ? 1 - within / all : 0;
}

/**
 * The indices of the columns the trees scan, increasing: every one when the numeric columns are at
 * most MAX_TREE_NUMERIC_INPUTS, else the non-numeric ones and the most related numeric ones (ties
 * to the earlier column, so the choice is deterministic).
 */
export function screenTreeInputs(
  columns: readonly TreeColumn[],
  features: readonly Float64Array[],
  y: ArrayLike<number>,
  rows: number,
  classes: number | undefined,
  limit = MAX_TREE_NUMERIC_INPUTS,
): number[] {
  const numeric = columns.flatMap((c, f) => (c.kind === 'numeric' ? [f] : []));
  if (numeric.length <= limit) return columns.map((_, f) => f);
  const ranked = numeric.map((f) => ({ f, score: relatedness(features[f]!, y, rows, classes) })).sort((a, b) => b.score - a.score || a.f - b.f);
  const kept = new Set(ranked.slice(0, limit).map((r) => r.f));
  return columns.map((_, f) => f).filter((f) => columns[f]!.kind !== 'numeric' || kept.has(f));
}

/**
 * A model fitted on the columns `kept` (in that order) of a table of `categorical.length` columns,
 * restated over all of them: split features renumbered, the other columns unused (category count 0).
 */
export function widenFeatures(model: GbdtModel, kept: readonly number[], categorical: readonly boolean[]): GbdtModel {
  const categoryCount = new Array<number>(categorical.length).fill(0);
  kept.forEach((f, j) => (categoryCount[f] = model.categoryCount[j]!));
  return {
    ...model,
    nFeatures: categorical.length,
    categorical: [...categorical],
    categoryCount,
    iterations: model.iterations.map((trees) => trees.map((t) => ({ ...t, feature: t.feature.map((f) => (f < 0 ? f : kept[f]!)) }))),
  };
}
