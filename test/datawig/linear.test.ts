/**
 * The linear family (core/linear-model.ts, fit/fit-linear.ts): it learns a generated catalogue and
 * a linear numeric target, is deterministic, copes with missing cells and unseen tokens, refuses
 * tampered model files, its lazy sparse update equals the dense one, and it is at least as good as
 * the scikit-learn peer of issue 12 on the same rows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingAbortedError, type InputRecord } from '../../framework/contract/index.js';
import { EntryOrigins, Featurizer, fitFeaturizer, SparseEntries } from '../../algorithms/datawig/core/features.js';
import {
  encodeLinearModel,
  encodeLinearRow,
  JOINED_TEXT_COLUMN,
  joinedText,
  linearContributions,
  linearModel,
  linearProbabilities,
  linearScores,
  linearScoresBatch,
  linearTokenContributions,
  linearValue,
  rowOfId,
  validateLinearModel,
  type LinearModel,
} from '../../algorithms/datawig/core/linear-model.js';
import { ModelFormatError } from '../../algorithms/datawig/format/json-rules.js';
import {
  fitLinear,
  fitLinearAdaptive,
  linearDefaults,
  LinearTrainer,
  MIN_GRADIENT,
  type LinearData,
  type LinearTrainOptions,
} from '../../algorithms/datawig/fit/fit-linear.js';
import {
  accuracy,
  catalogue,
  CATALOGUE_FEATURES,
  holdOut,
  linearFeatureOptions,
  macroF1,
  numericTable,
  NUMERIC_FEATURES,
  prepare,
  runSklearnPeer,
  type Prepared,
} from './linear-data.js';

const signal = new AbortController().signal;

function options(prep: Prepared, task: 'classification' | 'regression', overrides: Partial<LinearTrainOptions> = {}, rows = 0): LinearTrainOptions {
  return {
    ...linearDefaults(task, rows),
    task,
    outDim: task === 'classification' ? prep.classes.length : 1,
    sparseDim: prep.featurizer.spec.tableRows,
    textWeighting: prep.textWeighting,
    labelMean: prep.labelMean,
    labelStd: prep.labelStd,
    deadline: Infinity,
    signal,
    ...overrides,
  };
}

/** The class of each row with the highest score. */
function predict(m: LinearModel, prep: Prepared, rows: InputRecord[]): string[] {
  const K = m.spec.outDim;
  const scores = linearScoresBatch(m, prep.encode(rows));
  return rows.map((_, i) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[i * K + k]! > scores[i * K + best]!) best = k;
    return prep.classes[best]!;
  });
}

async function fitCatalogue(n: number, seed: number, overrides: Partial<LinearTrainOptions> = {}) {
  const { train, val } = holdOut(catalogue(n, seed), 0.1);
  const prep = prepare(train, 'colour', 'classification', CATALOGUE_FEATURES);
  const out = await fitLinear(options(prep, 'classification', overrides), prep.data(train), prep.data(val));
  return { prep, out };
}

/** Labels that the text does not predict, at a step of 8: it fits noise at once (a step of 2 more slowly). */
function noisyCatalogue(patience: number) {
  const rows = catalogue(100, 12);
  const noisy = rows.map((r, i) => ({ ...r, colour: rows[(i * 7919) % rows.length]!.colour }));
  const { train, val } = holdOut(noisy, 0.2);
  const prep = prepare(train, 'colour', 'classification', CATALOGUE_FEATURES);
  return { train, val, prep, o: options(prep, 'classification', { learningRate: 8, patience }) };
}

describe('linear family: learning', () => {
  it('fits again at a quarter of the step when the first fit overshoots (best epoch 1 or 2), keeping the better', async () => {
    // every epoch fits noise, the first is the best
    const { train, val, prep, o } = noisyCatalogue(2);
    const fast = await fitLinear(o, prep.data(train), prep.data(val));
    assert.equal(fast.stopReason, 'early_stopping');
    assert.ok(fast.bestEpoch <= 2, `a huge step peaks at once (best epoch ${fast.bestEpoch})`);
    const slow = await fitLinear({ ...o, learningRate: 2 }, prep.data(train), prep.data(val));
    const adaptive = await fitLinearAdaptive(o, prep.data(train), prep.data(val));
    assert.equal(adaptive.bestValLoss, Math.min(fast.bestValLoss, slow.bestValLoss));
  });

  it('trains both steps of a small problem side by side, and stops the first step once the quarter step is ahead', async () => {
    const { train, val, prep, o } = noisyCatalogue(3);
    const [tr, va] = [prep.data(train), prep.data(val)];
    const fast = await fitLinear(o, tr, va);
    const slow = await fitLinear({ ...o, learningRate: 2 }, tr, va);
    assert.ok(slow.bestValLoss < fast.bestValLoss, `the quarter step validates better (${slow.bestValLoss} vs ${fast.bestValLoss})`);
    let epochs = 0;
    const adaptive = await fitLinearAdaptive({ ...o, onEpoch: () => epochs++ }, tr, va);
    assert.deepEqual(adaptive.history, slow.history, 'the quarter step trained as on its own');
    assert.equal(adaptive.bestValLoss, slow.bestValLoss);
    assert.ok(epochs < fast.epochs + slow.epochs, `the first step stopped early (${epochs - slow.epochs} of its ${fast.epochs} epochs)`);
  });

  it('tries the quarter step on every small problem, and only the first step on a large one that does not overshoot', async () => {
    const split = holdOut(catalogue(300, 13), 0.1);
    const small = prepare(split.train, 'colour', 'classification', CATALOGUE_FEATURES);
    const o = options(small, 'classification', { epochs: 6 });
    const [tr, va] = [small.data(split.train), small.data(split.val)];
    const fast = await fitLinear(o, tr, va);
    const slow = await fitLinear({ ...o, learningRate: o.learningRate / 4 }, tr, va);
    assert.equal((await fitLinearAdaptive(o, tr, va)).bestValLoss, Math.min(fast.bestValLoss, slow.bestValLoss));
    // 2,400 long rows x 16 classes: past the small-problem bound; 3 epochs do not overshoot
    const big = holdOut(catalogue(2400, 14), 0.1);
    const prep = prepare(big.train, 'colour', 'classification', CATALOGUE_FEATURES);
    const calm = options(prep, 'classification', { epochs: 3 });
    const once = await fitLinear(calm, prep.data(big.train), prep.data(big.val));
    assert.equal(once.bestEpoch, 3);
    assert.deepEqual((await fitLinearAdaptive(calm, prep.data(big.train), prep.data(big.val))).history, once.history);
  });

  it('learns the generated catalogue (16 classes) to high accuracy and explains with the planted words', async () => {
    const { prep, out } = await fitCatalogue(2000, 31);
    const evaluate = catalogue(1000, 32);
    const truth = evaluate.map((r) => String(r.colour));
    const pred = predict(out.model, prep, evaluate);
    // about 17 % of the rows carry no colour word at all, and 3 % of labels are noise
    assert.ok(accuracy(truth, pred) > 0.72, `accuracy ${accuracy(truth, pred)}`);
    assert.ok(macroF1(truth, pred) > 0.62, `macro-F1 ${macroF1(truth, pred)}`);
    assert.ok(out.bestEpoch >= 1 && out.bestEpoch <= out.epochs);
    assert.equal(out.history.length, out.epochs);
    assert.ok(Number.isFinite(out.bestValLoss));
    // what drives "light green" in a row that names it: its words, and not the brand
    const row: InputRecord = { title: 'tobena kalu light green', description: 'a fine thing that pairs well with red', price: '30', colour: '' };
    const k = prep.classes.indexOf('light green');
    const top = linearTokenContributions(out.model, prep.featurizer, prep.join(row), k)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map((e) => e[0]);
    assert.ok(top.includes('light green') || top.includes('green'), `top n-grams ${top.join(', ')}`);
    const probs = new Float64Array(prep.classes.length);
    const enc = prep.encode([row]);
    linearProbabilities(out.model, enc, 0, probs);
    assert.equal(prep.classes[probs.indexOf(Math.max(...probs))], 'light green');
    // contributions decompose the score: they sum to the text part of class k's score relative to the mean class
    const contributions = linearContributions(out.model, enc, 0, k);
    assert.equal(contributions.length, enc.rowPtr[1]! - enc.rowPtr[0]!);
  });

  it('learns a numeric target that is linear in numbers, a category and a word', async () => {
    const rows = numericTable(2500, 41);
    const { train, val } = holdOut(rows, 0.1);
    const prep = prepare(train, 'y', 'regression', NUMERIC_FEATURES, linearFeatureOptions({ buckets: 4096 }));
    const out = await fitLinear(options(prep, 'regression', { l1: 0, alpha: 0 }), prep.data(train), prep.data(val));
    const evaluate = numericTable(1000, 42);
    const enc = prep.encode(evaluate);
    let se = 0;
    let variance = 0;
    const mean = evaluate.reduce((s, r) => s + Number(r.y), 0) / evaluate.length;
    evaluate.forEach((r, i) => {
      se += (linearValue(out.model, enc, i) - Number(r.y)) ** 2;
      variance += (Number(r.y) - mean) ** 2;
    });
    const rmse = Math.sqrt(se / evaluate.length);
    // the noise has a deviation of 0.5; the label's is about 8.7 (the inputs are clipped z-scores, the target exactly linear in them)
    assert.ok(rmse < 0.8, `rmse ${rmse}`);
    assert.ok(1 - se / variance > 0.99, `R2 ${1 - se / variance}`);
    assert.equal(out.model.spec.task, 'regression');
    assert.ok(out.history.every((h) => h.valRmse !== undefined));
  });

  it('is deterministic with a seed, and the seed matters', async () => {
    const a = await fitCatalogue(500, 51, { epochs: 3 });
    const b = await fitCatalogue(500, 51, { epochs: 3 });
    const c = await fitCatalogue(500, 51, { epochs: 3, seed: 7 });
    const bytes = (m: LinearModel) => Buffer.from(encodeLinearModel(m).bytes);
    assert.ok(bytes(a.out.model).equals(bytes(b.out.model)));
    assert.deepEqual(a.out.history, b.out.history);
    assert.ok(!bytes(a.out.model).equals(bytes(c.out.model)));
  });

  it('scores rows with missing cells, unseen words and unseen categories', async () => {
    const rows = numericTable(600, 61);
    const { train, val } = holdOut(rows, 0.1);
    const prep = prepare(
      train,
      'group',
      'classification',
      NUMERIC_FEATURES.filter((f) => f.name !== 'group').concat([{ name: 'y', type: 'numeric', meanLength: 6 }]),
    );
    const out = await fitLinear(options(prep, 'classification', { epochs: 5 }), prep.data(train), prep.data(val));
    const odd: InputRecord[] = [{ x1: '', x2: null, note: '', y: 'n/a' }, { x1: '3', x2: '4', note: 'qqqzzz xxyyww never seen', y: '1e3' }, {}];
    const enc = prep.encode(odd);
    const probs = new Float64Array(prep.classes.length);
    for (let i = 0; i < odd.length; i++) {
      linearProbabilities(out.model, enc, i, probs);
      assert.ok(probs.every((p) => Number.isFinite(p) && p >= 0));
      assert.ok(Math.abs(probs.reduce((s, p) => s + p, 0) - 1) < 1e-9);
    }
    // a missing text cell is its own input (the featurizer's missing row), unseen n-grams have no weight
    const unseen = prep.encode([{ note: 'qqqzzz' }]);
    assert.equal(rowOfId(out.model, unseen.idx[0]!), -1);
  });

  it('leaves out rows of weight 0 (class weights) and rows of a class unknown to the model', async () => {
    const { train, val } = holdOut(catalogue(1000, 71), 0.1);
    const prep = prepare(train, 'colour', 'classification', CATALOGUE_FEATURES);
    const data = prep.data(train);
    const dropped = prep.classes.indexOf('dark blue');
    data.w = Float32Array.from(data.y, (y) => (y === dropped ? 0 : 1));
    data.y[0] = -1;
    const out = await fitLinear(options(prep, 'classification', { epochs: 6 }), data, prep.data(val));
    const pred = predict(out.model, prep, catalogue(800, 72));
    assert.ok(!pred.includes('dark blue'));
    assert.ok(new Set(pred).size > 8);
  });

  it('stops at the deadline after the first batch, and throws when aborted', async () => {
    const { train, val } = holdOut(catalogue(400, 81), 0.1);
    const prep = prepare(train, 'colour', 'classification', CATALOGUE_FEATURES);
    const late = await fitLinear(options(prep, 'classification', { deadline: Date.now() - 1 }), prep.data(train), prep.data(val));
    assert.equal(late.stopReason, 'max_training_seconds');
    assert.equal(late.epochs, 0);
    assert.ok(Number.isFinite(late.bestValLoss));
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(fitLinear(options(prep, 'classification', { signal: aborted.signal }), prep.data(train), prep.data(val)), TrainingAbortedError);
  });
});

describe('linear family: text columns', () => {
  const missing = { value: (c: unknown) => (c === undefined || c === null || c === '' ? null : String(c as string)) };

  it('joins the text columns into one document, leaving missing cells out', () => {
    const view = joinedText(CATALOGUE_FEATURES, missing);
    assert.deepEqual(
      view.features.map((f) => f.name),
      [JOINED_TEXT_COLUMN, 'price'],
    );
    assert.equal(view.join({ title: 'a b', description: '', price: '1' })[JOINED_TEXT_COLUMN], 'a b');
    assert.equal(view.join({ title: 'a', description: 'c d' })[JOINED_TEXT_COLUMN], 'a c d');
    assert.equal(view.join({ price: '2' })[JOINED_TEXT_COLUMN], null);
    const single = joinedText(NUMERIC_FEATURES, missing);
    const row = { note: 'x' };
    assert.equal(single.join(row), row);
  });

  it('joint weighting makes the text columns of a row one unit vector', () => {
    const rows = catalogue(200, 91);
    const featurizer = new Featurizer(fitFeaturizer(rows, CATALOGUE_FEATURES, linearFeatureOptions()));
    const entries = new SparseEntries();
    const origins = new EntryOrigins();
    const num = new Float32Array(featurizer.spec.numDim);
    for (const row of rows.slice(0, 20)) {
      entries.length = 0;
      encodeLinearRow(featurizer, 'joint', row, entries, num, 0, origins);
      let squares = 0;
      for (let i = 0; i < origins.position.length; i++) if (origins.position[i]! >= 0) squares += entries.val[i]! ** 2;
      assert.ok(Math.abs(squares - 1) < 1e-5, `squares ${squares}`);
    }
  });
});

/** A small trained-looking model, dense, for the format tests. */
function smallModel(sparseDim = 50, K = 3, numDim = 2, every = 1): LinearModel {
  const sparse = new Float32Array(sparseDim * K);
  for (let i = 0; i < sparse.length; i += every) sparse[i] = ((i % 5) - 2.5) / 2;
  return linearModel(
    { task: 'classification', sparseDim, numDim, outDim: K, labelMean: 0, labelStd: 1, textWeighting: 'column' },
    sparse,
    Float32Array.from({ length: numDim * K }, (_, i) => i / 10),
    Float32Array.from({ length: K }, (_, i) => -i),
  );
}

describe('linear family: stored models', () => {
  const enc = {
    n: 1,
    rowPtr: Int32Array.from([0, 3]),
    idx: Int32Array.from([0, 7, 49]),
    val: Float32Array.from([0.5, 1, 2]),
    num: Float32Array.from([1, -1]),
    numDim: 2,
  };

  it('round-trips in both layouts with identical scores', () => {
    const dense = smallModel(50);
    const sparseOne = smallModel(5000, 3, 2, 97);
    for (const m of [dense, sparseOne]) {
      const { spec, bytes } = encodeLinearModel(m);
      const back = validateLinearModel(JSON.parse(JSON.stringify(spec)), bytes, { sparseDim: m.spec.sparseDim, numDim: 2, outDim: 3 });
      const a = new Float64Array(3);
      const b = new Float64Array(3);
      linearScores(m, enc, 0, a);
      linearScores(back, enc, 0, b);
      assert.deepEqual(Array.from(a), Array.from(b));
    }
    assert.equal(encodeLinearModel(dense).spec.layout, 'dense');
    const stored = encodeLinearModel(sparseOne);
    assert.equal(stored.spec.layout, 'rows');
    assert.ok(stored.bytes.byteLength < 5000 * 3 * 4);
  });

  it('refuses tampered specs and weights, naming the field but not its content', () => {
    const { spec, bytes } = encodeLinearModel(smallModel(5000, 3, 2, 97));
    const refuses = (json: unknown, weights: Uint8Array, field: RegExp, expected = {}) =>
      assert.throws(
        () => validateLinearModel(json, weights, expected),
        (e: unknown) => e instanceof ModelFormatError && field.test(e.message) && !e.message.includes('s3cr3t'),
      );
    refuses({ ...spec, format: 's3cr3t' }, bytes, /"format"/);
    refuses({ ...spec, task: 's3cr3t' }, bytes, /"task"/);
    refuses({ ...spec, outDim: 0 }, bytes, /"outDim"/);
    refuses({ ...spec, sparseDim: -1 }, bytes, /"sparseDim"/);
    refuses({ ...spec, labelStd: 0 }, bytes, /"labelStd"/);
    refuses({ ...spec, textWeighting: 's3cr3t' }, bytes, /"textWeighting"/);
    refuses('s3cr3t', bytes, /"spec"/);
    refuses({ ...spec, task: 'regression' }, bytes, /"outDim"/);
    refuses(spec, bytes, /"outDim" differs/, { outDim: 4 });
    refuses(spec, bytes, /"sparseDim" differs/, { sparseDim: 4999 });
    refuses({ ...spec, storedRows: 6000 }, bytes, /"storedRows"/);
    refuses({ ...spec, layout: 'dense' }, bytes, /"storedRows"/);
    refuses({ ...spec, sparseDim: 2 ** 27, numDim: 2 ** 27, storedRows: 2 ** 26 }, bytes, /more than/);
    refuses(spec, bytes.slice(0, bytes.length - 4), /bytes/);
    const nan = bytes.slice();
    new Float32Array(nan.buffer).fill(NaN, spec.storedRows + 1, spec.storedRows + 2);
    refuses(spec, nan, /not finite/);
    const unordered = bytes.slice();
    const ids = new Int32Array(unordered.buffer, 0, spec.storedRows);
    [ids[0], ids[1]] = [ids[1]!, ids[0]!];
    refuses(spec, unordered, /increasing/);
    const outOfRange = bytes.slice();
    new Int32Array(outOfRange.buffer, 0, spec.storedRows)[spec.storedRows - 1] = 5000;
    refuses(spec, outOfRange, /out of range/);
  });
});

/**
 * The dense reference of LinearTrainer: the same FTRL-proximal mini-batch steps, written over every
 * coordinate of dense [sparseDim x K] arrays at every step (untouched ones with a zero gradient).
 */
class DenseReference {
  readonly w: Float32Array;
  private readonly z: Float32Array;
  private readonly n: Float32Array;
  private l1 = 0;
  private l2 = 0;
  constructor(
    private readonly d: LinearData,
    private readonly K: number,
    private readonly o: { learningRate: number; l1: number; alpha: number },
  ) {
    // rows: the sparse ids, the numeric inputs, the bias
    const rows = d.enc.rowPtr.length > 0 ? maxId(d) + 1 + d.enc.numDim + 1 : 0;
    this.w = new Float32Array(rows * K);
    this.z = new Float32Array(rows * K);
    this.n = new Float32Array(rows * K);
  }
  get biasRow(): number {
    return this.w.length / this.K - 1;
  }
  beginEpoch(epoch: number, totalWeight: number): void {
    this.l1 = this.o.l1 * totalWeight * epoch;
    this.l2 = this.o.alpha * totalWeight * epoch;
    for (let j = 0; j < this.w.length; j++) this.w[j] = this.weight(j);
  }
  private weight(j: number): number {
    const bias = j >= this.biasRow * this.K;
    const l1 = bias ? 0 : this.l1;
    const zj = this.z[j]!;
    if (zj <= l1 && zj >= -l1) return 0;
    return ((zj > 0 ? l1 : -l1) - zj) / ((1 + Math.sqrt(this.n[j]!)) / this.o.learningRate + (bias ? 0 : this.l2));
  }
  /** The entries of position i: sparse ids, numeric inputs, the bias, as parameter rows. */
  private entries(i: number): [number, number][] {
    const { enc } = this.d;
    const r = this.d.rows[i]!;
    const out: [number, number][] = [];
    for (let p = enc.rowPtr[r]!; p < enc.rowPtr[r + 1]!; p++) out.push([enc.idx[p]!, enc.val[p]!]);
    const first = this.biasRow - enc.numDim;
    for (let j = 0; j < enc.numDim; j++) if (enc.num[r * enc.numDim + j] !== 0) out.push([first + j, enc.num[r * enc.numDim + j]!]);
    out.push([this.biasRow, 1]);
    return out;
  }
  step(batch: number[]): void {
    const { K } = this;
    const grad = new Float64Array(this.w.length);
    for (const i of batch) {
      const e = this.entries(i);
      const s = new Float64Array(K);
      for (const [c, x] of e) for (let k = 0; k < K; k++) s[k] += x * this.w[c * K + k]!;
      const m = Math.max(...s);
      let total = 0;
      for (let k = 0; k < K; k++) total += s[k] = Math.exp(s[k]! - m);
      const wi = this.d.w[i]!;
      const y = this.d.y[i]!;
      for (let k = 0; k < K; k++) {
        const g = (wi * s[k]!) / total - (k === y ? wi : 0);
        if (Math.abs(g) < MIN_GRADIENT * wi) continue;
        for (const [c, x] of e) grad[c * K + k] += x * g;
      }
    }
    for (let j = 0; j < this.w.length; j++) {
      const g = grad[j]!;
      const before = this.n[j]!;
      const after = before + g * g;
      this.n[j] = after;
      const w = this.w[j]!;
      this.z[j] = w === 0 ? this.z[j]! + g : this.z[j]! + g - ((Math.sqrt(after) - Math.sqrt(before)) / this.o.learningRate) * w;
      this.w[j] = this.weight(j);
    }
  }
}

function maxId(d: LinearData): number {
  let m = -1;
  for (const id of d.enc.idx) m = Math.max(m, id);
  return m;
}

describe('linear family: lazy sparse updates', () => {
  it('equal the dense update on a tiny problem', () => {
    // 40 rows, ids 0..29 (each row 3 of them), one numeric input, 3 classes; every id used by a row
    const n = 40;
    const rowPtr = Int32Array.from({ length: n + 1 }, (_, i) => 3 * i);
    const idx = Int32Array.from({ length: 3 * n }, (_, p) => (p * 7 + Math.floor(p / 3)) % 30);
    for (let i = 0; i < n; i++) if (new Set(idx.subarray(3 * i, 3 * i + 3)).size < 3) idx[3 * i + 2] = (idx[3 * i]! + 1) % 30;
    const val = Float32Array.from({ length: 3 * n }, (_, p) => 0.3 + ((p * 13) % 7) / 10);
    const num = Float32Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : (i % 9) / 4 - 1));
    const data: LinearData = {
      enc: { n, rowPtr, idx, val, num, numDim: 1 },
      rows: Int32Array.from({ length: n }, (_, i) => i),
      y: Float32Array.from({ length: n }, (_, i) => idx[3 * i]! % 3),
      w: Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 2 : 1)),
    };
    const o = { task: 'classification' as const, outDim: 3, learningRate: 0.7, l1: 0.002, alpha: 0.001, minRows: 1 };
    const lazy = new LinearTrainer(o, data);
    const dense = new DenseReference(data, 3, o);
    const totalWeight = data.w.reduce((a, b) => a + b, 0);
    for (let epoch = 1; epoch <= 3; epoch++) {
      lazy.beginEpoch(epoch);
      dense.beginEpoch(epoch, totalWeight);
      for (let b = 0; b < n; b += 4) {
        const batch = [b, b + 1, b + 2, b + 3].map((i) => (i * 11 + epoch) % n);
        lazy.step(batch);
        dense.step(batch);
      }
    }
    const model = lazy.model(lazy.snapshot(), 30, { mean: 0, std: 1 }, 'column');
    let nonZero = 0;
    for (let id = 0; id < 30; id++) {
      for (let k = 0; k < 3; k++) {
        const r = rowOfId(model, id);
        const got = r < 0 ? 0 : model.sparse[r * 3 + k]!;
        const want = dense.w[id * 3 + k]!;
        assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `id ${id} class ${k}: ${got} vs ${want}`);
        if (want !== 0) nonZero++;
      }
    }
    assert.ok(nonZero > 10, 'the reference learnt something');
    for (let k = 0; k < 3; k++) {
      assert.ok(Math.abs(model.numeric[k]! - dense.w[(dense.biasRow - 1) * 3 + k]!) <= 1e-6);
      assert.ok(Math.abs(model.bias[k]! - dense.w[dense.biasRow * 3 + k]!) <= 1e-6);
    }
  });

  it('decrease the training loss epoch after epoch on a separable toy', async () => {
    const n = 60;
    const data: LinearData = {
      enc: {
        n,
        rowPtr: Int32Array.from({ length: n + 1 }, (_, i) => 2 * i),
        idx: Int32Array.from({ length: 2 * n }, (_, p) => (p % 2 === 0 ? (p / 2) % 3 : 3 + ((p * 5) % 7))),
        val: new Float32Array(2 * n).fill(0.7),
        num: new Float32Array(0),
        numDim: 0,
      },
      rows: Int32Array.from({ length: n }, (_, i) => i),
      y: Float32Array.from({ length: n }, (_, i) => i % 3),
      w: new Float32Array(n).fill(1),
    };
    const out = await fitLinear(
      {
        ...linearDefaults('classification'),
        task: 'classification',
        outDim: 3,
        textWeighting: 'column',
        learningRate: 0.5,
        l1: 0,
        alpha: 0,
        epochs: 12,
        patience: 12,
        minRows: 1,
        deadline: Infinity,
        signal,
      },
      data,
      data,
    );
    const losses = out.history.map((h) => h.trainLoss);
    for (let e = 1; e < losses.length; e++) assert.ok(losses[e]! < losses[e - 1]!, `epoch ${e + 1}: ${losses[e]} after ${losses[e - 1]}`);
    assert.ok(out.history.at(-1)!.valAccuracy === 1);
  });
});

describe('linear family against scikit-learn (HashingVectorizer 1-2-grams + SGDClassifier log-loss)', () => {
  it('is at least as accurate, in accuracy and macro-F1, on the catalogue with unseen labels', async () => {
    const train = catalogue(2500, 101);
    const evaluate = catalogue(1200, 102, 0.03);
    assert.ok(
      evaluate.some((r) => !train.some((t) => t.colour === r.colour)),
      'some evaluation labels are unseen in training',
    );
    const truth = evaluate.map((r) => String(r.colour));
    const peer = runSklearnPeer(train, evaluate, ['title', 'description'], 'colour');
    const { train: fitRows, val } = holdOut(train, 0.1);
    const prep = prepare(fitRows, 'colour', 'classification', CATALOGUE_FEATURES);
    const out = await fitLinearAdaptive(options(prep, 'classification'), prep.data(fitRows), prep.data(val));
    const ours = predict(out.model, prep, evaluate);
    const [oa, pa, of, pf] = [accuracy(truth, ours), accuracy(truth, peer.predictions), macroF1(truth, ours), macroF1(truth, peer.predictions)];
    console.log(`ours: accuracy ${oa.toFixed(3)}, macro-F1 ${of.toFixed(3)}; scikit-learn: ${pa.toFixed(3)}, ${pf.toFixed(3)}`);
    assert.ok(oa >= pa - 0.01, `accuracy: ours ${oa.toFixed(3)}, scikit-learn ${pa.toFixed(3)}`);
    assert.ok(of >= pf - 0.01, `macro-F1: ours ${of.toFixed(3)}, scikit-learn ${pf.toFixed(3)}`);
  });
});
