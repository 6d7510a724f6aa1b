import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLoadContext, createTestTrainContext, invokeInProcess } from '../../framework/testing.js';
import type { Table } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import type { ModelIndex } from '../../algorithms/datawig/format/model-index.js';
import { hp } from './helpers.js';
import { lowRankTable, mcar } from './complete-data.js';

const alg = new DatawigAlgorithm();

/** Trains complete mode on the masked table and serves it back: the imputed table and the model index. */
async function imputeAll(
  masked: Table,
  iterations: number,
): Promise<{ imputed: Record<string, unknown>[]; index: ModelIndex; metrics: Record<string, number> }> {
  const ctx = createTestTrainContext({ train: masked }, hp({ iterations, seed: 3 }));
  const r = await alg.train(ctx);
  const p = await alg.load(createTestLoadContext(ctx.model, r.inputSchema));
  const out = await invokeInProcess({ algorithm: alg, predictor: p }, masked, { accept: 'text/csv' });
  return { imputed: out.records, index: await ctx.model.readJson<ModelIndex>('model.json'), metrics: r.metrics ?? {} };
}

/** Mean over columns of the hidden cells' MSE / the column's variance. */
function relativeError(truth: Table, masked: Table, imputed: Record<string, unknown>[]): number {
  let total = 0;
  for (const c of truth.columns) {
    const values = truth.records.map((r) => Number(r[c]));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    let se = 0;
    let n = 0;
    masked.records.forEach((r, i) => {
      if (r[c] !== '') return;
      se += (Number(imputed[i]![`${c}_imputed`]) - values[i]!) ** 2;
      n++;
    });
    total += se / n / variance;
  }
  return total / truth.columns.length;
}

describe('chained complete mode', () => {
  it('later rounds (other columns filled, missing indicators) beat one round on a low-rank table; every round is stored and replayed', async () => {
    const truth = lowRankTable(300, 8, 2);
    const masked = mcar(truth, 0.3);
    const one = await imputeAll(masked, 1);
    const three = await imputeAll(masked, 3);
    const e1 = relativeError(truth, masked, one.imputed);
    const e3 = relativeError(truth, masked, three.imputed);
    assert.ok(e3 < e1 * 0.8, `3 rounds ${e3.toFixed(4)} vs 1 round ${e1.toFixed(4)}`);
    assert.deepEqual([...new Set(three.index.targets.map((t) => t.round))], [1, 2, 3]);
    // every hidden cell is filled
    masked.records.forEach((r, i) => {
      for (const c of truth.columns) if (r[c] === '') assert.ok(Number.isFinite(Number(three.imputed[i]![`${c}_imputed`])), `${c} row ${i}`);
    });
  });

  it('a column with too few known values falls back to its mean and says so; its gaps are filled', async () => {
    const truth = lowRankTable(60, 3, 1, 5);
    const masked: Table = {
      columns: [...truth.columns, 'rare'],
      records: truth.records.map((r, i) => ({ ...r, x1: i % 4 === 0 ? '' : r.x1!, rare: i < 4 ? String(i + 1) : '' })),
    };
    const ctx = createTestTrainContext({ train: masked }, hp({ iterations: 1, column_types: ['rare:numeric'] }));
    const r = await alg.train(ctx);
    assert.equal(r.metrics!['rare.fallback'], 1);
    const p = await alg.load(createTestLoadContext(ctx.model, r.inputSchema));
    const out = await invokeInProcess({ algorithm: alg, predictor: p }, masked, { accept: 'text/csv' });
    // the mean of 1..4, written as the column is: an integer
    for (const row of out.records.slice(4)) assert.equal(Number(row.rare_imputed), 3);
  });
});
