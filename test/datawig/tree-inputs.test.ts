import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { featureGains, predictRaw, validateGbdtModel } from '../../algorithms/datawig/core/gbdt-model.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import type { TreeColumn } from '../../algorithms/datawig/core/tree-features.js';
import { fitGbdt } from '../../algorithms/datawig/fit/gbdt/fit-gbdt.js';
import { MAX_TREE_NUMERIC_INPUTS, relatedness, screenTreeInputs, widenFeatures } from '../../algorithms/datawig/fit/tree-inputs.js';

/** n rows of `width` numeric columns: columns 7 and 23 drive y, the others are noise; 10 % of the cells missing. */
function wideTable(n: number, width: number, seed: number) {
  const r = rng(seed);
  const features = Array.from({ length: width }, () => Float64Array.from({ length: n }, () => (r() < 0.1 ? NaN : r() * 2 - 1)));
  const y = Float64Array.from({ length: n }, (_, i) => 2 * (features[7]![i]! || 0) - (features[23]![i]! || 0) + 0.05 * (r() - 0.5));
  const columns: TreeColumn[] = features.map((_, f) => ({ name: `x${f}`, kind: 'numeric' }));
  return { features, y, columns };
}

describe('tree input screening (wide tables)', () => {
  it('keeps every column while the numeric ones are within the limit', () => {
    const t = wideTable(200, MAX_TREE_NUMERIC_INPUTS, 1);
    assert.deepEqual(
      screenTreeInputs(t.columns, t.features, t.y, 200, undefined),
      t.columns.map((_, f) => f),
    );
  });

  it('keeps the related columns and every categorical one on a wide table, deterministically', () => {
    const t = wideTable(600, 120, 2);
    const columns: TreeColumn[] = [...t.columns, { name: 'c', kind: 'categorical', codes: new Map([['a', 0]]), unknownCode: 1 }];
    const features = [...t.features, new Float64Array(600)];
    const kept = screenTreeInputs(columns, features, t.y, 600, undefined);
    assert.equal(kept.length, MAX_TREE_NUMERIC_INPUTS + 1);
    assert.ok(kept.includes(7) && kept.includes(23) && kept.includes(120), `kept ${kept.join(',')}`);
    assert.deepEqual(
      [...kept].sort((a, b) => a - b),
      kept,
    );
    assert.deepEqual(screenTreeInputs(columns, features, t.y, 600, undefined), kept);
  });

  it('ranks inputs of a class target by the correlation ratio', () => {
    const x = Float64Array.from([0, 0.1, 0.2, 5, 5.1, 5.2, NaN]);
    const noise = Float64Array.from([0, 5, 0.1, 5.1, 0.2, 5.2, 1]);
    const y = [0, 0, 0, 1, 1, 1, 1];
    assert.ok(relatedness(x, y, 7, 2) > 0.99);
    assert.ok(relatedness(noise, y, 7, 2) < 0.1);
    assert.equal(relatedness(new Float64Array(7).fill(3), y, 7, 2), 0);
  });

  it('a model fitted on the kept columns, widened, predicts the full table as the narrow one does and passes the format check', () => {
    const t = wideTable(800, 100, 3);
    const kept = screenTreeInputs(t.columns, t.features, t.y, 800, undefined);
    const narrow = fitGbdt(
      { features: kept.map((f) => t.features[f]!), categorical: kept.map(() => false), y: t.y },
      { seed: 5, maxIter: 40, earlyStopping: false },
    );
    const wide = validateGbdtModel(
      JSON.parse(
        JSON.stringify(
          widenFeatures(
            narrow.model,
            kept,
            t.columns.map(() => false),
          ),
        ),
      ),
    );
    assert.equal(wide.nFeatures, 100);
    assert.deepEqual(
      predictRaw(wide, t.features),
      predictRaw(
        narrow.model,
        kept.map((f) => t.features[f]!),
      ),
    );
    const gains = featureGains(wide);
    assert.ok(gains[7]! > 0 && gains[23]! > 0);
    t.columns.forEach((_, f) => kept.includes(f) || assert.equal(gains[f], 0));
  });
});
