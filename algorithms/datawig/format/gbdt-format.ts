/**
 * The stored form of the gradient-boosted trees (`target.json` "trees"): the JSON-ready model and the
 * check of an untrusted copy. Prediction is core/gbdt-model.ts.
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
