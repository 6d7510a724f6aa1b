/** The framework's presenters: columns and fill, from predictions to output records. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PredictionBatch, PresentContext } from '../../framework/contract/prediction.js';
import type { InputRecord, RecordBatch } from '../../framework/contract/records.js';
import { columnsPresenter, fillPresenter } from '../../framework/invocation/presenters.js';
import { RecordingLogger } from '../../framework/testing.js';

const input: RecordBatch<InputRecord> = {
  columns: ['id', 'colour', 'size'],
  records: [
    { id: '1', colour: '', size: '' },
    { id: '2', colour: 'red', size: '' },
    { id: '3', colour: '', size: '4' },
  ],
};

const predictions: PredictionBatch = {
  records: [
    {
      targets: [
        { column: 'colour', status: 'imputed', value: 'blue', probability: 0.87654 },
        { column: 'size', status: 'imputed', value: 3.5 },
      ],
    },
    {
      targets: [
        { column: 'colour', status: 'present', value: 'red', probability: 0.9 },
        { column: 'size', status: 'imputed', value: 2 },
      ],
    },
    // colour below the precision threshold: withheld, its probability still shown; size not predicted at all
    { targets: [{ column: 'colour', status: 'withheld', value: 'green', probability: 0.4 }] },
  ],
};

const context = (overrides: Partial<PresentContext> = {}): PresentContext => ({
  input,
  predictions,
  targets: ['colour', 'size'],
  attributes: {},
  structure: 'table',
  logger: new RecordingLogger(),
  ...overrides,
});

describe('columns presenter', () => {
  it('appends value and probability per target; present and withheld values stay empty', () => {
    const out = columnsPresenter.present(context());
    assert.deepEqual(out.columns, ['id', 'colour', 'size', 'colour_imputed', 'colour_imputed_proba', 'size_imputed', 'size_imputed_proba']);
    assert.deepEqual(out.records, [
      { id: '1', colour: '', size: '', colour_imputed: 'blue', colour_imputed_proba: 0.8765, size_imputed: 3.5, size_imputed_proba: null },
      { id: '2', colour: 'red', size: '', colour_imputed: null, colour_imputed_proba: null, size_imputed: 2, size_imputed_proba: null },
      { id: '3', colour: '', size: '4', colour_imputed: null, colour_imputed_proba: 0.4, size_imputed: null, size_imputed_proba: null },
    ]);
  });

  it('an input column that already has an output name is not listed twice', () => {
    const withOld: RecordBatch<InputRecord> = { columns: ['colour', 'colour_imputed'], records: [{ colour: '', colour_imputed: 'old' }] };
    const out = columnsPresenter.present(
      context({
        input: withOld,
        targets: ['colour'],
        predictions: { records: [{ targets: [{ column: 'colour', status: 'imputed', value: 'new', probability: 1 }] }] },
      }),
    );
    assert.deepEqual(out.columns, ['colour', 'colour_imputed', 'colour_imputed_proba']);
    assert.equal(out.records[0]!.colour_imputed, 'new');
  });

  it('an empty batch still has the output columns (a header-only file)', () => {
    const out = columnsPresenter.present(context({ input: { columns: ['id'], records: [] }, predictions: { records: [] } }));
    assert.deepEqual(out, { columns: ['id', 'colour_imputed', 'colour_imputed_proba', 'size_imputed', 'size_imputed_proba'], records: [] });
  });

  it('does not change the input records', () => {
    const before = JSON.stringify(input);
    columnsPresenter.present(context());
    assert.equal(JSON.stringify(input), before);
  });
});

describe('fill presenter', () => {
  it('writes imputed values into the cells; present and withheld cells are left as they were', () => {
    const out = fillPresenter.present(context());
    assert.deepEqual(out.columns, ['id', 'colour', 'size']);
    assert.deepEqual(out.records, [
      { id: '1', colour: 'blue', size: 3.5 },
      { id: '2', colour: 'red', size: 2 },
      { id: '3', colour: '', size: '4' },
    ]);
  });

  it('adds a target column the input lacks, so that no imputation is lost', () => {
    const out = fillPresenter.present(
      context({
        input: { columns: ['id'], records: [{ id: '1' }] },
        targets: ['colour'],
        predictions: { records: [{ targets: [{ column: 'colour', status: 'imputed', value: 'blue', probability: 1 }] }] },
      }),
    );
    assert.deepEqual(out, { columns: ['id', 'colour'], records: [{ id: '1', colour: 'blue' }] });
  });

  it('keeps a "__proto__" column a plain key', () => {
    const out = fillPresenter.present(
      context({
        input: { columns: ['__proto__'], records: [JSON.parse('{"__proto__": ""}') as InputRecord] },
        targets: ['__proto__'],
        predictions: { records: [{ targets: [{ column: '__proto__', status: 'imputed', value: 'x', probability: 1 }] }] },
      }),
    );
    assert.ok(Object.hasOwn(out.records[0]!, '__proto__'));
    assert.equal(Object.getPrototypeOf(out.records[0]!), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(out.records[0]!, '__proto__')!.value, 'x');
  });
});
