/** Ensemble weights fitted on validation predictions: convex, deterministic, never worse than the best member. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fitEnsembleWeights, mixtureLoss } from '../../algorithms/datawig/fit/ensemble-weights.js';
import { rng } from '../../algorithms/datawig/core/rng.js';

describe('fitEnsembleWeights', () => {
  it('numbers: two members with independent errors mix about half and half, beating both', () => {
    const random = rng(3);
    const n = 2000;
    const y = Float64Array.from({ length: n }, () => random() * 10);
    const noisy = () => ({ values: Float64Array.from(y, (v) => v + (random() - 0.5) * 4) });
    const a = noisy();
    const b = noisy();
    const fit = fitEnsembleWeights([a, b], y, 0);
    assert.ok(Math.abs(fit.weights[0]! - 0.5) < 0.1, `weights ${fit.weights.join(', ')}`);
    assert.ok(fit.loss < mixtureLoss([a, b], [1, 0], y, 0) * 0.75);
    assert.ok(fit.loss < mixtureLoss([a, b], [0, 1], y, 0) * 0.75);
    assert.ok(Math.abs(fit.weights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  });

  it('classes: a useless member gets (almost) no weight; the result is the best member at least', () => {
    const random = rng(5);
    const n = 1000;
    const k = 3;
    const y = Int32Array.from({ length: n }, () => Math.floor(random() * k));
    const good = new Float64Array(n * k);
    const uniform = new Float64Array(n * k).fill(1 / k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) good[i * k + c] = c === y[i] ? 0.8 : 0.1;
    const fit = fitEnsembleWeights([{ values: uniform }, { values: good }], y, k);
    assert.ok(fit.weights[1]! > 0.95, `weights ${fit.weights.join(', ')}`);
    assert.ok(fit.loss <= mixtureLoss([{ values: uniform }, { values: good }], [0, 1], y, k) + 1e-12);
  });

  it('three members: weights are non-negative, sum to 1, and the same on every run', () => {
    const random = rng(9);
    const n = 500;
    const y = Float64Array.from({ length: n }, () => random());
    const members = [0.2, 0.5, 1].map((noise) => ({ values: Float64Array.from(y, (v) => v + (random() - 0.5) * noise) }));
    const first = fitEnsembleWeights(members, y, 0);
    const again = fitEnsembleWeights(members, y, 0);
    assert.deepEqual(again, first);
    assert.ok(first.weights.every((w) => w >= 0));
    assert.ok(Math.abs(first.weights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
    assert.ok(first.weights[0]! > first.weights[2]!, 'the least noisy member weighs most');
  });

  it('labels unknown to the models (-1) are skipped', () => {
    const y = Int32Array.from([0, -1, 1]);
    const p = { values: Float64Array.from([0.9, 0.1, 0.5, 0.5, 0.2, 0.8]) };
    const loss = mixtureLoss([p], [1], y, 2);
    assert.ok(Math.abs(loss - -(Math.log(0.9) + Math.log(0.8)) / 3) < 1e-12);
  });
});
