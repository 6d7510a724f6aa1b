/** The framework's presenters: columns and fill, from predictions to output records. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PredictionBatch, PresentContext } from '../../framework/contract/prediction.js';
import { outputRecords, type InputRecord, type RecordBatch } from '../../framework/contract/records.js';
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
    assert.deepEqual(outputRecords(out), [
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
    assert.equal(outputRecords(out)[0]!.colour_imputed, 'new');
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
    assert.deepEqual(outputRecords(out), [
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
    assert.ok(Object.hasOwn(outputRecords(out)[0]!, '__proto__'));
    assert.equal(Object.getPrototypeOf(outputRecords(out)[0]!), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(outputRecords(out)[0]!, '__proto__')!.value, 'x');
  });
});

describe("presenters on rows (CSV bodies carry every cell in rows, records only the model's columns)", () => {
  const cases: { name: string; input: RecordBatch<InputRecord>; targets: string[]; predictions: PredictionBatch }[] = [
    { name: 'the shared example', input: context().input, targets: [...context().targets], predictions: context().predictions },
    {
      name: 'an input column named like an output column',
      input: { columns: ['colour', 'colour_imputed', 'x'], records: [{ colour: '', colour_imputed: 'old', x: '7' }] },
      targets: ['colour'],
      predictions: { records: [{ targets: [{ column: 'colour', status: 'imputed', value: 'new', probability: 1 }] }] },
    },
    {
      name: 'a target the request does not carry, and a withheld one',
      input: { columns: ['a'], records: [{ a: '1' }, { a: '' }] },
      targets: ['a', 'b'],
      predictions: {
        records: [
          { targets: [{ column: 'b', status: 'imputed', value: 'B', probability: 0.5 }] },
          { targets: [{ column: 'a', status: 'withheld', value: '9', probability: 0.1 }] },
        ],
      },
    },
  ];
  for (const presenter of [columnsPresenter, fillPresenter]) {
    for (const c of cases) {
      it(`${presenter.name}: ${c.name} — the same output from rows as from full records`, () => {
        const fromRecords = presenter.present(context({ input: c.input, targets: c.targets, predictions: c.predictions }));
        const rows = c.input.records.map((r) => c.input.columns.map((name) => r[name] ?? null));
        // Records narrowed to one column, as the CSV decoder does for a model trained on fewer columns.
        const narrowed = c.input.records.map((r) => ({ [c.input.columns[0]!]: r[c.input.columns[0]!] ?? null }));
        const fromRows = presenter.present(
          context({ input: { columns: c.input.columns, records: narrowed, rows }, targets: c.targets, predictions: c.predictions }),
        );
        assert.ok('rows' in fromRows, 'rows in, rows out');
        assert.deepEqual(fromRows.columns, fromRecords.columns);
        assert.deepEqual(outputRecords(fromRows), outputRecords(fromRecords));
      });
    }
  }
});
