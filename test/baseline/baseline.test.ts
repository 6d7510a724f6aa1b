import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';
import { fitColumn, median, parseNumber } from '../../algorithms/baseline/stats.js';
import { RequestError, TrainingError } from '../../framework/contract/errors.js';
import type { InputRecord, Table } from '../../framework/contract/records.js';
import { parseHyperparameters } from '../../framework/parameters/parse.js';
import { createTestLoadContext, createTestTrainContext, invokeInProcess } from '../../framework/testing.js';

const algorithm = new BaselineAlgorithm();
const hp = (raw: Record<string, unknown>) => parseHyperparameters(algorithm.hyperparameters, raw);

const table: Table = {
  columns: ['color', 'size', 'note'],
  records: [
    { color: 'red', size: '1', note: 'a' },
    { color: 'blue', size: '2', note: 'b' },
    { color: 'red', size: '3', note: '' },
    { color: 'NA', size: '10', note: 'c' },
    { color: 'red', size: '', note: 'd' },
    { color: 'green', size: 'nan', note: 'e' },
  ],
};

async function trainAndLoad(raw: Record<string, unknown>, data: Table = table) {
  const ctx = createTestTrainContext({ train: data }, hp(raw));
  const result = await algorithm.train(ctx);
  const predictor = await algorithm.load(createTestLoadContext(ctx.model, result.inputSchema));
  return { ctx, result, predictor };
}

const predict = async (
  predictor: Awaited<ReturnType<typeof algorithm.load>>,
  columns: string[],
  records: InputRecord[],
  customAttributes: Record<string, string> = {},
) => invokeInProcess({ algorithm, predictor }, { columns, records }, { attributes: customAttributes });

describe('baseline: statistics', () => {
  it('fitColumn: numeric mean/median, categorical mode with its probability, ties to the first seen', () => {
    assert.deepEqual(fitColumn(['1', '2', '3', '10'], 'mean'), { kind: 'numeric', value: 4, mean: 4, median: 2.5, count: 4 });
    assert.equal(fitColumn(['1', '2', '3', '10'], 'median').value, 2.5);
    assert.deepEqual(fitColumn(['a', 'b', 'b', 'c'], 'mean'), { kind: 'categorical', value: 'b', probability: 0.5, count: 4 });
    assert.equal(fitColumn(['y', 'x', 'x', 'y'], 'mean').value, 'y');
    assert.equal(fitColumn(['1', 'two'], 'mean').kind, 'categorical', 'one non-number makes the column categorical');
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(parseNumber(' -1.5e3 '), -1500);
    assert.equal(parseNumber('0x10'), undefined);
    assert.equal(parseNumber('Infinity'), undefined);
  });
});

describe('baseline: training', () => {
  it('categorical label: mode and probability; missing tokens ignored', async () => {
    const { ctx, result, predictor } = await trainAndLoad({ label_column: 'color' });
    const model = await ctx.model.readJson<{ targets: Array<{ column: string; fill: { value: string; probability: number } }> }>('baseline.json');
    assert.equal(model.targets.length, 1);
    assert.equal(model.targets[0]!.fill.value, 'red');
    assert.equal(model.targets[0]!.fill.probability, 3 / 5, 'NA is not counted as a value');
    assert.deepEqual(result.inputSchema.requiredColumns, ['size', 'note']);
    assert.deepEqual(result.metrics, { rows: 6, columns_imputed: 1 });
    assert.deepEqual(ctx.metrics.lines, [{ name: 'train:color:known_fraction', value: 5 / 6 }]);
    const out = await predict(
      predictor,
      ['color', 'size', 'note'],
      [
        { color: null, size: '1', note: 'x' },
        { color: 'blue', size: '1', note: 'y' },
      ],
    );
    assert.deepEqual(out.columns, ['color', 'size', 'note', 'color_imputed', 'color_imputed_proba']);
    assert.deepEqual(out.records, [
      { color: null, size: '1', note: 'x', color_imputed: 'red', color_imputed_proba: 0.6 },
      { color: 'blue', size: '1', note: 'y', color_imputed: null, color_imputed_proba: null },
    ]);
  });

  it('numeric label: mean by default, median on request; no probability', async () => {
    const mean = await trainAndLoad({ label_column: 'size' });
    const rows = [{ color: 'red', note: 'n', size: '' }];
    const a = await predict(mean.predictor, ['color', 'note', 'size'], rows);
    assert.equal(a.records[0]!.size_imputed, 4);
    assert.equal(a.records[0]!.size_imputed_proba, null);
    const med = await trainAndLoad({ label_column: 'size', numeric_strategy: 'median' });
    const b = await predict(med.predictor, ['color', 'note', 'size'], rows);
    assert.equal(b.records[0]!.size_imputed, 2.5);
    assert.equal(mean.result.inputSchema.columns.find((c) => c.name === 'size')?.type, 'numeric');
  });

  it('complete mode (no label_column): every column with known values is modelled', async () => {
    const { result, predictor } = await trainAndLoad({});
    assert.deepEqual(result.inputSchema.requiredColumns, ['color', 'size', 'note']);
    assert.equal(result.metrics?.columns_imputed, 3);
    const out = await predict(predictor, ['color', 'size', 'note'], [{ color: '', size: 'NaN', note: 'None' }]);
    assert.deepEqual(out.records[0], {
      color: '',
      size: 'NaN',
      note: 'None',
      color_imputed: 'red',
      color_imputed_proba: 0.6,
      size_imputed: 4,
      size_imputed_proba: null,
      note_imputed: 'a',
      note_imputed_proba: 0.2,
    });
  });

  it('complete mode models only the columns with gaps', async () => {
    const data: Table = {
      columns: ['full', 'gappy'],
      records: [
        { full: 'x', gappy: 'p' },
        { full: 'y', gappy: '' },
        { full: 'y', gappy: 'p' },
      ],
    };
    const { result, predictor } = await trainAndLoad({}, data);
    assert.equal(result.metrics?.columns_imputed, 1);
    const out = await predict(predictor, ['full', 'gappy'], [{ full: '', gappy: '' }]);
    assert.deepEqual(out.columns, ['full', 'gappy', 'gappy_imputed', 'gappy_imputed_proba']);
    assert.equal(out.records[0]!.gappy_imputed, 'p');
  });

  it('complete mode skips a column with no known values (with a warning)', async () => {
    const data: Table = {
      columns: ['a', 'b', 'c'],
      records: [
        { a: 'x', b: '', c: '' },
        { a: '', b: 'NA', c: 'k' },
      ],
    };
    const { ctx, result } = await trainAndLoad({}, data);
    assert.equal(result.metrics?.columns_imputed, 2, 'a and c');
    assert.ok(ctx.logger.entries.some((e) => e.level === 'warn' && e.fields?.column === 'b'));
  });

  it('complete mode on a table without gaps gives every column a fill value (with a warning)', async () => {
    const data: Table = {
      columns: ['a', 'b'],
      records: [
        { a: 'x', b: '1' },
        { a: 'x', b: '3' },
      ],
    };
    const { ctx, result } = await trainAndLoad({}, data);
    assert.equal(result.metrics?.columns_imputed, 2);
    assert.ok(ctx.logger.entries.some((e) => e.level === 'warn' && /no column of the training data has gaps/.test(e.message)));
  });

  it('custom missing_values replace the defaults', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'color', missing_values: '?' });
    const out = await predict(
      predictor,
      ['color', 'size', 'note'],
      [
        { color: '?', size: '1', note: '' },
        { color: 'NA', size: '1', note: '' },
      ],
    );
    assert.equal(out.records[0]!.color_imputed, 'red');
    assert.equal(out.records[1]!.color_imputed, null, 'NA is a value now');
  });

  it('a label column absent from the data is a TrainingError listing the columns', async () => {
    const ctx = createTestTrainContext({ train: table }, hp({ label_column: 'colour' }));
    await assert.rejects(algorithm.train(ctx), (e: unknown) => {
      assert.ok(e instanceof TrainingError);
      assert.match(e.message, /label_column "colour" is not a column of the training data; columns: color, size, note/);
      return true;
    });
  });

  it('unknown feature_columns are a TrainingError', async () => {
    const ctx = createTestTrainContext({ train: table }, hp({ label_column: 'color', feature_columns: 'size,weight' }));
    await assert.rejects(algorithm.train(ctx), /feature_columns "weight" not in the training data/);
  });

  it('a label with every value missing is a TrainingError', async () => {
    const data: Table = {
      columns: ['y', 'x'],
      records: [
        { y: '', x: '1' },
        { y: 'NA', x: '2' },
        { y: null, x: '3' },
      ],
    };
    const ctx = createTestTrainContext({ train: data }, hp({ label_column: 'y' }));
    await assert.rejects(algorithm.train(ctx), (e: unknown) => e instanceof TrainingError && /label_column "y" has no known values in 3 rows/.test(e.message));
  });

  it('reads the "training" channel when there is no "train" channel', async () => {
    const ctx = createTestTrainContext({ training: table }, hp({ label_column: 'color' }));
    const result = await algorithm.train(ctx);
    assert.equal(result.metrics?.rows, 6);
  });

  it('stops when the abort signal fires', async () => {
    const ctx = createTestTrainContext({ train: table }, hp({}));
    ctx.abort.abort(new Error('stop now'));
    await assert.rejects(algorithm.train(ctx), /stop now/);
  });

  it('accepts the datawig-compatible hyperparameters and aliases', () => {
    const parsed = hp({ output_column: 'color', input_columns: '["size"]', num_epochs: '10', batch_size: '16' });
    assert.equal(parsed.label_column, 'color');
    assert.deepEqual(parsed.feature_columns, ['size']);
    assert.throws(() => hp({ num_epochs: 'ten' }), /num_epochs/);
  });
});

describe('baseline: prediction', () => {
  it('present values are not overwritten unless impute_present=true', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'color' });
    const rows = [{ color: 'blue', size: '1', note: 'n' }];
    const plain = await predict(predictor, ['color', 'size', 'note'], rows);
    assert.equal(plain.records[0]!.color, 'blue');
    assert.equal(plain.records[0]!.color_imputed, null);
    const forced = await predict(predictor, ['color', 'size', 'note'], rows, { impute_present: 'true' });
    assert.equal(forced.records[0]!.color, 'blue', 'the input value itself is kept');
    assert.equal(forced.records[0]!.color_imputed, 'red');
    assert.equal(forced.records[0]!.color_imputed_proba, 0.6);
    const off = await predict(predictor, ['color', 'size', 'note'], rows, { impute_present: 'false' });
    assert.equal(off.records[0]!.color_imputed, null);
  });

  it('a bad impute_present value is a 400', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'color' });
    await assert.rejects(
      predict(predictor, ['color', 'size', 'note'], [{ color: 'x', size: '1', note: '' }], { impute_present: 'perhaps' }),
      (e: unknown) => e instanceof RequestError && e.status === 400 && /custom attribute "impute_present" = "perhaps": expected a boolean/.test(e.message),
    );
  });

  it('a missing required column is a RequestError 400 naming it', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'color' });
    await assert.rejects(
      predict(predictor, ['color', 'size'], [{ color: 'x', size: '1' }]),
      (e: unknown) => e instanceof RequestError && e.status === 400 && /lacks a column the model needs: "note"/.test(e.message),
    );
  });

  it('the label column itself may be absent from a request', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'color', feature_columns: 'size' });
    const out = await predict(predictor, ['size'], [{ size: '3' }]);
    assert.deepEqual(out.columns, ['size', 'color_imputed', 'color_imputed_proba']);
    assert.equal(out.records[0]!.color_imputed, 'red');
  });

  it('returns one record per input record, in order, for a large batch', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'color' });
    const records = Array.from({ length: 5000 }, (_, i) => ({ color: i % 2 ? 'blue' : '', size: String(i), note: '' }));
    const out = await predict(predictor, ['color', 'size', 'note'], records);
    assert.equal(out.records.length, 5000);
    out.records.forEach((r, i) => {
      assert.equal(r.size, String(i));
      assert.equal(r.color_imputed, i % 2 ? null : 'red');
    });
  });

  it('a numeric cell that is NaN/Infinity counts as missing', async () => {
    const { predictor } = await trainAndLoad({ label_column: 'size' });
    const out = await predict(
      predictor,
      ['color', 'note', 'size'],
      [
        { color: 'r', note: '', size: Number.NaN },
        { color: 'r', note: '', size: 7 },
      ],
    );
    assert.equal(out.records[0]!.size_imputed, 4);
    assert.equal(out.records[1]!.size_imputed, null);
  });
});

describe('baseline.json is checked when loaded', () => {
  const load = async (content: string) => {
    const ctx = createTestTrainContext({ train: table }, hp({}));
    const result = await algorithm.train(ctx);
    await ctx.model.writeFile('baseline.json', content);
    return algorithm.load(createTestLoadContext(ctx.model, result.inputSchema));
  };
  const good = { targets: [{ column: 'color', fill: { kind: 'categorical', value: 'red', probability: 0.6, count: 5 } }], missingValues: ['', 'NA'] };
  const cases: [unknown, RegExp][] = [
    [[], /baseline\.json: "\(root\)" is an array of 0, expected an object/],
    [{ ...good, targets: undefined }, /baseline\.json: "targets" is missing, expected an array/],
    [{ ...good, missingValues: [1] }, /baseline\.json: "missingValues\[0\]" is the number 1, expected a string/],
    [
      { ...good, targets: [{ column: 'c', fill: { ...good.targets[0]!.fill, probability: -0.1 } }] },
      /"targets\[0\]\.fill\.probability" is -0\.1, expected a probability from 0 to 1/,
    ],
    [
      { ...good, targets: [{ column: 'c', fill: { kind: 'numeric', value: 1, mean: 1, median: null, count: 2 } }] },
      /"targets\[0\]\.fill\.median" is null, expected a finite number/,
    ],
    [
      { ...good, targets: [{ column: 'c', fill: { kind: 'weird', count: 2 } }] },
      /"targets\[0\]\.fill\.kind" is a string of 5 characters, expected "numeric" or "categorical"/,
    ],
    [{ ...good, targets: [good.targets[0], good.targets[0]] }, /"targets\[1\]\.column" names a column imputed twice/],
    [
      { ...good, targets: [{ column: 'c', fill: { ...good.targets[0]!.fill, count: 0 } }] },
      /"targets\[0\]\.fill\.count" is the number 0, expected a positive integer/,
    ],
  ];
  it('refuses bad shapes, types and values, naming the file and field, never the text', async () => {
    await load(JSON.stringify(good));
    for (const [model, message] of cases) await assert.rejects(load(JSON.stringify(model)), message);
    await assert.rejects(load('secret-token-123'), (e: Error) => {
      assert.match(e.message, /^baseline\.json: cannot be loaded: artifact "baseline\.json" is not valid JSON \(at position 0 of 16\)$/);
      return true;
    });
  });
});
