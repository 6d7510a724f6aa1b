/**
 * Gradient histograms: per feature and bin, the sums of gradient, hessian and row count of a node's
 * rows, interleaved as `hist[(f * BIN_SLOTS + bin) * 3 + {0: gradient, 1: hessian, 2: count}]`.
 * A child's histogram is its parent's minus its sibling's (the subtraction trick), so only the
 * smaller child is ever built from rows.
 */
import { BIN_SLOTS } from './binning.js';

export const HIST_STRIDE = 3;

/** Reuses histogram buffers across nodes and trees (a tree of 31 leaves holds at most ~32 at once). */
export class HistogramPool {
  private readonly free: Float64Array[] = [];
  constructor(private readonly nFeatures: number) {}

  take(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.nFeatures * BIN_SLOTS * HIST_STRIDE);
  }

  give(hist: Float64Array): void {
    this.free.push(hist);
  }
}

/** The node's gradients and hessians gathered in row order of `indices[start, end)` (contiguous reads in the feature loop). */
export interface OrderedGradients {
  gradients: Float32Array;
  hessians: Float32Array;
}

export function gatherGradients(
  indices: Uint32Array,
  start: number,
  end: number,
  gradients: Float32Array,
  hessians: Float32Array,
  into: OrderedGradients,
): OrderedGradients {
  const g = into.gradients;
  const h = into.hessians;
  for (let i = start; i < end; i++) {
    const r = indices[i]!;
    g[i - start] = gradients[r]!;
    h[i - start] = hessians[r]!;
  }
  return into;
}

/**
 * Fills `hist` from the rows `indices[start, end)` whose gathered gradients are `ordered`; `all`
 * says the node is the root with every row in natural order (then no gather and no indirection).
 * `unitHessian`: every hessian is 1 (squared and Huber loss without weights), so the hessian sums
 * are the counts and the row loop skips them.
 */
export function buildHistogram(
  hist: Float64Array,
  bins: Uint8Array,
  nRows: number,
  indices: Uint32Array,
  start: number,
  end: number,
  ordered: OrderedGradients,
  all: boolean,
  unitHessian: boolean,
): void {
  hist.fill(0);
  const nFeatures = bins.length / nRows;
  for (let f = 0; f < nFeatures; f++) {
    const base = f * BIN_SLOTS * HIST_STRIDE;
    const col = bins.subarray(f * nRows, (f + 1) * nRows);
    if (unitHessian) accumulateUnit(hist, base, col, indices, start, end, ordered.gradients, all);
    else accumulate(hist, base, col, indices, start, end, ordered, all);
  }
  if (unitHessian) for (let o = 0; o < hist.length; o += HIST_STRIDE) hist[o + 1] = hist[o + 2]!;
}

// The row loops below take two rows per turn: two independent chains of loads and adds run
// faster than one. The root (`all`) reads bins in row order, other nodes through their indices.

function accumulate(
  hist: Float64Array,
  base: number,
  col: Uint8Array,
  indices: Uint32Array,
  start: number,
  end: number,
  ordered: OrderedGradients,
  all: boolean,
): void {
  const g = ordered.gradients;
  const h = ordered.hessians;
  const count = end - start;
  let i = 0;
  if (all) {
    for (; i + 1 < count; i += 2) {
      const a = base + col[i]! * HIST_STRIDE;
      const b = base + col[i + 1]! * HIST_STRIDE;
      hist[a]! += g[i]!;
      hist[a + 1]! += h[i]!;
      hist[a + 2]! += 1;
      hist[b]! += g[i + 1]!;
      hist[b + 1]! += h[i + 1]!;
      hist[b + 2]! += 1;
    }
  } else {
    for (; i + 1 < count; i += 2) {
      const a = base + col[indices[start + i]!]! * HIST_STRIDE;
      const b = base + col[indices[start + i + 1]!]! * HIST_STRIDE;
      hist[a]! += g[i]!;
      hist[a + 1]! += h[i]!;
      hist[a + 2]! += 1;
      hist[b]! += g[i + 1]!;
      hist[b + 1]! += h[i + 1]!;
      hist[b + 2]! += 1;
    }
  }
  for (; i < count; i++) {
    const a = base + col[all ? i : indices[start + i]!]! * HIST_STRIDE;
    hist[a]! += g[i]!;
    hist[a + 1]! += h[i]!;
    hist[a + 2]! += 1;
  }
}

function accumulateUnit(
  hist: Float64Array,
  base: number,
  col: Uint8Array,
  indices: Uint32Array,
  start: number,
  end: number,
  g: Float32Array,
  all: boolean,
): void {
  const count = end - start;
  let i = 0;
  if (all) {
    for (; i + 1 < count; i += 2) {
      const a = base + col[i]! * HIST_STRIDE;
      const b = base + col[i + 1]! * HIST_STRIDE;
      hist[a]! += g[i]!;
      hist[a + 2]! += 1;
      hist[b]! += g[i + 1]!;
      hist[b + 2]! += 1;
    }
  } else {
    for (; i + 1 < count; i += 2) {
      const a = base + col[indices[start + i]!]! * HIST_STRIDE;
      const b = base + col[indices[start + i + 1]!]! * HIST_STRIDE;
      hist[a]! += g[i]!;
      hist[a + 2]! += 1;
      hist[b]! += g[i + 1]!;
      hist[b + 2]! += 1;
    }
  }
  for (; i < count; i++) {
    const a = base + col[all ? i : indices[start + i]!]! * HIST_STRIDE;
    hist[a]! += g[i]!;
    hist[a + 2]! += 1;
  }
}

/** `parent -= child`: the parent's buffer becomes the sibling's histogram. */
export function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i]! -= child[i]!;
}
