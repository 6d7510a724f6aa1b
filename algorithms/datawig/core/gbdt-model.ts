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

export const GBDT_MODEL_FORMAT = 'datawig-gbdt/1';
export type GbdtLoss = 'squared' | 'huber' | 'logistic' | 'softmax';

/** One regression tree; node 0 is the root, arrays are indexed by node. */
export interface GbdtTree {
  /** Split feature, -1 at a leaf. */
  feature: number[];
  /** Numeric split: raw values <= threshold go left (0 at leaves and categorical splits). */
  threshold: number[];
  /** Where missing values (and unknown categories) go. */
  missingLeft: boolean[];
  /** Categorical split: the codes that go left, ascending ([] at other nodes). */
  leftCategories: number[][];
  /** Child indices, -1 at a leaf. */
  left: number[];
  right: number[];
  /** Node output with the learning rate applied: a leaf's is added to the score; inner ones explain contributions. */
  value: number[];
  /** Split gain (loss reduction), 0 at leaves: the trees' explanation of what mattered. */
  gain: number[];
}

export interface GbdtModel {
  format: typeof GBDT_MODEL_FORMAT;
  loss: GbdtLoss;
  nFeatures: number;
  categorical: boolean[];
  /** Per feature, the number of category codes known from training (0 for numeric features). */
  categoryCount: number[];
  /** Scores per row: 1 for regression and logistic (the log-odds of class 1), the number of classes for softmax. */
  nOutputs: number;
  /** Starting score per output (mean / median for numbers, log prior for classes). */
  baseline: number[];
  /** One entry per boosting iteration, each with one tree per output. */
  iterations: GbdtTree[][];
}

/** Size caps of a model read from untrusted JSON (they bound what prediction allocates and walks). */
export const GBDT_LIMITS = {
  features: 100000,
  outputs: 10000,
  iterations: 100000,
  nodesPerTree: 131071,
  totalNodes: 2 ** 24,
  /** Category codes are 0..254 (bin 255 is the missing bin during training). */
  categories: 255,
} as const;

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

/**
 * Raw scores, row-major: `out[row * nOutputs + k]` (regression: the prediction; logistic: the
 * log-odds of class 1; softmax: the logit of class k).
 */
export function predictRaw(model: GbdtModel, features: readonly Float64Array[]): Float64Array {
  const rows = checkFeatures(model, features);
  const k = model.nOutputs;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let o = 0; o < k; o++) out[r * k + o] = model.baseline[o]!;
  const cats = categoriesOf(model);
  for (const iteration of model.iterations) {
    for (let o = 0; o < k; o++) {
      const t = compile(iteration[o]!);
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
  const cats = categoriesOf(model);
  for (let r = 0; r < rows; r++) for (let o = 0; o < k; o++) out[(r * k + o) * width + model.nFeatures] = model.baseline[o]!;
  for (const iteration of model.iterations) {
    for (let o = 0; o < k; o++) {
      const t = compile(iteration[o]!);
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

/*
 * The check of an untrusted copy: every field present with the right type, every number finite,
 * every index in range, each tree's node graph a tree rooted at node 0 (no cycles, no shared or
 * unreachable nodes), sizes under GBDT_LIMITS. Errors name the field, never its content.
 */

function fail(path: string, expected: string): never {
  throw new Error(`invalid gbdt model: ${path} must be ${expected}`);
}

function objectAt(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object');
  return v as Record<string, unknown>;
}

function arrayAt(v: unknown, path: string, length: number | undefined, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array');
  if (length !== undefined && v.length !== length) fail(path, `an array of ${length} items`);
  if (v.length > max) fail(path, `an array of at most ${max} items`);
  return v;
}

function intAt(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, `an integer from ${min} to ${max}`);
  return v;
}

function finiteAt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number');
  return v;
}

function booleanAt(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false');
  return v;
}

/** Node arrays of one tree, each of the same length. */
function treeArrays(v: unknown, path: string): Record<keyof GbdtTree, unknown[]> {
  const o = objectAt(v, path);
  const feature = arrayAt(o.feature, `${path}.feature`, undefined, GBDT_LIMITS.nodesPerTree);
  if (feature.length === 0) fail(`${path}.feature`, 'a non-empty array');
  const n = feature.length;
  const at = (key: keyof GbdtTree) => arrayAt(o[key], `${path}.${key}`, n, n);
  return {
    feature,
    threshold: at('threshold'),
    missingLeft: at('missingLeft'),
    leftCategories: at('leftCategories'),
    left: at('left'),
    right: at('right'),
    value: at('value'),
    gain: at('gain'),
  };
}

function categoriesAt(v: unknown, path: string, count: number): number[] {
  const codes = arrayAt(v, path, undefined, GBDT_LIMITS.categories).map((c, i) => intAt(c, `${path}[${i}]`, 0, Math.max(0, count - 1)));
  for (let i = 1; i < codes.length; i++) if (codes[i]! <= codes[i - 1]!) fail(`${path}[${i}]`, 'greater than the code before it');
  return codes;
}

/** Every node reachable from the root, each non-root node the child of exactly one node. */
function checkTreeShape(left: number[], right: number[], path: string): void {
  const n = left.length;
  const parents = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (const [side, c] of [['left', left[i]!] as const, ['right', right[i]!] as const]) {
      if (c < 0) continue;
      if (parents[c]) fail(`${path}.${side}[${i}]`, 'a node that no other node points to');
      parents[c] = 1;
    }
  }
  const stack = [0];
  let reached = 0;
  while (stack.length) {
    const node = stack.pop()!;
    reached++;
    if (left[node]! >= 0) stack.push(left[node]!, right[node]!);
  }
  if (reached !== n) fail(`${path}.left`, 'links that reach every node from the root');
}

function checkTree(v: unknown, path: string, model: Pick<GbdtModel, 'nFeatures' | 'categorical' | 'categoryCount'>): GbdtTree {
  const a = treeArrays(v, path);
  const n = a.feature.length;
  const tree: GbdtTree = { feature: [], threshold: [], missingLeft: [], leftCategories: [], left: [], right: [], value: [], gain: [] };
  for (let i = 0; i < n; i++) {
    const f = intAt(a.feature[i], `${path}.feature[${i}]`, -1, model.nFeatures - 1);
    const leaf = f < 0;
    const isCat = !leaf && model.categorical[f]!;
    tree.feature.push(f);
    tree.threshold.push(finiteAt(a.threshold[i], `${path}.threshold[${i}]`));
    tree.missingLeft.push(booleanAt(a.missingLeft[i], `${path}.missingLeft[${i}]`));
    const codes = categoriesAt(a.leftCategories[i], `${path}.leftCategories[${i}]`, isCat ? model.categoryCount[f]! : 0);
    if (!isCat && codes.length) fail(`${path}.leftCategories[${i}]`, 'empty at a leaf or a numeric split');
    tree.leftCategories.push(codes);
    // node 0 is the root: no node may point to it
    tree.left.push(leaf ? intAt(a.left[i], `${path}.left[${i}]`, -1, -1) : intAt(a.left[i], `${path}.left[${i}]`, 1, n - 1));
    tree.right.push(leaf ? intAt(a.right[i], `${path}.right[${i}]`, -1, -1) : intAt(a.right[i], `${path}.right[${i}]`, 1, n - 1));
    tree.value.push(finiteAt(a.value[i], `${path}.value[${i}]`));
    const gain = finiteAt(a.gain[i], `${path}.gain[${i}]`);
    if (gain < 0) fail(`${path}.gain[${i}]`, 'a non-negative number');
    tree.gain.push(gain);
  }
  checkTreeShape(tree.left, tree.right, path);
  return tree;
}

const LOSSES: readonly GbdtLoss[] = ['squared', 'huber', 'logistic', 'softmax'];

/** The model in `json` after a thorough check (a fresh object holding only the known fields); throws an Error naming the bad field. */
export function validateGbdtModel(json: unknown): GbdtModel {
  const o = objectAt(json, 'model');
  if (o.format !== GBDT_MODEL_FORMAT) fail('format', JSON.stringify(GBDT_MODEL_FORMAT));
  if (!LOSSES.includes(o.loss as GbdtLoss)) fail('loss', LOSSES.map((l) => JSON.stringify(l)).join(' or '));
  const loss = o.loss as GbdtLoss;
  const nFeatures = intAt(o.nFeatures, 'nFeatures', 1, GBDT_LIMITS.features);
  const categorical = arrayAt(o.categorical, 'categorical', nFeatures, nFeatures).map((b, f) => booleanAt(b, `categorical[${f}]`));
  const categoryCount = arrayAt(o.categoryCount, 'categoryCount', nFeatures, nFeatures).map((c, f) =>
    intAt(c, `categoryCount[${f}]`, 0, categorical[f] ? GBDT_LIMITS.categories : 0),
  );
  const nOutputs = loss === 'softmax' ? intAt(o.nOutputs, 'nOutputs', 2, GBDT_LIMITS.outputs) : intAt(o.nOutputs, 'nOutputs', 1, 1);
  const baseline = arrayAt(o.baseline, 'baseline', nOutputs, nOutputs).map((b, k) => finiteAt(b, `baseline[${k}]`));
  const shape = { nFeatures, categorical, categoryCount };
  let nodes = 0;
  const iterations = arrayAt(o.iterations, 'iterations', undefined, GBDT_LIMITS.iterations).map((it, i) =>
    arrayAt(it, `iterations[${i}]`, nOutputs, nOutputs).map((t, k) => {
      const tree = checkTree(t, `iterations[${i}][${k}]`, shape);
      nodes += tree.feature.length;
      if (nodes > GBDT_LIMITS.totalNodes) fail('iterations', `trees of at most ${GBDT_LIMITS.totalNodes} nodes in all`);
      return tree;
    }),
  );
  return { format: GBDT_MODEL_FORMAT, loss, nFeatures, categorical, categoryCount, nOutputs, baseline, iterations };
}
