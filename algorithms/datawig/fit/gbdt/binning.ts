/**
 * Feature binning: each numeric feature is cut into at most 255 bins at quantiles of a seeded
 * subsample of its finite values, each categorical feature's code is its bin; bin 255 holds the
 * missing values (NaN and ±Infinity). Binned data are column-major Uint8Arrays.
 */
import { rng } from '../../core/rng.js';

export const MISSING_BIN = 255;
/** Most non-missing bins per feature (bins 0..254). */
export const MAX_BINS = 255;
/** Histogram slots per feature: the non-missing bins and the missing one. */
export const BIN_SLOTS = 256;

export interface BinMapper {
  categorical: boolean[];
  /** Numeric feature: bin b holds the values in (edges[b - 1], edges[b]]; the last bin is open above. */
  edges: Float64Array[];
  /** Non-missing bins per feature (>= 1). */
  nBins: Int32Array;
  /** Categorical feature: codes 0..k-1 were seen in training (0 for numeric features). */
  categoryCount: Int32Array;
}

/** The positions of `sample` rows out of `n` (all rows when n <= sample), ascending, seeded. */
function sampleRows(n: number, sample: number, seed: number): Uint32Array {
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  if (n <= sample) return all;
  const next = rng(seed);
  for (let i = 0; i < sample; i++) {
    const j = i + Math.floor(next() * (n - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, sample).sort();
}

/** Upper bin edges of one numeric feature: midpoints between distinct values, or between quantiles when there are too many. */
export function numericEdges(values: Float64Array, maxBins: number): Float64Array {
  const sorted = values.filter((x) => x - x === 0).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) edges.push((distinct[i - 1]! + distinct[i]!) / 2);
  } else {
    const last = sorted.length - 1;
    for (let q = 1; q < maxBins; q++) {
      const pos = (q / maxBins) * last;
      const edge = (sorted[Math.floor(pos)]! + sorted[Math.ceil(pos)]!) / 2;
      if (!edges.length || edge > edges[edges.length - 1]!) edges.push(edge);
    }
  }
  return Float64Array.from(edges);
}

/** Codes seen in a categorical feature (max code + 1); a value that is neither missing nor a code 0..254 is an error. */
function categoryCountOf(values: Float64Array, feature: number): number {
  let max = -1;
  for (const x of values) {
    if (x !== x) continue;
    if (!(x >= 0 && x < MAX_BINS && x === Math.floor(x)))
      throw new Error(`gbdt: categorical feature ${feature} holds a value that is not a category code from 0 to ${MAX_BINS - 1} (or NaN)`);
    if (x > max) max = x;
  }
  return max + 1;
}

/** Bin edges from the rows `rows` of `features`; quantiles from a seeded subsample of `subsample` rows. */
export function fitBinMapper(
  features: readonly Float64Array[],
  categorical: readonly boolean[],
  rows: Uint32Array,
  maxBins: number,
  subsample: number,
  seed: number,
): BinMapper {
  const sampled = sampleRows(rows.length, subsample, seed);
  const edges: Float64Array[] = [];
  const nBins = new Int32Array(features.length);
  const categoryCount = new Int32Array(features.length);
  features.forEach((column, f) => {
    if (categorical[f]) {
      categoryCount[f] = categoryCountOf(
        Float64Array.from(rows, (r) => column[r]!),
        f,
      );
      nBins[f] = Math.max(1, categoryCount[f]!);
      edges.push(new Float64Array(0));
    } else {
      const e = numericEdges(
        Float64Array.from(sampled, (i) => column[rows[i]!]!),
        maxBins,
      );
      edges.push(e);
      nBins[f] = e.length + 1;
    }
  });
  return { categorical: [...categorical], edges, nBins, categoryCount };
}

/** The bin of a numeric value: the first edge it does not exceed (binary search). */
function numericBin(edges: Float64Array, x: number): number {
  if (!(x - x === 0)) return MISSING_BIN;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins of rows `rows` (column-major: `bins[f * rows.length + i]`); unknown category codes become missing. */
export function applyBins(mapper: BinMapper, features: readonly Float64Array[], rows: Uint32Array): Uint8Array {
  const n = rows.length;
  const bins = new Uint8Array(features.length * n);
  features.forEach((column, f) => {
    const out = bins.subarray(f * n, (f + 1) * n);
    if (mapper.categorical[f]) {
      const k = mapper.categoryCount[f]!;
      for (let i = 0; i < n; i++) {
        const x = column[rows[i]!]!;
        out[i] = x >= 0 && x < k && x === Math.floor(x) ? x : MISSING_BIN;
      }
    } else {
      const e = mapper.edges[f]!;
      for (let i = 0; i < n; i++) out[i] = numericBin(e, column[rows[i]!]!);
    }
  });
  return bins;
}

/** The raw threshold of a numeric split after bin b (values <= it go left); the last bin keeps every finite value left. */
export function rawThreshold(mapper: BinMapper, feature: number, bin: number): number {
  const e = mapper.edges[feature]!;
  return bin < e.length ? e[bin]! : Number.MAX_VALUE;
}
