/**
 * Best split of a node from its histograms. The gain of a split is the second-order loss reduction
 * G_L²/(H_L+l2) + G_R²/(H_R+l2) - G²/(H+l2). Numeric features try every bin boundary with the
 * missing rows on either side (the better side is the learnt default direction); categorical
 * features sort their categories (missing is one of them) by smoothed gradient/hessian ratio and
 * try every prefix of that order as the left set.
 */
import { BIN_SLOTS, MISSING_BIN } from './binning.js';
import { HIST_STRIDE } from './histogram.js';

export interface NodeSums {
  g: number;
  h: number;
  c: number;
}

export interface Split {
  gain: number;
  feature: number;
  /** Numeric split: bins <= bin go left (-1 for a categorical split). */
  bin: number;
  missingLeft: boolean;
  /** Categorical split: bitset of the codes that go left (8 words), codes without rows here included when missing goes left. */
  categories: Uint32Array | null;
  left: NodeSums;
  right: NodeSums;
}

export interface SplitParams {
  l2: number;
  minSamplesLeaf: number;
  minHessianToSplit: number;
  /** Added to a category's hessian before its ratio is taken, so rare categories sort near the middle. */
  categorySmoothing: number;
  /** Rows a category needs at a node to take part in the sort (scikit-learn: 10). */
  minCategorySupport: number;
}

export interface FeatureLayout {
  categorical: readonly boolean[];
  nBins: Int32Array;
  categoryCount: Int32Array;
}

/** The best split seen so far over a categorical feature's prefixes. */
class Candidate {
  gain = 0;
  gl = 0;
  hl = 0;
  cl = 0;
  position = -1;
  missingLeft = false;

  constructor(
    private readonly sums: NodeSums,
    private readonly p: SplitParams,
    private readonly parentScore: number,
  ) {}

  /** Considers the split with these left sums; `position` is what the caller needs to rebuild it. */
  offer(gl: number, hl: number, cl: number, position: number, missingLeft: boolean): void {
    const cr = this.sums.c - cl;
    if (cl < this.p.minSamplesLeaf || cr < this.p.minSamplesLeaf) return;
    const hr = this.sums.h - hl;
    if (hl < this.p.minHessianToSplit || hr < this.p.minHessianToSplit) return;
    const gr = this.sums.g - gl;
    const gain = (gl * gl) / (hl + this.p.l2) + (gr * gr) / (hr + this.p.l2) - this.parentScore;
    if (gain > this.gain) {
      this.gain = gain;
      this.gl = gl;
      this.hl = hl;
      this.cl = cl;
      this.position = position;
      this.missingLeft = missingLeft;
    }
  }

  toSplit(feature: number, bin: number, categories: Uint32Array | null, hasMissing: boolean): Split {
    const left = { g: this.gl, h: this.hl, c: this.cl };
    const right = { g: this.sums.g - this.gl, h: this.sums.h - this.hl, c: this.sums.c - this.cl };
    // no missing rows here: unseen missing values follow the larger child
    const missingLeft = hasMissing ? this.missingLeft : left.c >= right.c;
    return { gain: this.gain, feature, bin, missingLeft, categories, left, right };
  }
}

/**
 * Scans the bin boundaries of a numeric feature with the missing rows right, then left (the hot
 * loop of split finding: plain locals, no calls).
 */
function numericSplit(hist: Float64Array, f: number, nBins: number, p: SplitParams, sums: NodeSums, parentScore: number): Split | null {
  const base = f * BIN_SLOTS * HIST_STRIDE;
  const m = base + MISSING_BIN * HIST_STRIDE;
  const gm = hist[m]!;
  const hm = hist[m + 1]!;
  const cm = hist[m + 2]!;
  const { g: totalG, h: totalH, c: totalC } = sums;
  const { l2, minSamplesLeaf: minLeaf, minHessianToSplit: minHess } = p;
  let gl = 0;
  let hl = 0;
  let cl = 0;
  let bestGain = 0;
  let bestBin = -1;
  let bestMissingLeft = false;
  let bestG = 0;
  let bestH = 0;
  let bestC = 0;
  for (let b = 0; b < nBins; b++) {
    const o = base + b * HIST_STRIDE;
    const cb = hist[o + 2]!;
    // an empty bin gives the same split as the one before it
    if (cb === 0) continue;
    gl += hist[o]!;
    hl += hist[o + 1]!;
    cl += cb;
    // the right side only shrinks from here on
    if (totalC - cl < minLeaf) break;
    // missing right (at the last bin: every non-missing value left, the missing ones right)
    if (cl >= minLeaf && hl >= minHess && totalH - hl >= minHess) {
      const gain = (gl * gl) / (hl + l2) + ((totalG - gl) * (totalG - gl)) / (totalH - hl + l2) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        bestBin = b;
        bestMissingLeft = false;
        bestG = gl;
        bestH = hl;
        bestC = cl;
      }
    }
    const gml = gl + gm;
    const hml = hl + hm;
    const cml = cl + cm;
    if (cm > 0 && cml >= minLeaf && totalC - cml >= minLeaf && hml >= minHess && totalH - hml >= minHess) {
      const gain = (gml * gml) / (hml + l2) + ((totalG - gml) * (totalG - gml)) / (totalH - hml + l2) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        bestBin = b;
        bestMissingLeft = true;
        bestG = gml;
        bestH = hml;
        bestC = cml;
      }
    }
  }
  if (bestBin < 0) return null;
  const left = { g: bestG, h: bestH, c: bestC };
  const right = { g: totalG - bestG, h: totalH - bestH, c: totalC - bestC };
  // no missing rows here: unseen missing values follow the larger child
  const missingLeft = cm > 0 ? bestMissingLeft : left.c >= right.c;
  return { gain: bestGain, feature: f, bin: bestBin, missingLeft, categories: null, left, right };
}

/**
 * Categories with at least `minCategorySupport` rows here (missing is one of them) sorted by
 * smoothed gradient/hessian ratio; the left set is a run of that order from either end. Rarer
 * categories stay right, with the missing rows when those are rare too (their ratios are noise).
 */
function categoricalSplit(hist: Float64Array, f: number, layout: FeatureLayout, p: SplitParams, c: Candidate): Split | null {
  const base = f * BIN_SLOTS * HIST_STRIDE;
  const count = (b: number) => hist[base + b * HIST_STRIDE + 2]!;
  const used: number[] = [];
  for (let b = 0; b < layout.nBins[f]!; b++) if (count(b) >= p.minCategorySupport) used.push(b);
  if (count(MISSING_BIN) >= p.minCategorySupport) used.push(MISSING_BIN);
  if (used.length < 2) return null;
  const ratio = (b: number) => hist[base + b * HIST_STRIDE]! / (hist[base + b * HIST_STRIDE + 1]! + p.categorySmoothing);
  used.sort((a, b) => ratio(a) - ratio(b) || a - b);
  const n = used.length;
  for (const backward of [false, true]) {
    let gl = 0;
    let hl = 0;
    let cl = 0;
    let missingInLeft = false;
    for (let j = 0; j < n - 1; j++) {
      const b = used[backward ? n - 1 - j : j]!;
      const o = base + b * HIST_STRIDE;
      gl += hist[o]!;
      hl += hist[o + 1]!;
      cl += hist[o + 2]!;
      missingInLeft ||= b === MISSING_BIN;
      c.offer(gl, hl, cl, backward ? n + j : j, missingInLeft);
    }
  }
  if (c.position < 0) return null;
  const split = c.toSplit(f, -1, null, count(MISSING_BIN) > 0);
  const bits = new Uint32Array(BIN_SLOTS / 32);
  const set = (code: number) => (bits[code >>> 5]! |= 1 << (code & 31));
  const left = c.position < n ? used.slice(0, c.position + 1) : used.slice(n - 1 - (c.position - n));
  for (const b of left) if (b !== MISSING_BIN) set(b);
  // codes with no rows at this node travel with the missing values
  if (split.missingLeft) for (let b = 0; b < layout.categoryCount[f]!; b++) if (count(b) === 0) set(b);
  split.categories = bits;
  return split;
}

/** The best split over all features, or null when none gains (ties keep the lower feature index). */
export function findBestSplit(hist: Float64Array, sums: NodeSums, layout: FeatureLayout, p: SplitParams): Split | null {
  if (sums.c < 2 * p.minSamplesLeaf) return null;
  const parentScore = (sums.g * sums.g) / (sums.h + p.l2);
  let best: Split | null = null;
  for (let f = 0; f < layout.nBins.length; f++) {
    const s = layout.categorical[f]
      ? categoricalSplit(hist, f, layout, p, new Candidate(sums, p, parentScore))
      : numericSplit(hist, f, layout.nBins[f]!, p, sums, parentScore);
    if (s && (!best || s.gain > best.gain)) best = s;
  }
  return best;
}
