/** What `byoc impute` reports per column, from the predictions of each chunk. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImputationTally } from '../../framework/batch/imputation-tally.js';
import type { InputBatch, PredictionBatch, TargetPrediction } from '../../framework/index.js';

const batch = (records: Record<string, string>[]): InputBatch => ({ columns: ['a', 'b', 'c'], records });
const answer = (...targets: TargetPrediction[][]): PredictionBatch => ({ records: targets.map((t) => ({ targets: t })) });

describe('ImputationTally', () => {
  it('counts imputed, withheld (below the precision threshold) and unanswered cells of the targets, and the gaps of other columns', () => {
    const tally = new ImputationTally(['b', 'a']);
    tally.add(
      batch([
        { a: '', b: '', c: '' },
        { a: '1', b: '', c: ' ' },
      ]),
      answer(
        [
          { column: 'a', status: 'imputed', value: 2 },
          { column: 'b', status: 'withheld', value: 'x', probability: 0.4 },
        ],
        [{ column: 'a', status: 'present', value: 1 }],
      ),
    );
    tally.add(batch([{ a: '', b: 'y', c: 'z' }]), answer([{ column: 'a', status: 'imputed', value: 3 }]));
    assert.deepEqual(tally.lines(), [
      'b: 0 imputed, 1 left empty: below precision_threshold, 1 left empty: the model gave no value',
      'a: 2 imputed',
      'c: 2 empty cells left empty: the model does not impute this column',
    ]);
  });
});
