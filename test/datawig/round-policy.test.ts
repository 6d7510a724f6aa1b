import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MissingValues, type InputRecord } from '../../framework/contract/index.js';
import type { Fitted } from '../../algorithms/datawig/fit/fit-target.js';
import { competitiveFamilies, meanLossRatio } from '../../algorithms/datawig/fit/round-policy.js';
import { validationCells, validationRows, withoutValidationCells } from '../../algorithms/datawig/fit/held-out-cells.js';
import type { FamilyCandidate, FamilyMember, TargetArtifact } from '../../algorithms/datawig/format/target-artifact.js';

/** A fitted target with only what the round policy reads. */
function fitted(valLoss: number, candidates: FamilyCandidate[] = [], members: FamilyMember[] = []): Fitted {
  return { valLoss, weights: new Map(), artifact: { candidates, members } as unknown as TargetArtifact };
}

describe('complete mode round policy', () => {
  it('keeps the members and the families within 1.5x of the best loss for the next round', () => {
    const f = fitted(0.01, [
      { family: 'constant', loss: 0.9 },
      { family: 'trees', loss: 0.04 },
      { family: 'linear', loss: 0.01 },
      { family: 'ensemble', loss: 0.009 },
    ]);
    assert.deepEqual(competitiveFamilies(f), ['linear']);
    const mixed = fitted(
      0.02,
      [
        { family: 'trees', loss: 0.021 },
        { family: 'linear', loss: 0.03 },
        { family: 'network', loss: null },
      ],
      [
        { family: 'trees', weight: 0.8, temperature: 1 },
        { family: 'constant', weight: 0.2, temperature: 1 },
      ],
    );
    assert.deepEqual(competitiveFamilies(mixed)?.sort(), ['constant', 'linear', 'trees']);
    assert.equal(competitiveFamilies(fitted(1, [{ family: 'trees', loss: null }])), undefined);
  });

  it("compares rounds by the geometric mean of the columns' loss ratios, skipping losses that say nothing", () => {
    const before = [fitted(0.1), fitted(0.2), fitted(0), fitted(0.3)];
    const now = [fitted(0.2), fitted(0.1), fitted(0.5), fitted(NaN)];
    assert.ok(Math.abs(meanLossRatio(before, now) - 1) < 1e-12, 'x2 and x0.5 cancel out');
    assert.ok(Math.abs(meanLossRatio([fitted(1), fitted(1)], [fitted(0.25), fitted(1)]) - 0.5) < 1e-12);
    assert.equal(meanLossRatio([fitted(0)], [fitted(1)]), 0);
  });
});

describe('complete mode validation cells', () => {
  const missing = new MissingValues(['']);
  const records: InputRecord[] = Array.from({ length: 40 }, (_, i) => ({ a: i % 5 === 0 ? '' : String(i), b: String(i * 2), few: i < 5 ? 'x' : '' }));

  it("holds out a seeded share of each column's known cells, none of a column with fewer than 10", () => {
    const cells = validationCells(records, ['a', 'b', 'few'], 0.25, 7, missing);
    assert.deepEqual(validationCells(records, ['a', 'b', 'few'], 0.25, 7, missing), cells, 'same seed, same cells');
    assert.equal(cells.has('few'), false);
    const a = cells.get('a')!;
    assert.equal(a.rows.length, 8); // 32 known cells
    assert.deepEqual(
      [...a.rows].sort((x, y) => x - y),
      a.rows,
    );
    for (const [k, j] of a.rows.entries()) {
      assert.equal(a.values[k], records[j]!.a);
      assert.equal(a.blindRaw[k]!.a, null, 'the blind row lacks the cell');
      assert.equal(a.blindRaw[k]!.b, records[j]!.b, 'and keeps the others');
    }
    assert.notDeepEqual(cells.get('b')!.rows, a.rows, 'columns draw their own cells');
  });

  it('the training rows lack the validation cells; the validation rows carry them as labels', () => {
    const a = validationCells(records, ['a'], 0.25, 7, missing).get('a')!;
    const train = withoutValidationCells(records, 'a', a);
    assert.equal(train.length, records.length);
    train.forEach((r, j) => assert.equal(r.a, a.rows.includes(j) ? null : records[j]!.a));
    assert.equal(records[a.rows[0]!]!.a, a.values[0], 'the input rows are not changed');
    const val = validationRows(a.blindRaw, 'a', a);
    assert.deepEqual(
      val.map((r) => r.a),
      a.values,
    );
  });
});
