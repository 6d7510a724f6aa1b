import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLoadContext, createTestTrainContext, type MemoryArtifactStore } from '../../framework/testing.js';
import { invokeInProcess, type InProcessRequest } from '../../framework/testing.js';
import { RequestError, TrainingError, type InputRecord, type InputSchema, type Predictor, type RecordBatch } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { decodeWeights } from '../../algorithms/datawig/format/weights.js';
import type { TargetArtifact } from '../../algorithms/datawig/format/target-artifact.js';
import { LoadedTarget } from '../../algorithms/datawig/serve/loaded-target.js';
import { topTokens } from '../../algorithms/datawig/core/ranking.js';
import { loadTf, switchBackend } from '../../algorithms/datawig/fit/tf-backend.js';
import { forwardTf } from '../../algorithms/datawig/fit/train-net.js';
import { Net } from '../../algorithms/datawig/core/net.js';
import { Featurizer } from '../../algorithms/datawig/core/features.js';
import { ece, fitTemperature } from '../../algorithms/datawig/core/calibration.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { hp, mixedTable, SIGNAL, textTable } from './helpers.js';
import { CLIP_MARGIN } from '../../algorithms/datawig/fit/fit-target.js';

const alg = new DatawigAlgorithm();
const invoke = (predictor: Predictor, batch: RecordBatch<InputRecord>, request: InProcessRequest = {}) =>
  invokeInProcess({ algorithm: alg, predictor }, batch, request);
const csv = { accept: 'text/csv' };
const json = {};

// one trained text model shared by several tests (training is the slow part)
let shared: Promise<{ model: MemoryArtifactStore; schema: InputSchema; metrics: Record<string, number>; outputs: string[] }> | undefined;
function textModel() {
  shared ??= (async () => {
    const ctx = createTestTrainContext(
      { train: textTable(900, 1, 0.05) },
      hp({ label_column: 'label', feature_columns: ['text', 'color', 'size'], num_epochs: 30, model_family: 'network' }),
    );
    const r = await alg.train(ctx);
    return { model: ctx.model, schema: r.inputSchema, metrics: r.metrics ?? {}, outputs: ctx.metrics.lines.map((l) => l.name) };
  })();
  return shared;
}

test('trains on generated text data to high accuracy, with epoch metrics and calibration figures', async () => {
  const m = await textModel();
  assert.ok(m.metrics.validation_accuracy! > 0.85, `accuracy ${m.metrics.validation_accuracy}`);
  assert.ok(m.metrics.validation_macro_f1! > 0.85);
  for (const name of ['train:loss', 'validation:loss', 'validation:accuracy', 'validation:macro_f1', 'validation:ece'])
    assert.ok(m.outputs.includes(name), name);
  const files = await m.model.list();
  assert.deepEqual(files, ['model.json', 'targets/0/target.json', 'targets/0/weights.bin']);
  const a = await m.model.readJson<TargetArtifact>('targets/0/target.json');
  assert.equal(a.report!.confusion.length, a.classes.length + 1);
  assert.equal(a.curves!.precision.length, a.classes.length);
});

test('test data is scored: predictions on fresh rows, CSV shape, present values kept', async () => {
  const m = await textModel();
  const p = await alg.load(createTestLoadContext(m.model, m.schema));
  const fresh = textTable(300, 99);
  const out = await invoke(p, { columns: fresh.columns, records: fresh.records.map((r) => ({ ...r, label: '' })) }, csv);
  assert.equal(out.records.length, 300);
  assert.deepEqual(out.columns, ['text', 'color', 'size', 'label', 'label_imputed', 'label_imputed_proba']);
  const right = out.records.filter((r, i) => r.label_imputed === fresh.records[i]!.label).length;
  assert.ok(right / 300 > 0.85, `accuracy ${right / 300}`);
  const present = await invoke(p, { columns: fresh.columns, records: fresh.records.slice(0, 3) }, csv);
  assert.equal(present.records[0]!.label, fresh.records[0]!.label);
  assert.equal(present.records[0]!.label_imputed, null);
  const asked = await invoke(p, { columns: fresh.columns, records: fresh.records.slice(0, 3) }, { accept: 'text/csv', attributes: { impute_present: 'true' } });
  assert.notEqual(asked.records[0]!.label_imputed, null);
});

test('explanations that name only the reported n-grams equal naming every n-gram and summing by name', async () => {
  const m = await textModel();
  const a = await m.model.readJson<TargetArtifact>('targets/0/target.json');
  const weights = decodeWeights(a, await m.model.readFile('targets/0/weights.bin'));
  const t0 = a.featurizer.text[0]!;
  const one = new LoadedTarget(a, weights);
  // A second text column (own hash salt, words and chars) sharing words with the first: the
  // general path sums an n-gram's contributions over the columns.
  const two = new LoadedTarget({ ...a, featurizer: { ...a.featurizer, text: [t0, { ...t0, name: 'note', tokens: 'both' }] } }, weights);
  const rows = textTable(40, 7).records.map((r, i) => ({ ...r, note: i % 4 === 0 ? '' : String(r.text).split(' ').slice(0, 6).join(' ') }));
  let named = 0;
  for (const target of [one, two]) {
    for (const row of rows) {
      for (let k = 0; k < a.classes.length; k++) {
        for (const n of [1, 5, 100]) {
          target.run(row, undefined, true);
          const fast = target.explainLastRun(k, n);
          assert.deepEqual(fast, topTokens(target.tokenContributions(row, k), n));
          named += fast.length;
        }
      }
    }
  }
  assert.ok(named > 1000, `${named} n-grams named`);
  one.run(rows[0]!);
  assert.throws(() => one.explainLastRun(0, 5), /traced/);
});

test('JSON shape, top_k, explanations naming the planted signal words', async () => {
  const m = await textModel();
  const p = await alg.load(createTestLoadContext(m.model, m.schema));
  const rec = { text: 'w1 w2 striker w3 goal w4', color: 'red', size: '3' };
  const out = await invoke(p, { columns: ['text', 'color', 'size'], records: [rec] }, { attributes: { top_k: '2' } });
  const r = out.records[0] as {
    label_column: string;
    predictions: { predicted: string; predicted_probability: number }[];
    prediction_explanations: { explained_label: string; tokens: string[] }[];
  };
  assert.equal(r.label_column, 'label');
  assert.equal(r.predictions.length, 2);
  assert.equal(r.predictions[0]!.predicted, 'sports');
  assert.ok(r.predictions[0]!.predicted_probability > r.predictions[1]!.predicted_probability);
  assert.equal(r.prediction_explanations[0]!.explained_label, 'sports');
  assert.ok(
    r.prediction_explanations[0]!.tokens.slice(0, 2).every((t) => ['striker', 'goal'].includes(t)),
    r.prediction_explanations[0]!.tokens.join(),
  );
  // The explained answer and the CSV answer encode the row alike: the same probability.
  const viaCsv = await invoke(p, { columns: ['text', 'color', 'size'], records: [rec] }, { accept: 'text/csv' });
  assert.equal(viaCsv.records[0]!.label_imputed, 'sports');
  assert.equal(viaCsv.records[0]!.label_imputed_proba, r.predictions[0]!.predicted_probability);
  const a = await m.model.readJson<TargetArtifact>('targets/0/target.json');
  for (const [cls, words] of Object.entries(SIGNAL)) {
    const top = a.explanations![cls]!.slice(0, 3);
    assert.ok(top.filter((t) => words.includes(t)).length >= 2, `${cls}: ${top.join()}`);
  }
});

test('save -> load gives identical predictions; the typed-array path equals the tfjs graph', async () => {
  const m = await textModel();
  const p1 = await alg.load(createTestLoadContext(m.model, m.schema));
  const p2 = await alg.load(createTestLoadContext(m.model, m.schema));
  const rows = textTable(50, 7).records;
  const a = await invoke(p1, { columns: ['text', 'color', 'size'], records: rows }, json);
  const b = await invoke(p2, { columns: ['text', 'color', 'size'], records: rows }, json);
  assert.deepEqual(a, b);
  const art = await m.model.readJson<TargetArtifact>('targets/0/target.json');
  const w = decodeWeights(art, await m.model.readFile('targets/0/weights.bin'));
  const f = new Featurizer(art.featurizer);
  const enc = f.encodeTable(rows);
  const { tf, backend } = await loadTf();
  const net = new Net(art.net!, w);
  const out = new Float64Array(art.net!.outDim);
  const seg = new Int32Array(enc.idx.length);
  for (let i = 0; i < rows.length; i++) seg.fill(i, enc.rowPtr[i]!, enc.rowPtr[i + 1]!);
  // the same saved weights through the tfjs graph on each available backend
  for (const b of ['wasm', 'cpu'] as const) {
    await switchBackend(tf, b);
    const vars = new Map([...w].map(([k, v]) => [k, tf.tensor(v, art.weightSpecs.find((s) => s.name === k)!.shape)]));
    const tfLogits = tf.tidy(() => forwardTf(tf, vars, art.net!, enc.idx, enc.val, seg, enc.num, rows.length).dataSync());
    for (const v of vars.values()) v.dispose();
    for (let i = 0; i < rows.length; i++) {
      net.forward(enc.idx, enc.val, enc.rowPtr[i]!, enc.rowPtr[i + 1]!, enc.num, i * enc.numDim, out);
      for (let k = 0; k < out.length; k++) assert.ok(Math.abs(out[k]! - tfLogits[i * out.length + k]!) < 1e-4, `${b}: row ${i} class ${k}`);
    }
  }
  await switchBackend(tf, backend as 'wasm' | 'cpu');
});

test('precision_threshold: stricter thresholds impute fewer cells, probabilities still shown', async () => {
  const m = await textModel();
  const p = await alg.load(createTestLoadContext(m.model, m.schema));
  const rows = textTable(200, 11, 0.3).records.map((r) => ({ ...r, label: '' }));
  const count = async (t: string) => {
    const o = await invoke(p, { columns: ['text', 'color', 'size', 'label'], records: rows }, { accept: 'text/csv', attributes: { precision_threshold: t } });
    assert.ok(o.records.every((r) => typeof r.label_imputed_proba === 'number'));
    return o.records.filter((r) => r.label_imputed !== null).length;
  };
  const none = await count('0');
  const strict = await count('0.999');
  assert.equal(none, 200);
  assert.ok(strict < none, `${strict} < ${none}`);
  await assert.rejects(
    async () => invoke(p, { columns: ['text', 'color', 'size'], records: rows }, { attributes: { precision_threshold: '1.5' } }),
    (e: unknown) => e instanceof RequestError && /precision_threshold/.test(e.message),
  );
  await assert.rejects(async () => invoke(p, { columns: ['text', 'color', 'size'], records: rows }, { attributes: { top_k: 'x' } }), /top_k/);
  await assert.rejects(
    async () => invoke(p, { columns: ['text', 'size'], records: [{ text: 'a', size: '1' }] }, json),
    (e: unknown) => e instanceof RequestError && e.status === 400 && /"color"/.test(e.message),
  );
});

test('label_shift=true reports the estimated label distribution of the batch', async () => {
  const m = await textModel();
  const p = await alg.load(createTestLoadContext(m.model, m.schema));
  const rows = textTable(300, 12).records.filter((r) => r.label === 'tech');
  const o = await invoke(p, { columns: ['text', 'color', 'size'], records: rows }, { attributes: { label_shift: 'true', explain: 'false' } });
  const shift = (o.records[0]!.label_shift as Record<string, { estimated_distribution: Record<string, number>; shift_detected: boolean }>).label;
  assert.equal(shift!.shift_detected, true);
  assert.ok(shift!.estimated_distribution.tech! > 0.8);
  assert.equal(o.records[0]!.prediction_explanations, undefined);
});

test('no tensor leaks: tf.memory().numTensors stays flat across many predictions and a training run', async () => {
  const m = await textModel();
  const { tf } = await loadTf();
  const p = await alg.load(createTestLoadContext(m.model, m.schema));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 500; i++) await invoke(p, { columns: ['text', 'color', 'size'], records: [{ text: `goal w${i}`, color: 'red', size: '1' }] }, json);
  assert.equal(tf.memory().numTensors, before);
  const ctx = createTestTrainContext({ train: textTable(200, 3) }, hp({ label_column: 'label', num_epochs: 2 }));
  await alg.train(ctx);
  assert.equal(tf.memory().numTensors, before);
});

test('temperature scaling lowers ECE of a deliberately over-confident model', () => {
  const r = rng(5);
  const K = 3;
  const n = 2000;
  const logits = new Float32Array(n * K);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(r() * K);
    // a 70%-accurate model whose logits are scaled up 8x: far too confident
    const guess = r() < 0.7 ? y[i]! : Math.floor(r() * K);
    for (let k = 0; k < K; k++) logits[i * K + k] = 8 * ((k === guess ? 1.5 : 0) + r());
  }
  const t = fitTemperature(logits, y, K);
  assert.ok(t > 2, `temperature ${t}`);
  const before = ece(logits, y, K, 1);
  const after = ece(logits, y, K, t);
  assert.ok(after < before / 2 && after < 0.1, `${after} vs ${before}`);
});

test('complete mode fills every gap of categorical and numeric columns', async () => {
  const table = mixedTable(600);
  const ctx = createTestTrainContext({ train: table }, hp({ num_epochs: 40, iterations: 2 }));
  const r = await alg.train(ctx);
  const p = await alg.load(createTestLoadContext(ctx.model, r.inputSchema));
  const test = mixedTable(200, 77, 0.3);
  const truth = mixedTable(200, 77, 0);
  const out = await invoke(p, { columns: test.columns, records: test.records }, csv);
  assert.deepEqual(out.columns, [
    'x',
    'kind',
    'y',
    'shape',
    'code',
    'kind_imputed',
    'kind_imputed_proba',
    'y_imputed',
    'y_imputed_proba',
    'shape_imputed',
    'shape_imputed_proba',
  ]);
  let gaps = 0;
  let right = 0;
  let se = 0;
  let ny = 0;
  out.records.forEach((o, i) => {
    for (const c of ['kind', 'shape', 'y']) {
      if (test.records[i]![c] !== '') {
        assert.equal(o[`${c}_imputed`], null);
        continue;
      }
      gaps++;
      assert.notEqual(o[`${c}_imputed`], null, `row ${i} ${c}`);
      if (c === 'y') {
        se += (Number(o.y_imputed) - Number(truth.records[i]!.y)) ** 2;
        ny++;
      } else if (o[`${c}_imputed`] === truth.records[i]![c]) right++;
    }
  });
  assert.ok(gaps > 100);
  assert.ok(right / (gaps - ny) > 0.85, `categorical accuracy ${right / (gaps - ny)}`);
  assert.ok(Math.sqrt(se / ny) < 1.5, `rmse ${Math.sqrt(se / ny)}`);
  const j = await invoke(p, { columns: test.columns, records: [{ ...test.records[0]!, kind: '', y: '' }] }, json);
  const imp = j.records[0]!.imputations as { label_column: string; predicted?: unknown; predictions?: unknown[] }[];
  assert.deepEqual(imp.map((x) => x.label_column).sort(), [...new Set(['kind', 'y', ...(test.records[0]!.shape === '' ? ['shape'] : [])])].sort());
  assert.equal(typeof imp.find((x) => x.label_column === 'y')!.predicted, 'number');
  assert.ok(Array.isArray(imp.find((x) => x.label_column === 'kind')!.predictions));
});

test('hyper-parameter search writes its table and keeps the best candidate', async () => {
  const ctx = createTestTrainContext({ train: textTable(300, 4) }, hp({ label_column: 'label', num_evals: 3, num_epochs: 8 }));
  await alg.train(ctx);
  const table = await ctx.outputData.readText('hpo_results.csv');
  const lines = table.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^column,candidate,tokens,num_hash_buckets/);
  assert.ok(lines.slice(1).every((l) => l.startsWith('label,')));
  assert.equal(lines.filter((l) => l.endsWith(',yes')).length, 1);
});

test('max_training_seconds bounds training and the search (best model so far is kept)', async () => {
  const ctx = createTestTrainContext({ train: textTable(300, 4) }, hp({ label_column: 'label', num_evals: 5, max_training_seconds: 0.001 }));
  const r = await alg.train(ctx);
  const lines = (await ctx.outputData.readText('hpo_results.csv')).trim().split('\n');
  assert.equal(lines.length, 2); // header + the one candidate started before the budget ran out
  assert.ok(await ctx.model.exists('targets/0/weights.bin'));
  assert.ok(r.metrics!.training_seconds! < 5);
});

test('training is deterministic for a seed on one backend', async () => {
  const once = async (seed: number) => {
    const ctx = createTestTrainContext({ train: textTable(200, 4) }, hp({ label_column: 'label', num_epochs: 3, seed }));
    await alg.train(ctx);
    return Buffer.from(await ctx.model.readFile('targets/0/weights.bin')).toString('base64');
  };
  const a = await once(7);
  assert.equal(await once(7), a);
  assert.notEqual(await once(8), a);
});

test('validation channel is used instead of a split', async () => {
  const ctx = createTestTrainContext({ train: textTable(300, 4), validation: textTable(77, 5) }, hp({ label_column: 'label', num_epochs: 3 }));
  await alg.train(ctx);
  const a = await ctx.model.readJson<TargetArtifact>('targets/0/target.json');
  assert.equal(a.metrics.validation_rows, 77);
  assert.equal(a.metrics.train_rows, 300);
});

test('bad data fails with actionable TrainingErrors', async () => {
  const run = (table: ReturnType<typeof textTable>, h = {}) =>
    alg.train(createTestTrainContext({ train: table }, hp({ label_column: 'label', num_epochs: 1, ...h })));
  const t = textTable(40, 1);
  await assert.rejects(run(t, { label_column: 'colour' }), (e: unknown) => e instanceof TrainingError && /"colour".*text, color, size, label/.test(e.message));
  await assert.rejects(
    run({ ...t, records: t.records.map((r) => ({ ...r, label: 'NA' })) }),
    (e: unknown) => e instanceof TrainingError && /no known values/.test(e.message),
  );
  await assert.rejects(
    run({ ...t, records: t.records.map((r) => ({ ...r, label: 'x' })) }),
    (e: unknown) => e instanceof TrainingError && /only one class/.test(e.message),
  );
  const bad = { ...t, records: t.records.map((r, i) => ({ ...r, size: i === 5 ? 'large' : r.size })) };
  await assert.rejects(
    run(bad, { column_types: ['size:numeric'] }),
    (e: unknown) => e instanceof TrainingError && /"size" is declared numeric.*row 6.*"large"/.test(e.message),
  );
});

test('abort signal stops training with TrainingAbortedError', async () => {
  const ctx = createTestTrainContext({ train: textTable(300, 4) }, hp({ label_column: 'label' }));
  ctx.abort.abort();
  await assert.rejects(alg.train(ctx), { name: 'TrainingAbortedError' });
});

test('numeric imputations stay near the training range (clip_numeric_imputations, default on)', async () => {
  const table = mixedTable(400);
  const observed = table.records.filter((r) => r.y !== '').map((r) => Number(r.y));
  const lo = Math.min(...observed);
  const hi = Math.max(...observed);
  const far = (x: string) => ({ x, kind: 'mid', y: '', shape: 'round', code: 'R-1' });
  const served = async (clip: boolean): Promise<{ range: unknown; high: number; low: number; decimals: number }> => {
    const ctx = createTestTrainContext({ train: table }, hp({ label_column: 'y', num_epochs: 20, clip_numeric_imputations: clip }));
    const r = await alg.train(ctx);
    const a = await ctx.model.readJson<TargetArtifact>('targets/0/target.json');
    const p = await alg.load(createTestLoadContext(ctx.model, r.inputSchema));
    // y = 2x + noise was learnt on x in [0, 10]: far outside it the model extrapolates.
    const out = await invoke(p, { columns: table.columns, records: [far('1000'), far('-1000')] }, csv);
    return { range: a.labelRange, high: Number(out.records[0]!.y_imputed), low: Number(out.records[1]!.y_imputed), decimals: a.labelDecimals! };
  };
  const clipped = await served(true);
  // the observed range, widened by half its width on each side, not across zero where the values keep one sign
  const margin = (hi - lo) * CLIP_MARGIN;
  const bounds = [lo >= 0 ? Math.max(0, lo - margin) : lo - margin, hi <= 0 ? Math.min(0, hi + margin) : hi + margin];
  assert.deepEqual(clipped.range, bounds);
  // served at the labels' own precision
  const written = (x: number): number => Math.round(x * 10 ** clipped.decimals) / 10 ** clipped.decimals;
  assert.equal(clipped.high, written(bounds[1]!));
  assert.equal(clipped.low, written(bounds[0]!));
  const free = await served(false);
  assert.equal(free.range, undefined);
  assert.ok(free.high > hi && free.low < lo, `unclipped: ${free.low} .. ${free.high} against ${lo} .. ${hi}`);
});

test('a stop (abort fired by a timer, as SIGTERM is) is seen within a fraction of a second, mid-target', async () => {
  const ctx = createTestTrainContext({ train: textTable(3000, 9) }, hp({ label_column: 'label', num_epochs: 500, patience: 1000, model_family: 'network' }));
  const started = performance.now();
  // A macrotask, like the runner's SIGTERM handler: it runs only if training lets the event loop turn.
  const timer = setTimeout(() => ctx.abort.abort(), 300);
  try {
    await assert.rejects(alg.train(ctx), (e: unknown) => e instanceof Error && e.name === 'TrainingAbortedError');
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - started;
  assert.ok(ms < 3000, `stopped ${Math.round(ms)} ms after the start (abort at 300 ms)`);
});
