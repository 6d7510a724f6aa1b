/**
 * Grows one regression tree on binned rows, leaf-wise and best-first: the leaf whose best split
 * gains most is split next, until `maxLeafNodes` leaves (or no leaf can split). Rows of a node are
 * a range of one shared index array, partitioned in place (stable) at each split; the smaller child's
 * histogram is built from its rows, the larger one's is the parent's minus it.
 */
import { MISSING_BIN } from './binning.js';
import { buildHistogram, gatherGradients, HistogramPool, subtractInto, type OrderedGradients } from './histogram.js';
import { findBestSplit, type FeatureLayout, type NodeSums, type Split, type SplitParams } from './split.js';

export interface GrowParams extends SplitParams {
  maxLeafNodes: number;
  /** Deepest level of a leaf (root = 0); Infinity for no limit. */
  maxDepth: number;
  learningRate: number;
  /** Every hessian is 1 (squared / Huber loss without weights): histograms skip them. */
  unitHessian: boolean;
}

/** A tree whose splits are on bins (training-side form; the model stores raw thresholds). */
export interface BinnedTree {
  feature: number[];
  bin: number[];
  missingLeft: boolean[];
  categories: (Uint32Array | null)[];
  left: number[];
  right: number[];
  value: number[];
  gain: number[];
}

interface OpenLeaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  sums: NodeSums;
  hist: Float64Array | null;
  split: Split | null;
}

/** Buffers reused by every tree of one fit. */
export class TreeGrower {
  private readonly pool: HistogramPool;
  private readonly indices: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly ordered: OrderedGradients;

  constructor(
    private readonly bins: Uint8Array,
    private readonly nRows: number,
    private readonly layout: FeatureLayout,
    private readonly p: GrowParams,
  ) {
    this.pool = new HistogramPool(layout.nBins.length);
    this.indices = new Uint32Array(nRows);
    this.scratch = new Uint32Array(nRows);
    this.ordered = { gradients: new Float32Array(nRows), hessians: new Float32Array(nRows) };
  }

  /** Grows a tree on these gradients and adds its leaf values to `raw[row * stride + output]`. */
  grow(gradients: Float32Array, hessians: Float32Array, raw: Float64Array, stride: number, output: number): BinnedTree {
    const tree: BinnedTree = { feature: [], bin: [], missingLeft: [], categories: [], left: [], right: [], value: [], gain: [] };
    for (let i = 0; i < this.nRows; i++) this.indices[i] = i;
    const root = this.openLeaf(tree, 0, this.nRows, 0, sumsOf(gradients, hessians));
    root.hist = this.pool.take();
    buildHistogram(root.hist, this.bins, this.nRows, this.indices, 0, this.nRows, { gradients, hessians }, true, this.p.unitHessian);
    this.findSplit(root);
    const leaves = [root];
    while (leaves.length < this.p.maxLeafNodes) {
      const next = bestLeaf(leaves);
      if (next < 0) break;
      const [left, right] = this.split(tree, leaves[next]!, gradients, hessians);
      leaves.splice(next, 1, left, right);
    }
    for (const leaf of leaves) {
      if (leaf.hist) this.pool.give(leaf.hist);
      const v = tree.value[leaf.node]!;
      for (let i = leaf.start; i < leaf.end; i++) raw[this.indices[i]! * stride + output]! += v;
    }
    return tree;
  }

  private openLeaf(tree: BinnedTree, start: number, end: number, depth: number, sums: NodeSums): OpenLeaf {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.bin.push(0);
    tree.missingLeft.push(false);
    tree.categories.push(null);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push((-this.p.learningRate * sums.g) / (sums.h + this.p.l2));
    tree.gain.push(0);
    return { node, start, end, depth, sums, hist: null, split: null };
  }

  private canSplit(leaf: OpenLeaf): boolean {
    return leaf.depth < this.p.maxDepth && leaf.sums.c >= 2 * this.p.minSamplesLeaf;
  }

  /** Finds the leaf's best split; a leaf that cannot split gives its histogram back. */
  private findSplit(leaf: OpenLeaf): void {
    leaf.split = this.canSplit(leaf) ? findBestSplit(leaf.hist!, leaf.sums, this.layout, this.p) : null;
    if (!leaf.split) {
      this.pool.give(leaf.hist!);
      leaf.hist = null;
    }
  }

  private split(tree: BinnedTree, leaf: OpenLeaf, gradients: Float32Array, hessians: Float32Array): [OpenLeaf, OpenLeaf] {
    const s = leaf.split!;
    const mid = this.partition(leaf, s);
    const left = this.openLeaf(tree, leaf.start, mid, leaf.depth + 1, s.left);
    const right = this.openLeaf(tree, mid, leaf.end, leaf.depth + 1, s.right);
    const n = leaf.node;
    tree.feature[n] = s.feature;
    tree.bin[n] = s.bin;
    tree.missingLeft[n] = s.missingLeft;
    tree.categories[n] = s.categories;
    tree.left[n] = left.node;
    tree.right[n] = right.node;
    tree.gain[n] = s.gain;
    const parentHist = leaf.hist!;
    leaf.hist = null;
    if (!this.canSplit(left) && !this.canSplit(right)) {
      this.pool.give(parentHist);
      return [left, right];
    }
    const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
    small.hist = this.pool.take();
    gatherGradients(this.indices, small.start, small.end, gradients, hessians, this.ordered);
    buildHistogram(small.hist, this.bins, this.nRows, this.indices, small.start, small.end, this.ordered, false, this.p.unitHessian);
    subtractInto(parentHist, small.hist);
    large.hist = parentHist;
    this.findSplit(small);
    this.findSplit(large);
    return [left, right];
  }

  /** Stable in-place partition of the leaf's rows: left-going rows first; returns where the right ones start. */
  private partition(leaf: OpenLeaf, s: Split): number {
    const col = this.bins.subarray(s.feature * this.nRows, (s.feature + 1) * this.nRows);
    const idx = this.indices;
    let w = leaf.start;
    let r = 0;
    for (let i = leaf.start; i < leaf.end; i++) {
      const row = idx[i]!;
      if (goesLeft(s.bin, s.categories, s.missingLeft, col[row]!)) idx[w++] = row;
      else this.scratch[r++] = row;
    }
    idx.set(this.scratch.subarray(0, r), w);
    return w;
  }
}

function sumsOf(g: Float32Array, h: Float32Array): NodeSums {
  let sg = 0;
  let sh = 0;
  for (let i = 0; i < g.length; i++) {
    sg += g[i]!;
    sh += h[i]!;
  }
  return { g: sg, h: sh, c: g.length };
}

/** The open leaf with the best split (ties keep the earlier one), -1 when none can split. */
function bestLeaf(leaves: OpenLeaf[]): number {
  let best = -1;
  for (let i = 0; i < leaves.length; i++) if (leaves[i]!.split && (best < 0 || leaves[i]!.split!.gain > leaves[best]!.split!.gain)) best = i;
  return best;
}

function goesLeft(bin: number, categories: Uint32Array | null, missingLeft: boolean, b: number): boolean {
  if (b === MISSING_BIN) return missingLeft;
  return categories ? (categories[b >>> 5]! & (1 << (b & 31))) !== 0 : b <= bin;
}

/** Adds the tree's leaf values to `raw[row * stride + output]` for binned rows (the validation rows). */
export function addBinnedPredictions(tree: BinnedTree, bins: Uint8Array, nRows: number, raw: Float64Array, stride: number, output: number): void {
  for (let r = 0; r < nRows; r++) {
    let node = 0;
    for (let f = tree.feature[0]!; f >= 0; f = tree.feature[node]!) {
      const b = bins[f * nRows + r]!;
      node = goesLeft(tree.bin[node]!, tree.categories[node]!, tree.missingLeft[node]!, b) ? tree.left[node]! : tree.right[node]!;
    }
    raw[r * stride + output]! += tree.value[node]!;
  }
}
