/**
 * A trained gradient-boosted tree ensemble as plain data (JSON-ready), its prediction on raw feature
 * values, and the check of an untrusted JSON copy. Serving needs nothing from the training code: a
 * numeric split stores the raw threshold (the upper edge of the split bin), so prediction reads
 * Float64 values directly.
 *
 * Conventions at prediction time:
 * - features are column-major (`features[f][row]`); NaN (and ±Infinity, as in training) is missing.
 * - numeric split: `x <= threshold` goes left, missing goes where `missingLeft` says.
 * - categorical split: the value is a category code; a code in `leftCategories` goes left. A value
 *   that is not a known code (NaN, not an integer, negative, >= `categoryCount[f]`) is treated as
 *   missing and follows `missingLeft`. Training puts the codes that had no rows at a node on the
 *   missing side too, so "not seen here" and "missing" always travel together.
 */

import { type GbdtModel, type GbdtTree } from '../format/gbdt-format.js';

export { GBDT_LIMITS, GBDT_MODEL_FORMAT, validateGbdtModel, type GbdtLoss, type GbdtModel, type GbdtTree } from '../format/gbdt-format.js';

/** A tree in typed arrays with categorical splits as bitsets (8 words = 256 codes per node). */
interface CompiledTree {
  feature: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  bits: Uint32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

const compiled = new WeakMap<GbdtTree, CompiledTree>();

function compile(tree: GbdtTree): CompiledTree {
  let c = compiled.get(tree);
  if (c) return c;
  const n = tree.feature.length;
  const bits = new Uint32Array(n * 8);
  tree.leftCategories.forEach((codes, node) => {
    for (const code of codes) bits[node * 8 + (code >>> 5)]! |= 1 << (code & 31);
  });
  c = {
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    missingLeft: Uint8Array.from(tree.missingLeft, (b) => (b ? 1 : 0)),
    bits,
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    value: Float64Array.from(tree.value),
  };
  compiled.set(tree, c);
  return c;
}

/** The child a value goes to at an inner node (`categories`: known codes of a categorical feature, -1 for a numeric one). */
function child(t: CompiledTree, node: number, x: number, categories: number): number {
  let goLeft: boolean;
  if (categories >= 0) {
    // known code: bitset lookup; anything else travels with missing
    goLeft = x >= 0 && x < categories && x === Math.floor(x) ? (t.bits[node * 8 + (x >>> 5)]! & (1 << (x & 31))) !== 0 : t.missingLeft[node] === 1;
  } else goLeft = x - x === 0 ? x <= t.threshold[node]! : t.missingLeft[node] === 1; // x - x is NaN for NaN and ±Infinity
  return goLeft ? t.left[node]! : t.right[node]!;
}

function checkFeatures(model: GbdtModel, features: readonly Float64Array[]): number {
  if (features.length !== model.nFeatures) throw new Error(`gbdt predict: expected ${model.nFeatures} feature columns, got ${features.length}`);
  const rows = features[0]?.length ?? 0;
  features.forEach((col, f) => {
    if (col.length !== rows) throw new Error(`gbdt predict: feature column ${f} has ${col.length} rows, column 0 has ${rows}`);
  });
  return rows;
}

/** Per feature: its number of known codes when categorical, -1 when numeric. */
function categoriesOf(model: GbdtModel): Int32Array {
  return Int32Array.from(model.categorical, (isCat, f) => (isCat ? model.categoryCount[f]! : -1));
}

/** A model's trees compiled, per iteration and output, and its category counts. */
interface CompiledModel {
  /** The iterations compiled (a model being fitted grows: more means compile again). */
  iterations: number;
  trees: CompiledTree[][];
  cats: Int32Array;
}

const compiledModels = new WeakMap<GbdtModel, CompiledModel>();

/** Serving predicts one row at a time: one lookup per call instead of one per tree. */
function compiledModel(model: GbdtModel): CompiledModel {
  let c = compiledModels.get(model);
  if (!c || c.iterations !== model.iterations.length) {
    c = { iterations: model.iterations.length, trees: model.iterations.map((it) => it.map(compile)), cats: categoriesOf(model) };
    compiledModels.set(model, c);
  }
  return c;
}

/**
 * Raw scores, row-major: `out[row * nOutputs + k]` (regression: the prediction; logistic: the
 * log-odds of class 1; softmax: the logit of class k).
 */
export function predictRaw(model: GbdtModel, features: readonly Float64Array[]): Float64Array {
  const rows = checkFeatures(model, features);
  const k = model.nOutputs;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let o = 0; o < k; o++) out[r * k + o] = model.baseline[o]!;
  const { trees, cats } = compiledModel(model);
  for (const iteration of trees) {
    for (let o = 0; o < k; o++) {
      const t = iteration[o]!;
      for (let r = 0; r < rows; r++) {
        let node = 0;
        for (let f = t.feature[0]!; f >= 0; f = t.feature[node]!) node = child(t, node, features[f]![r]!, cats[f]!);
        out[r * k + o]! += t.value[node]!;
      }
    }
  }
  return out;
}

/** Softmax of the raw scores in place (rows of `nOutputs`); returns the same array. */
export function softmaxRows(scores: Float64Array, nOutputs: number): Float64Array {
  for (let base = 0; base < scores.length; base += nOutputs) {
    let max = -Infinity;
    for (let o = 0; o < nOutputs; o++) max = Math.max(max, scores[base + o]!);
    let sum = 0;
    for (let o = 0; o < nOutputs; o++) sum += scores[base + o] = Math.exp(scores[base + o]! - max);
    for (let o = 0; o < nOutputs; o++) scores[base + o]! /= sum;
  }
  return scores;
}

/** Number of classes of a classification model (logistic: 2), 0 for regression. */
export function classCount(model: GbdtModel): number {
  return model.loss === 'softmax' ? model.nOutputs : model.loss === 'logistic' ? 2 : 0;
}

/** Class probabilities, row-major in rows of classCount(model), of a logistic or softmax model. */
export function predictProba(model: GbdtModel, features: readonly Float64Array[]): Float64Array {
  const raw = predictRaw(model, features);
  if (model.loss === 'softmax') return softmaxRows(raw, model.nOutputs);
  if (model.loss !== 'logistic') throw new Error(`gbdt predictProba: the model's loss is ${model.loss}, not a classification loss`);
  const out = new Float64Array(raw.length * 2);
  for (let r = 0; r < raw.length; r++) {
    const p = 1 / (1 + Math.exp(-raw[r]!));
    out[2 * r] = 1 - p;
    out[2 * r + 1] = p;
  }
  return out;
}

/** Total split gain per feature over all trees (the trees' feature importance). */
export function featureGains(model: GbdtModel): Float64Array {
  const gains = new Float64Array(model.nFeatures);
  for (const iteration of model.iterations) for (const tree of iteration) tree.feature.forEach((f, node) => f >= 0 && (gains[f]! += tree.gain[node]!));
  return gains;
}

/**
 * Per-row contributions along each row's path (the change of node value at each split, credited to
 * the split feature): `out[(row * nOutputs + k) * (nFeatures + 1) + f]`, the last slot is the bias
 * (baseline plus root values). Each row's slots sum to its raw score.
 */
export function predictContributions(model: GbdtModel, features: readonly Float64Array[]): Float64Array {
  const rows = checkFeatures(model, features);
  const k = model.nOutputs;
  const width = model.nFeatures + 1;
  const out = new Float64Array(rows * k * width);
  const { trees, cats } = compiledModel(model);
  for (let r = 0; r < rows; r++) for (let o = 0; o < k; o++) out[(r * k + o) * width + model.nFeatures] = model.baseline[o]!;
  for (const iteration of trees) {
    for (let o = 0; o < k; o++) {
      const t = iteration[o]!;
      for (let r = 0; r < rows; r++) {
        const base = (r * k + o) * width;
        out[base + model.nFeatures]! += t.value[0]!;
        let node = 0;
        for (let f = t.feature[0]!; f >= 0; f = t.feature[node]!) {
          const next = child(t, node, features[f]![r]!, cats[f]!);
          out[base + f]! += t.value[next]! - t.value[node]!;
          node = next;
        }
      }
    }
  }
  return out;
}
