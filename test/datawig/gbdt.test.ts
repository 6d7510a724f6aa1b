import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  featureGains,
  GBDT_LIMITS,
  predictContributions,
  predictProba,
  predictRaw,
  validateGbdtModel,
  type GbdtModel,
  type GbdtTree,
} from '../../algorithms/datawig/core/gbdt-model.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { fitGbdt, shouldStop, type GbdtData, type GbdtOptions } from '../../algorithms/datawig/fit/gbdt/fit-gbdt.js';
import { applyBins, fitBinMapper, MISSING_BIN, numericEdges } from '../../algorithms/datawig/fit/gbdt/binning.js';
import { accuracy, classificationData, normalisedMse, regressionData, runSklearn, sklearnPython, writeDataset } from './gbdt-compare.js';

const numeric = (n: number) => Array.from({ length: n }, () => false);
const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/** n rows of `f` uniform(-1, 1) features, seeded. */
function uniform(n: number, f: number, seed: number): Float64Array[] {
  const next = rng(seed);
  const cols = Array.from({ length: f }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (const c of cols) c[i] = 2 * next() - 1;
  return cols;
}

function column(values: number[]): Float64Array {
  return Float64Array.from(values);
}

/** The model's probability table for rows of one-value-per-feature. */
function rowsOf(...rows: number[][]): Float64Array[] {
  return rows[0]!.map((_, f) => Float64Array.from(rows, (r) => r[f]!));
}

function xorData(n: number, seed: number): GbdtData {
  const features = uniform(n, 4, seed);
  const y = Int32Array.from({ length: n }, (_, i) => (features[0]![i]! > 0 !== features[1]![i]! > 0 ? 1 : 0));
  return { features, categorical: numeric(4), y };
}

function additiveData(n: number, seed: number): GbdtData {
  const features = uniform(n, 5, seed);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(3 * features[0]![i]!) + features[1]![i]! ** 2 + 0.5 * features[2]![i]!);
  return { features, categorical: numeric(5), y };
}

let smallModel: GbdtModel | undefined;
/** A small softmax model with numeric, categorical and missing-value splits (for the validation tests). */
function sampleModel(): GbdtModel {
  smallModel ??= (() => {
    const d = classificationData({ rows: 600, testRows: 1, numeric: 3, categorical: 1, levels: 8, nanFraction: 0.2, seed: 5 });
    return fitGbdt({ features: d.train.features, categorical: d.categorical, y: d.train.y }, { maxIter: 5, maxLeafNodes: 6 }).model;
  })();
  return smallModel;
}

describe('gbdt binning', () => {
  it('places at most 255 bins, midpoints between distinct values, missing in bin 255', () => {
    assert.deepEqual([...numericEdges(column([3, 1, 2, 2, NaN, 1]), 255)], [1.5, 2.5]);
    const many = numericEdges(
      Float64Array.from({ length: 10000 }, (_, i) => i),
      255,
    );
    assert.equal(many.length, 254);
    assert.ok(many.every((e, i) => i === 0 || e > many[i - 1]!));
    const features = [column([0.5, 1, 3, NaN, Infinity]), column([2, 0, NaN, 1, 7])];
    const mapper = fitBinMapper(features, [false, true], all(5), 255, 200000, 0);
    const bins = applyBins(mapper, features, all(5));
    assert.deepEqual([...bins.subarray(0, 5)], [0, 1, 2, MISSING_BIN, MISSING_BIN]);
    assert.deepEqual([...bins.subarray(5)], [2, 0, MISSING_BIN, 1, 7]);
    // a code not seen in training is binned as missing
    assert.equal(applyBins(mapper, [column([0]), column([9])], all(1))[1], MISSING_BIN);
    assert.throws(() => fitBinMapper([column([0, 1.5])], [true], all(2), 255, 200000, 0), /categorical feature 0 holds a value that is not a category code/);
    // quantiles from a seeded subsample of the rows: deterministic per seed
    const wide = [Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 1000)];
    const sampled = (seed: number) => [...fitBinMapper(wide, [false], all(5000), 255, 1000, seed).edges[0]!];
    assert.equal(sampled(1).length, 254);
    assert.deepEqual(sampled(1), sampled(1));
    assert.notDeepEqual(sampled(1), sampled(2));
  });
});

describe('gbdt learner', () => {
  it('learns XOR-like classes to high accuracy (an interaction no single split shows)', () => {
    const fit = fitGbdt(xorData(3000, 1), { maxIter: 60 });
    const test = xorData(2000, 2);
    const proba = predictProba(fit.model, test.features);
    assert.ok(accuracy(proba, 2, test.y as Int32Array) > 0.97, `accuracy ${accuracy(proba, 2, test.y as Int32Array)}`);
    for (let i = 0; i < 2000; i++) assert.ok(Math.abs(proba[2 * i]! + proba[2 * i + 1]! - 1) < 1e-12);
    // two classes: one logistic tree per iteration; softmax on request (a tree per class) learns the same
    assert.equal(fit.model.loss, 'logistic');
    assert.equal(fit.model.nOutputs, 1);
    const softmax = fitGbdt(xorData(3000, 1), { maxIter: 60, loss: 'softmax' });
    assert.equal(softmax.model.nOutputs, 2);
    assert.ok(accuracy(predictProba(softmax.model, test.features), 2, test.y as Int32Array) > 0.97);
    const gains = featureGains(fit.model);
    assert.ok(Math.min(gains[0]!, gains[1]!) > 10 * Math.max(gains[2]!, gains[3]!), `gains ${[...gains].join(', ')}`);
  });

  it('learns additive regression to a low error; prediction on raw values matches training on bins', () => {
    const train = additiveData(4000, 3);
    const fit = fitGbdt(train, { maxIter: 200 });
    const test = additiveData(2000, 4);
    const nmse = normalisedMse(predictRaw(fit.model, test.features), test.y);
    assert.ok(nmse < 0.03, `normalised MSE ${nmse}`);
    // no validation split here: the model's raw-threshold predictions reproduce the training loss exactly
    const p = predictRaw(fit.model, train.features);
    let loss = 0;
    for (let i = 0; i < 4000; i++) loss += 0.5 * (p[i]! - train.y[i]!) ** 2;
    assert.ok(Math.abs(loss / 4000 - fit.history.trainLoss[fit.bestIteration]!) < 1e-9);
    assert.equal(fit.model.iterations.length, 200);
  });

  it('sends missing values the learnt way, and unseen missing values to the larger child', () => {
    const n = 2000;
    const next = rng(7);
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // missing rows have the target of the high values: the split must send NaN right
      const missing = next() < 0.2;
      x[i] = missing ? NaN : next();
      y[i] = missing || x[i]! > 0.7 ? 10 : 0;
    }
    const fit = fitGbdt({ features: [x], categorical: [false], y }, { maxIter: 100 });
    const root = fit.model.iterations[0]![0]!;
    assert.equal(root.missingLeft[0], false);
    const [nan, low, high] = predictRaw(fit.model, [column([NaN, 0.2, 0.9])]);
    assert.ok(Math.abs(nan! - 10) < 0.05 && Math.abs(low!) < 0.05 && Math.abs(high! - 10) < 0.05, `${nan} ${low} ${high}`);
    // ±Infinity is missing too
    assert.equal(predictRaw(fit.model, [column([Infinity])])[0], nan);

    // no missing values in training: NaN follows the child with more rows (here the low values)
    const clean = Float64Array.from({ length: n }, (_, i) => i / n);
    const target = Float64Array.from(clean, (v) => (v > 0.8 ? 5 : 0));
    const noNan = fitGbdt({ features: [clean], categorical: [false], y: target }, { maxIter: 100 });
    const [nanClean, lowClean, highClean] = predictRaw(noNan.model, [column([NaN, 0.1, 0.9])]);
    assert.ok(Math.abs(nanClean! - lowClean!) < 1e-9 && Math.abs(highClean! - 5) < 0.05, `${nanClean} ${lowClean} ${highClean}`);
  });

  it('splits a categorical feature of many levels by its category set', () => {
    const levels = 60;
    const next = rng(11);
    const high = new Set<number>();
    while (high.size < 25) high.add(Math.floor(next() * levels));
    const n = 6000;
    // the last 5 rows have a rare code (high target): too few rows (< 10) for its ratio to mean
    // anything, so it stays right, and scanning the sorted order from both ends puts the high
    // categories right with it
    const code = Float64Array.from({ length: n }, (_, i) => (i < n - 5 ? Math.floor(next() * levels) : levels));
    const noise = uniform(n, 1, 12)[0]!;
    const y = Float64Array.from(code, (c, i) => (high.has(c) || c === levels ? 3 : 0) + 0.1 * noise[i]!);
    const one = fitGbdt({ features: [code, noise], categorical: [true, false], y }, { maxIter: 1, maxLeafNodes: 2, learningRate: 1 });
    const root = one.model.iterations[0]![0]!;
    assert.equal(root.feature[0], 0);
    const left = new Set(root.leftCategories[0]);
    const leftHigh = root.value[root.left[0]!]! > root.value[root.right[0]!]!;
    for (let c = 0; c < levels; c++) assert.equal(left.has(c), high.has(c) === leftHigh, `category ${c}`);
    assert.ok(!left.has(levels));
    assert.equal(leftHigh, false);
    // a numeric split on the codes would need many splits; the categorical one fits in one
    const fit = fitGbdt({ features: [code, noise], categorical: [true, false], y }, { maxIter: 30 });
    assert.ok(normalisedMse(predictRaw(fit.model, [code, noise]), y) < 0.01);
    // unknown codes (never seen, negative, fractional) go with missing values
    const [nan, unseen, negative, fraction] = predictRaw(fit.model, rowsOf([NaN, 0], [levels + 5, 0], [-1, 0], [2.5, 0]));
    assert.equal(unseen, nan);
    assert.equal(negative, nan);
    assert.equal(fraction, nan);
  });

  it('keeps to maxLeafNodes, maxDepth and minSamplesLeaf', () => {
    const data = additiveData(1000, 5);
    const depthOf = (t: GbdtTree, node = 0): number => (t.feature[node]! < 0 ? 0 : 1 + Math.max(depthOf(t, t.left[node]), depthOf(t, t.right[node])));
    const leaves = (t: GbdtTree) => t.feature.filter((f) => f < 0).length;
    const wide = fitGbdt(data, { maxIter: 10, maxLeafNodes: 7, minSamplesLeaf: 50 });
    assert.ok(wide.model.iterations.every(([t]) => leaves(t!) <= 7));
    assert.ok(wide.model.iterations.some(([t]) => leaves(t!) === 7));
    // rows per leaf of the first tree (no validation split: every row trained it): each leaf value is its own
    const first = predictRaw({ ...wide.model, iterations: wide.model.iterations.slice(0, 1) }, data.features);
    const perLeaf = new Map<number, number>();
    for (const v of first) perLeaf.set(v, (perLeaf.get(v) ?? 0) + 1);
    assert.equal(perLeaf.size, 7);
    assert.ok(
      [...perLeaf.values()].every((c) => c >= 50),
      `rows per leaf ${[...perLeaf.values()].join(', ')}`,
    );
    const shallow = fitGbdt(data, { maxIter: 10, maxDepth: 2 });
    assert.ok(shallow.model.iterations.every(([t]) => depthOf(t!) <= 2 && leaves(t!) <= 4));
    assert.ok(shallow.model.iterations.some(([t]) => depthOf(t!) === 2));
  });

  it('is deterministic with a seed, and the seed matters where randomness is used', () => {
    const d = regressionData({ rows: 12000, testRows: 1, numeric: 6, nanFraction: 0.1, seed: 9 });
    const data = { features: d.train.features, categorical: d.categorical, y: d.train.y };
    const options: GbdtOptions = { maxIter: 15, seed: 3 };
    const a = JSON.stringify(fitGbdt(data, options).model);
    assert.equal(JSON.stringify(fitGbdt(data, options).model), a);
    // the validation split (on: more than 10,000 rows) depends on the seed
    assert.notEqual(JSON.stringify(fitGbdt(data, { ...options, seed: 4 }).model), a);
  });

  it('stops early once the validation loss stops improving, keeping the best iteration', () => {
    const next = rng(21);
    const n = 3000;
    const x = uniform(n, 3, 22);
    const y = Float64Array.from({ length: n }, (_, i) => x[0]![i]! + 2 * next());
    const fit = fitGbdt({ features: x, categorical: numeric(3), y }, { maxIter: 500, earlyStopping: true, nIterNoChange: 5 });
    assert.ok(fit.stoppedEarly);
    assert.ok(fit.iterationsRun < 100, `ran ${fit.iterationsRun}`);
    assert.equal(fit.history.validationLoss.length, fit.iterationsRun + 1);
    assert.equal(fit.model.iterations.length, fit.bestIteration);
    assert.equal(Math.min(...fit.history.validationLoss), fit.history.validationLoss[fit.bestIteration]);
    assert.ok(shouldStop(fit.history.validationLoss, 5, 1e-7));
    assert.ok(!shouldStop(fit.history.validationLoss.slice(0, -1), 5, 1e-7));
    // explicit validation rows: those rows are held out (the model differs from the random split's)
    const rows = Uint32Array.from({ length: 300 }, (_, i) => i * 10);
    const explicit = fitGbdt({ features: x, categorical: numeric(3), y }, { maxIter: 500, validationRows: rows, nIterNoChange: 5 });
    assert.ok(explicit.stoppedEarly);
    assert.equal(explicit.history.validationLoss.length, explicit.iterationsRun + 1);
    // without early stopping (3,000 rows: 'auto' is off) every iteration runs
    assert.equal(fitGbdt({ features: x, categorical: numeric(3), y }, { maxIter: 40 }).iterationsRun, 40);
  });

  it('Huber loss resists outliers that pull squared error off', () => {
    const n = 3000;
    const next = rng(31);
    const x = uniform(n, 2, 32);
    const truth = Float64Array.from({ length: n }, (_, i) => 2 * x[0]![i]!);
    const y = truth.map((v) => v + 0.1 * (next() - 0.5) + (next() < 0.1 ? 50 : 0));
    const data = { features: x, categorical: numeric(2), y };
    const test = uniform(2000, 2, 33);
    const clean = Float64Array.from({ length: 2000 }, (_, i) => 2 * test[0]![i]!);
    const squared = normalisedMse(predictRaw(fitGbdt(data, { maxIter: 100, loss: 'squared' }).model, test), clean);
    const huber = normalisedMse(predictRaw(fitGbdt(data, { maxIter: 100, loss: 'huber' }).model, test), clean);
    assert.ok(huber < 0.05, `huber ${huber}`);
    assert.ok(huber < squared / 5, `huber ${huber} vs squared ${squared}`);
  });

  it('honours sample weights: uniform ones change nothing, zero ones drop rows', () => {
    const data = additiveData(2000, 13);
    const plain = predictRaw(fitGbdt(data, { maxIter: 20 }).model, data.features);
    const doubled = predictRaw(fitGbdt({ ...data, weights: new Float64Array(2000).fill(2) }, { maxIter: 20 }).model, data.features);
    assert.deepEqual(doubled, plain);
    // every other row is corrupted but weighs nothing: the model still learns the clean target
    const corrupted = { ...data, y: data.y.map((v, i) => (i % 2 ? v + 20 : v)), weights: Float64Array.from({ length: 2000 }, (_, i) => (i % 2 ? 0 : 1)) };
    const test = additiveData(1000, 14);
    const nmse = normalisedMse(predictRaw(fitGbdt(corrupted, { maxIter: 100 }).model, test.features), test.y);
    assert.ok(nmse < 0.05, `normalised MSE ${nmse}`);
    assert.throws(() => fitGbdt({ ...data, weights: new Float64Array(2000).fill(-1) }), /weights must be finite numbers >= 0/);
  });

  it('contributions along the path sum to the raw score', () => {
    const model = sampleModel();
    const d = classificationData({ rows: 50, testRows: 1, numeric: 3, categorical: 1, levels: 8, nanFraction: 0.2, seed: 6 });
    const raw = predictRaw(model, d.train.features);
    const contributions = predictContributions(model, d.train.features);
    const width = model.nFeatures + 1;
    for (let j = 0; j < raw.length; j++) {
      let sum = 0;
      for (let f = 0; f < width; f++) sum += contributions[j * width + f]!;
      assert.ok(Math.abs(sum - raw[j]!) < 1e-9);
    }
  });

  it('refuses bad data and options with clear messages', () => {
    const x = [column([1, 2, 3])];
    assert.throws(() => fitGbdt({ features: x, categorical: [false], y: column([1, 2]) }), /feature column 0 has 3 rows, y has 2/);
    assert.throws(() => fitGbdt({ features: x, categorical: [], y: column([1, 2, 3]) }), /categorical has 0 flags for 1 feature columns/);
    assert.throws(() => fitGbdt({ features: x, categorical: [false], y: column([1, NaN, 3]) }), /y\[1\] must be a finite number/);
    assert.throws(() => fitGbdt({ features: x, categorical: [false], y: column([1, 2, 3]) }, { maxLeafNodes: 1 }), /option maxLeafNodes must be/);
    assert.throws(
      () => fitGbdt({ features: x, categorical: [false], y: column([1, 2, 3]) }, { loss: 'softmax' }),
      /option loss must be auto, squared or huber/,
    );
    assert.throws(() => fitGbdt({ features: x, categorical: [false], y: Int32Array.from([0, 1, 2]) }, { nClasses: 2 }), /class label 2 is not below nClasses/);
    assert.throws(() => predictRaw(sampleModel(), x), /expected 4 feature columns, got 1/);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tampering below edits parsed JSON freely
type Json = Record<string, any>;

describe('validateGbdtModel', () => {
  const copy = (): Json => JSON.parse(JSON.stringify(sampleModel()));
  /** The first tree with a categorical split, a numeric split and a leaf, and those node indices. */
  const treeWithKinds = (m: Json) => {
    for (const it of m.iterations)
      for (const t of it) {
        const cat = t.feature.findIndex((f: number) => f === 3);
        const num = t.feature.findIndex((f: number) => f >= 0 && f < 3);
        if (cat >= 0 && num >= 0) return { t, cat, num, leaf: t.feature.indexOf(-1) as number };
      }
    throw new Error('the sample model has no tree with both split kinds');
  };

  it('accepts what training writes (after JSON) and predicts the same', () => {
    const model = sampleModel();
    const back = validateGbdtModel(JSON.parse(JSON.stringify(model)));
    const d = classificationData({ rows: 200, testRows: 1, numeric: 3, categorical: 1, levels: 8, nanFraction: 0.2, seed: 8 });
    assert.deepEqual(predictRaw(back, d.train.features), predictRaw(model, d.train.features));
  });

  it('refuses what is not a model object', () => {
    for (const v of [null, [1], 'SECRET', 3]) assert.throws(() => validateGbdtModel(v), /^Error: invalid gbdt model: model must be an object$/);
  });

  const SECRET = 'SECRET-CONTENT-<script>';
  const tampers: [string, (m: Json) => void, RegExp][] = [
    ['format', (m) => (m.format = SECRET), /format must be "datawig-gbdt\/1"/],
    ['loss', (m) => (m.loss = SECRET), /loss must be "squared" or "huber" or "logistic" or "softmax"/],
    ['nFeatures', (m) => (m.nFeatures = 2.5), /nFeatures must be an integer from 1/],
    ['categorical length', (m) => m.categorical.pop(), /categorical must be an array of 4 items/],
    ['categorical item', (m) => (m.categorical[1] = SECRET), /categorical\[1\] must be true or false/],
    ['category count of a numeric feature', (m) => (m.categoryCount[0] = 3), /categoryCount\[0\] must be an integer from 0 to 0/],
    ['category count too large', (m) => (m.categoryCount[3] = 256), /categoryCount\[3\] must be an integer from 0 to 255/],
    ['nOutputs of softmax', (m) => (m.nOutputs = 1), /nOutputs must be an integer from 2/],
    ['baseline not finite', (m) => (m.baseline[0] = null), /baseline\[0\] must be a finite number/],
    ['baseline length', (m) => m.baseline.push(0), /baseline must be an array of 3 items/],
    ['trees per iteration', (m) => m.iterations[1].pop(), /iterations\[1\] must be an array of 3 items/],
    ['tree not an object', (m) => (m.iterations[0][1] = SECRET), /iterations\[0\]\[1\] must be an object/],
    ['node array lengths', (m) => m.iterations[0][0].value.pop(), /iterations\[0\]\[0\]\.value must be an array of \d+ items/],
    ['feature out of range', (m) => (m.iterations[0][0].feature[0] = 4), /iterations\[0\]\[0\]\.feature\[0\] must be an integer from -1 to 3/],
    ['threshold not finite', (m) => (treeWithKinds(m).t.threshold[treeWithKinds(m).num] = SECRET), /\.threshold\[\d+\] must be a finite number/],
    ['missingLeft', (m) => (m.iterations[0][0].missingLeft[0] = 1), /iterations\[0\]\[0\]\.missingLeft\[0\] must be true or false/],
    [
      'child out of range',
      (m) => (m.iterations[0][0].left[0] = m.iterations[0][0].feature.length),
      /iterations\[0\]\[0\]\.left\[0\] must be an integer from 1 to/,
    ],
    ['child pointing at the root', (m) => (m.iterations[0][0].right[0] = 0), /iterations\[0\]\[0\]\.right\[0\] must be an integer from 1 to/],
    [
      'shared child (a DAG)',
      (m) => {
        const t = m.iterations[0][0];
        t.right[0] = t.left[0];
      },
      /iterations\[0\]\[0\]\.right\[0\] must be a node that no other node points to/,
    ],
    [
      'cycle',
      (m) => {
        // the root's left child points back at an inner node above it: one node gets two parents
        const t = m.iterations[0][0];
        const inner = t.feature.findIndex((f: number, i: number) => i > 0 && f >= 0);
        t.left[inner] = t.left[0];
      },
      /must be a node that no other node points to/,
    ],
    [
      'unreachable nodes (a detached cycle)',
      (m) => {
        const t = m.iterations[0][0];
        const n = t.feature.length;
        // two extra inner nodes that are each other's child (each with one leaf), reachable from nowhere
        t.feature.push(0, 0, -1, -1);
        for (const k of ['threshold', 'value', 'gain']) t[k].push(0, 0, 0, 0);
        t.missingLeft.push(false, false, false, false);
        t.leftCategories.push([], [], [], []);
        t.left.push(n + 1, n, -1, -1);
        t.right.push(n + 2, n + 3, -1, -1);
      },
      /iterations\[0\]\[0\]\.left must be links that reach every node from the root/,
    ],
    ['leaf with children', (m) => (m.iterations[0][0].left[treeWithKinds(m).leaf] = 1), /\.left\[\d+\] must be an integer from -1 to -1/],
    ['categories at a numeric split', (m) => treeWithKinds(m).t.leftCategories[treeWithKinds(m).num].push(0), /\.leftCategories\[\d+\] must be empty/],
    [
      'category code out of range',
      (m) => treeWithKinds(m).t.leftCategories[treeWithKinds(m).cat].push(8),
      /\.leftCategories\[\d+\]\[\d+\] must be an integer from 0 to 7/,
    ],
    [
      'category codes not ascending',
      (m) => {
        const k = treeWithKinds(m);
        k.t.leftCategories[k.cat] = [3, 1];
      },
      /\.leftCategories\[\d+\]\[1\] must be greater than the code before it/,
    ],
    ['negative gain', (m) => (m.iterations[0][0].gain[0] = -1), /iterations\[0\]\[0\]\.gain\[0\] must be a non-negative number/],
    ['value not finite', (m) => (m.iterations[0][0].value[0] = '1e400'), /iterations\[0\]\[0\]\.value\[0\] must be a finite number/],
    [
      'too many nodes in a tree',
      (m) => (m.iterations[0][0].feature = new Array(GBDT_LIMITS.nodesPerTree + 1).fill(-1)),
      /iterations\[0\]\[0\]\.feature must be an array of at most 131071 items/,
    ],
    ['empty tree', (m) => (m.iterations[0][0].feature = []), /iterations\[0\]\[0\]\.feature must be a non-empty array/],
  ];
  for (const [name, tamper, message] of tampers) {
    it(`refuses a model with a bad ${name}, naming the field and not its content`, () => {
      const m = copy();
      tamper(m);
      assert.throws(
        () => validateGbdtModel(m),
        (e: Error) => {
          assert.match(e.message, message);
          assert.ok(!e.message.includes('SECRET'));
          return true;
        },
      );
    });
  }
});

describe('gbdt against scikit-learn HistGradientBoosting (same rows, same settings)', () => {
  it('reaches the same quality on regression and 3-class data with NaN and a categorical feature', (t) => {
    // a missing sklearn is a failure, not a skip: CI installs python3-sklearn
    const python = sklearnPython();
    const options: GbdtOptions = { maxIter: 100, seed: 0 };
    const regression = regressionData({ rows: 4000, testRows: 3000, numeric: 10, categorical: 1, levels: 20, nanFraction: 0.15, seed: 41 });
    const classes = classificationData({ rows: 4000, testRows: 3000, numeric: 8, categorical: 2, levels: 25, nanFraction: 0.15, seed: 42 });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbdt-test-'));
    try {
      writeDataset(path.join(tmp, 'r'), regression, options);
      writeDataset(path.join(tmp, 'c'), classes, options);
      // one thread: the test checks quality, and the machine may be shared
      const [sr, sc] = runSklearn(python, [path.join(tmp, 'r'), path.join(tmp, 'c')], 1);
      const ours = fitGbdt({ features: regression.train.features, categorical: regression.categorical, y: regression.train.y }, options);
      const nmse = normalisedMse(predictRaw(ours.model, regression.test.features), regression.test.y);
      assert.ok(nmse <= sr!.nmse! * 1.1 + 0.01, `normalised MSE ours ${nmse}, sklearn ${sr!.nmse}`);
      const oursC = fitGbdt({ features: classes.train.features, categorical: classes.categorical, y: classes.train.y }, options);
      const acc = accuracy(predictProba(oursC.model, classes.test.features), 3, classes.test.y as Int32Array);
      t.diagnostic(
        `normalised MSE ours ${nmse.toFixed(4)} sklearn ${sr!.nmse!.toFixed(4)}; accuracy ours ${acc.toFixed(4)} sklearn ${sc!.accuracy!.toFixed(4)}`,
      );
      assert.ok(acc >= sc!.accuracy! - 0.02, `accuracy ours ${acc}, sklearn ${sc!.accuracy}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
