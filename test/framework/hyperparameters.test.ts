import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LISTED_PROBLEMS, describeParameter, parseHyperparameters } from '../../framework/parameters/parse.js';
import { TrainingError } from '../../framework/contract/errors.js';
import { MAX_FAILURE_CHARS, formatFailure } from '../../framework/training/runner.js';
import type { HyperparameterSchema } from '../../framework/contract/parameters.js';

const schema = {
  num_epochs: { type: 'integer', description: 'epochs', min: 1, max: 10000, default: 100 },
  learning_rate: { type: 'number', description: 'lr', min: 0, max: 1, default: 0.001 },
  shuffle: { type: 'boolean', description: 'shuffle', default: true },
  optimizer: { type: 'enum', description: 'opt', values: ['adam', 'sgd', 'RMSProp'], default: 'adam' },
  label_column: { type: 'string', description: 'label', required: true, aliases: ['output_column'] },
  feature_columns: { type: 'list', items: 'string', description: 'features', aliases: ['input_columns', 'features'] },
  layers: { type: 'list', items: 'integer', description: 'layer sizes', min: 1, max: 512, minItems: 1, maxItems: 3, default: [64] },
  note: { type: 'string', description: 'optional' },
} as const satisfies HyperparameterSchema;

const base = { label_column: 'y' };

/** Runs the parser expecting a TrainingError and returns its message lines. */
function problems(raw: Record<string, unknown>, s: HyperparameterSchema = schema): string[] {
  try {
    parseHyperparameters(s, raw);
  } catch (error) {
    assert.ok(error instanceof TrainingError, String(error));
    return error.message.split('\n');
  }
  assert.fail('expected a TrainingError');
}

describe('parseHyperparameters', () => {
  it('applies defaults and omits optional keys without default', () => {
    const result = parseHyperparameters(schema, base);
    assert.deepEqual(result, { num_epochs: 100, learning_rate: 0.001, shuffle: true, optimizer: 'adam', label_column: 'y', layers: [64] });
    assert.ok(!('note' in result));
    // defaults are copied, so a caller mutating its list cannot change the schema
    (result['layers'] as number[]).push(1);
    assert.deepEqual(schema.layers.default, [64]);
  });

  it('parses SageMaker string values into their declared types', () => {
    const result = parseHyperparameters(schema, {
      ...base,
      num_epochs: ' 20 ',
      learning_rate: '1e-3',
      shuffle: 'No',
      optimizer: 'SGD',
      feature_columns: ' a, b ,c',
      layers: '[32, 16]',
      note: '"quoted by the Python SDK"',
    });
    assert.deepEqual(result, {
      num_epochs: 20,
      learning_rate: 0.001,
      shuffle: false,
      optimizer: 'sgd',
      label_column: 'y',
      feature_columns: ['a', 'b', 'c'],
      layers: [32, 16],
      note: 'quoted by the Python SDK',
    });
  });

  it('accepts already-typed JSON values', () => {
    const result = parseHyperparameters(schema, { ...base, num_epochs: 5, learning_rate: 0.5, shuffle: false, feature_columns: ['x', 'y'], layers: [8] });
    assert.equal(result['num_epochs'], 5);
    assert.equal(result['shuffle'], false);
    assert.deepEqual(result['feature_columns'], ['x', 'y']);
    assert.deepEqual(result['layers'], [8]);
  });

  it('accepts every boolean spelling, case-insensitively', () => {
    for (const [text, value] of [
      ['TRUE', true],
      ['false', false],
      ['1', true],
      ['0', false],
      ['yes', true],
      ['No', false],
    ] as const) {
      assert.equal(parseHyperparameters(schema, { ...base, shuffle: text })['shuffle'], value, text);
    }
    assert.match(problems({ ...base, shuffle: 'maybe' })[0]!, /hyperparameter "shuffle" = "maybe": expected a boolean/);
  });

  it('rejects bad numbers and integers with the key, value and expectation', () => {
    assert.deepEqual(problems({ ...base, num_epochs: 'ten' }), ['hyperparameter "num_epochs" = "ten": expected an integer between 1 and 10000']);
    for (const bad of ['', '  ', 'NaN', 'Infinity', '-Infinity', '1e999', '2.5', '0x10', '0', '10001']) {
      const lines = problems({ ...base, num_epochs: bad });
      assert.equal(lines.length, 1, bad);
      assert.ok(lines[0]!.startsWith(`hyperparameter "num_epochs" = ${JSON.stringify(bad)}: expected an integer between 1 and 10000`), lines[0]);
    }
    assert.match(problems({ ...base, learning_rate: '1.5' })[0]!, /"learning_rate" = "1.5": expected a number between 0 and 1/);
    assert.match(problems({ ...base, learning_rate: true })[0]!, /"learning_rate" = true: expected a number/);
    // inclusive bounds
    assert.equal(parseHyperparameters(schema, { ...base, num_epochs: '10000', learning_rate: '0' })['num_epochs'], 10000);
    assert.equal(parseHyperparameters(schema, { ...base, num_epochs: '1.0' })['num_epochs'], 1);
  });

  it('matches enums exactly or case-insensitively to the canonical value', () => {
    assert.equal(parseHyperparameters(schema, { ...base, optimizer: 'rmsprop' })['optimizer'], 'RMSProp');
    assert.equal(parseHyperparameters(schema, { ...base, optimizer: 'RMSProp' })['optimizer'], 'RMSProp');
    assert.deepEqual(problems({ ...base, optimizer: 'adagrad' }), ['hyperparameter "optimizer" = "adagrad": expected one of "adam", "sgd", "RMSProp"']);
  });

  it('validates lists: both syntaxes, empty items, item types, bounds and counts', () => {
    assert.deepEqual(parseHyperparameters(schema, { ...base, layers: '4,8' })['layers'], [4, 8]);
    assert.deepEqual(parseHyperparameters(schema, { ...base, feature_columns: '["a b", "c,d"]' })['feature_columns'], ['a b', 'c,d']);
    assert.match(problems({ ...base, feature_columns: 'a,,b' })[0]!, /"feature_columns" = "a,,b": expected a list of strings .*\(item 2 is empty\)/);
    assert.match(problems({ ...base, layers: '4,x' })[0]!, /item 2 "x" is not an integer between 1 and 512/);
    assert.match(problems({ ...base, layers: '[4, 1000]' })[0]!, /item 2 1000 is not an integer between 1 and 512/);
    assert.match(problems({ ...base, layers: '1,2,3,4' })[0]!, /with 1 to 3 items.*\(got 4 items\)/);
    assert.match(problems({ ...base, layers: '' })[0]!, /got 0 items/);
    assert.match(problems({ ...base, layers: '[1, 2' })[0]!, /not a valid JSON array/);
    assert.match(problems({ ...base, feature_columns: '[1, {"a": 2}]' })[0]!, /item 2 \{"a":2\} is not a string/);
  });

  it('resolves aliases to the canonical key', () => {
    const result = parseHyperparameters(schema, { output_column: 'label', input_columns: 'a,b' });
    assert.equal(result['label_column'], 'label');
    assert.deepEqual(result['feature_columns'], ['a', 'b']);
    assert.ok(!('input_columns' in result));
    assert.match(problems({ ...base, features: 'a,,b' })[0]!, /hyperparameter "features" \(alias of "feature_columns"\)/);
  });

  it('rejects a key given both canonically and by alias, or by two aliases', () => {
    assert.deepEqual(problems({ label_column: 'a', output_column: 'b' }), [
      'hyperparameters "label_column" and "output_column" are the same setting ("label_column"); give only one',
    ]);
    assert.match(
      problems({ ...base, input_columns: 'a', features: 'b' })[0]!,
      /"input_columns" and "features" are the same setting \("feature_columns" via aliases\)/,
    );
  });

  it('reports a missing required key, mentioning its aliases', () => {
    assert.deepEqual(problems({}), ['hyperparameter "label_column" is required but was not given: expected a string (also accepted as "output_column")']);
  });

  it('rejects unknown keys, listing known keys and suggesting a close name', () => {
    const [line] = problems({ ...base, num_epoch: '10' });
    assert.match(line!, /^unknown hyperparameter "num_epoch" = "10"; did you mean "num_epochs"\?/);
    assert.ok(line!.includes('known hyperparameters: num_epochs, learning_rate, shuffle, optimizer, label_column, feature_columns, layers, note'));
    const [far] = problems({ ...base, completely_different: 'x' });
    assert.ok(!far!.includes('did you mean'), far);
    assert.match(problems({ ...base, Input_Colums: 'a' })[0]!, /did you mean "input_columns"/);
  });

  it('ignores reserved SageMaker keys and caller-reserved keys', () => {
    const raw = { ...base, sagemaker_program: 'x', sagemaker_region: 'us-east-1', _tuning_objective_metric: 'validation:accuracy', extra: '1' };
    assert.match(problems(raw)[0]!, /unknown hyperparameter "extra"/);
    const result = parseHyperparameters(schema, raw, { reservedKeys: (key) => key === 'extra' });
    assert.deepEqual(Object.keys(result).sort(), ['label_column', 'layers', 'learning_rate', 'num_epochs', 'optimizer', 'shuffle']);
  });

  it('collects every problem into one error, one per line, truncating long values', () => {
    const long = 'x'.repeat(500);
    const lines = problems({ num_epochs: '0', shuffle: 'perhaps', optimizer: long, bogus: 1, constructor: 'y' });
    assert.equal(lines.length, 6, lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('unknown hyperparameter "bogus" = 1')));
    assert.ok(lines.some((l) => l.startsWith('unknown hyperparameter "constructor"')));
    assert.ok(lines.some((l) => l.startsWith('hyperparameter "label_column" is required')));
    const enumLine = lines.find((l) => l.startsWith('hyperparameter "optimizer"'))!;
    assert.ok(enumLine.includes(JSON.stringify('x'.repeat(100) + '…')));
    assert.ok(!enumLine.includes('x'.repeat(101)));
  });

  it('100,000 unknown keys: fails fast, lists the first 20 and counts the rest', () => {
    const raw: Record<string, unknown> = { ...base };
    for (let i = 0; i < 100_000; i++) raw[`unknown_key_${i}`] = String(i);
    const started = performance.now();
    const lines = problems(raw);
    const ms = performance.now() - started;
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
    assert.equal(lines.length, MAX_LISTED_PROBLEMS + 1, lines.slice(0, 3).join('\n'));
    assert.match(lines[0]!, /^unknown hyperparameter "unknown_key_0" = "0"/);
    assert.equal(lines.at(-1), 'and 99980 more problems with the hyperparameters');
    assert.ok(lines.join('\n').length < 20 * 1024, 'a short message');
  });

  it('counts the problems beyond the first 20 whatever their kind', () => {
    const many = { type: 'integer', description: 'n', min: 0, max: 1 } as const;
    const s: HyperparameterSchema = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`p${i}`, many]));
    const lines = problems(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`p${i}`, '7'])), s);
    assert.equal(lines.length, 21);
    assert.equal(lines[20], 'and 5 more problems with the hyperparameters');
    assert.equal(
      problems({ ...Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, '7'])) }, s).at(-1),
      'and 1 more problem with the hyperparameters',
    );
  });
});

describe('describeParameter', () => {
  it('summarises type, bounds, default, required and aliases', () => {
    assert.equal(describeParameter(schema.num_epochs), 'integer, 1..10000, default 100');
    assert.equal(describeParameter({ type: 'number', description: '', min: 0 }), 'number, >= 0');
    assert.equal(describeParameter(schema.shuffle), 'boolean, default true');
    assert.equal(describeParameter(schema.optimizer), 'enum (adam | sgd | RMSProp), default adam');
    assert.equal(describeParameter(schema.label_column), 'string, required, aliases: output_column');
    assert.equal(describeParameter(schema.layers), 'list of integers, each 1..512, 1..3 items, default [64]');
  });
});

describe('formatFailure', () => {
  it('caps the failure text, the reason first, and says how much was cut', () => {
    const reason = 'the first line says what went wrong';
    const text = formatFailure(new TrainingError(`${reason}\n${'detail line\n'.repeat(100_000)}`));
    assert.ok(text.length <= MAX_FAILURE_CHARS, `${text.length} characters`);
    assert.ok(text.startsWith(`${reason}\n`));
    assert.match(text, /… \(\d+ more characters not shown\)\n$/);
    const short = formatFailure(new TrainingError(reason));
    assert.equal(short, `${reason}\n`);
    const unexpected = formatFailure(new Error('x'.repeat(200_000)), 1000);
    assert.ok(unexpected.length <= 1000 && unexpected.startsWith('xxx'));
  });
});
