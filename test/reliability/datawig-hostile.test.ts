/**
 * The datawig predictor under hostile requests (in-process, fast-check): random cells (NaN,
 * ±Infinity, -0, huge strings, NUL, unicode, "__proto__", numbers where text is expected, null),
 * missing/extra columns and random custom attributes. Property: one output record per input record,
 * or a RequestError with a 4xx status; and tf.memory().numTensors is the same before and after.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestLoadContext, createTestTrainContext } from '../../framework/testing.js';
import { invokeInProcess, type InProcessRequest } from '../../framework/testing.js';
import { RequestError, type Cell, type InputRecord, type Predictor, type RecordBatch } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { loadTf, type Tf } from '../../algorithms/datawig/fit/tf-backend.js';
import { hp, textTable } from '../datawig/helpers.js';

const alg = new DatawigAlgorithm();
const invoke = (predictor: Predictor, batch: RecordBatch<InputRecord>, request: InProcessRequest = {}) =>
  invokeInProcess({ algorithm: alg, predictor }, batch, request);
let predictor: Predictor;
let tf: Tf;

before(async () => {
  const ctx = createTestTrainContext(
    { train: textTable(240, 7, 0.05) },
    hp({ label_column: 'label', feature_columns: ['text', 'color', 'size'], num_epochs: 3 }),
  );
  const result = await alg.train(ctx);
  predictor = await alg.load(createTestLoadContext(ctx.model, result.inputSchema));
  ({ tf } = await loadTf());
});

const cell: fc.Arbitrary<Cell> = fc.oneof(
  fc.constantFrom<Cell>(null, '', ' ', 'NA', 'goal striker', 'red', '1e999', '-0', 'NaN', '\0', '__proto__', '😀 漢字', 'x'.repeat(20_000)),
  fc.constantFrom<Cell>(NaN, Infinity, -Infinity, -0, 0, 1e308, -1e-308, true, false),
  fc.string({ maxLength: 30 }),
  fc.double(),
);
const columns = ['text', 'color', 'size', 'label'];
const record: fc.Arbitrary<InputRecord> = fc
  .tuple(
    fc.subarray(columns, { minLength: 0 }),
    fc.array(cell, { minLength: 4, maxLength: 4 }),
    fc.option(fc.constantFrom('extra', '__proto__', 'constructor')),
  )
  .map(([present, cells, extra]) => {
    const r: InputRecord = {};
    present.forEach((c, i) => Object.defineProperty(r, c, { value: cells[i] ?? null, enumerable: true, writable: true, configurable: true }));
    if (extra) Object.defineProperty(r, extra, { value: 'e', enumerable: true, writable: true, configurable: true });
    return r;
  });
const attributes = fc.dictionary(
  fc.constantFrom('precision_threshold', 'top_k', 'explain', 'impute_present', 'label_shift', 'unknown', '__proto__'),
  fc.constantFrom('', '0', '1', '0.9', '-1', '1e999', 'NaN', 'true', 'false', 'maybe', '3', '1000000', '../../etc/passwd'),
  { maxKeys: 4 },
);

describe('datawig predictor: hostile requests', () => {
  it('random records, columns and custom attributes: a full answer or a 4xx, tensors unchanged', async () => {
    const tensorsBefore = tf.memory().numTensors;
    let answered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 8 }),
        attributes,
        fc.constantFrom('text/csv', 'application/json'),
        async (records, customAttributes, accept) => {
          const batchColumns = [...new Set(records.flatMap((r) => Object.keys(r)))];
          const options = { accept, attributes: customAttributes };
          try {
            const out = await invoke(predictor, { columns: batchColumns, records }, options);
            assert.equal(out.records.length, records.length);
            assert.ok(Array.isArray(out.columns));
            answered += 1;
          } catch (error) {
            if (!(error instanceof RequestError)) throw error;
            assert.ok(error.status >= 400 && error.status < 500, `status ${error.status}: ${error.message}`);
            assert.ok(error.message.length > 0);
            refused += 1;
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(answered > 0 && refused > 0, `answered ${answered}, refused ${refused}`);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensor count before and after');
  });
});
