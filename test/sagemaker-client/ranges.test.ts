import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { datawigHyperparameters } from '../../algorithms/datawig/hyperparameters.js';
import type { HyperparameterSpec } from '../../framework/contract/index.js';
import { DEFAULT_DATAWIG_RANGES, parseRange } from '../../container/sagemaker-client/hyperparameters.js';

describe('default tuning ranges vs the datawig hyperparameter schema', () => {
  it('every default range names a datawig hyperparameter and stays inside its bounds / values', () => {
    const schema = datawigHyperparameters as Readonly<Record<string, HyperparameterSpec>>;
    for (const text of DEFAULT_DATAWIG_RANGES) {
      const range = parseRange(text);
      const spec = schema[range.name];
      assert.ok(spec, `${range.name} is not a datawig hyperparameter`);
      if (range.kind === 'categorical') {
        assert.equal(spec.type, 'enum', `${range.name}: categorical range over a ${spec.type}`);
        for (const v of range.values) assert.ok((spec as { values: readonly string[] }).values.includes(v), `${range.name}: ${v} not allowed`);
      } else {
        assert.ok(spec.type === 'integer' || spec.type === 'number', `${range.name}: numeric range over a ${spec.type}`);
        if (range.kind === 'integer') assert.equal(spec.type, 'integer', `${range.name}: integer range over a non-integer`);
        const { min, max } = spec as { min?: number; max?: number };
        if (min !== undefined) assert.ok(range.min >= min, `${range.name}: ${range.min} < ${min}`);
        if (max !== undefined) assert.ok(range.max <= max, `${range.name}: ${range.max} > ${max}`);
      }
    }
  });
});
