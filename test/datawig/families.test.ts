import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLoadContext, createTestTrainContext, invokeInProcess, type MemoryArtifactStore } from '../../framework/testing.js';
import type { InputRecord, Predictor, Table } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import type { TargetArtifact } from '../../algorithms/datawig/format/target-artifact.js';
import { readTarget } from '../../algorithms/datawig/format/model-directory.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import type { DatawigHyperparameters } from '../../algorithms/datawig/hyperparameters.js';
import { hp, textTable } from './helpers.js';

const alg = new DatawigAlgorithm();
/** The threads' entry script (runCli with datawig), next to this test once compiled. */
const TASK_ENTRY = new URL('../fixtures/datawig-task-entry.js', import.meta.url);

/** y = a step function of x1 and a category (trees' home ground), x2 noise, some cells missing. */
function stepTable(n: number, seed: number): Table {
  const r = rng(seed);
  const records: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = r() * 10;
    const cat = ['a', 'b', 'c'][Math.floor(r() * 3)]!;
    const y = (x1 > 5 ? 10 : 0) + (cat === 'b' ? 5 : 0) + (r() - 0.5);
    records.push({ x1: r() < 0.02 ? '' : x1.toFixed(3), x2: (r() * 10).toFixed(3), cat, y: y.toFixed(3) });
  }
  return { columns: ['x1', 'x2', 'cat', 'y'], records };
}

async function train(
  table: Table,
  overrides: Partial<DatawigHyperparameters>,
): Promise<{ model: MemoryArtifactStore; predictor: Predictor; artifact: TargetArtifact }> {
  const ctx = createTestTrainContext({ train: table }, hp({ num_epochs: 5, ...overrides }));
  const r = await alg.train(ctx);
  const predictor = await alg.load(createTestLoadContext(ctx.model, r.inputSchema));
  return { model: ctx.model, predictor, artifact: await ctx.model.readJson<TargetArtifact>('targets/0/target.json') };
}

async function predictions(p: Predictor, rows: InputRecord[], label: string): Promise<unknown[]> {
  const out = await invokeInProcess(
    { algorithm: alg, predictor: p },
    { columns: Object.keys(rows[0]!), records: rows.map((r) => ({ ...r, [label]: '' })) },
    { accept: 'text/csv' },
  );
  return out.records.map((r) => r[`${label}_imputed`]);
}

describe('model families', () => {
  it('trees learn a step function with a missing input to low error; save -> load serves the same values', async () => {
    const { artifact, predictor, model } = await train(stepTable(600, 1), { label_column: 'y', model_family: 'trees' });
    assert.equal(artifact.family, 'trees');
    assert.ok(artifact.trees && !artifact.net && !artifact.linear);
    assert.ok(artifact.metrics.rmse! < 1.6, `rmse ${artifact.metrics.rmse}`);
    assert.ok(artifact.featureImportance!.x1! > artifact.featureImportance!.x2!, 'x1 matters more than noise');
    const fresh = stepTable(50, 7).records;
    const first = await predictions(predictor, fresh, 'y');
    const reloaded = await alg.load(createTestLoadContext(model, { columns: [], requiredColumns: ['x1', 'x2', 'cat'] }));
    assert.deepEqual(await predictions(reloaded, fresh, 'y'), first);
    const err = fresh.map((r, i) => (Number(first[i]) - Number(r.y)) ** 2).reduce((s, v) => s + v, 0) / fresh.length;
    assert.ok(err < 2.5, `mse ${err}`);
  });

  it('the linear family classifies text to high accuracy and explains with n-grams', async () => {
    const { artifact, predictor } = await train(textTable(600, 2), { label_column: 'label', model_family: 'linear' });
    assert.equal(artifact.family, 'linear');
    assert.ok(artifact.linear && !artifact.net && !artifact.trees);
    assert.ok(artifact.metrics.accuracy! > 0.85, `accuracy ${artifact.metrics.accuracy}`);
    assert.ok(Object.values(artifact.explanations ?? {}).some((tokens) => tokens.length > 0));
    const fresh = textTable(200, 9).records;
    const got = await predictions(predictor, fresh, 'label');
    assert.ok(got.filter((v, i) => v === fresh[i]!.label).length / fresh.length > 0.85);
  });

  it('auto chooses on validation loss, reports every candidate, and is deterministic with a seed', async () => {
    const a = await train(stepTable(500, 3), { label_column: 'y', seed: 5 });
    const b = await train(stepTable(500, 3), { label_column: 'y', seed: 5 });
    assert.deepEqual(a.artifact, b.artifact);
    const c = a.artifact.candidates!;
    assert.deepEqual(
      c.map((x) => x.family),
      ['constant', 'trees', 'linear', 'ensemble'],
      'auto leaves the network out',
    );
    const singles = c.filter((x) => x.family !== 'ensemble');
    const best = Math.min(...singles.map((x) => x.loss!));
    if (a.artifact.family !== 'ensemble') assert.equal(c.find((x) => x.family === a.artifact.family)!.loss, best);
    assert.ok(c.find((x) => x.family === 'constant')!.loss! > best * 2, 'the step is learnt: far better than the mean');
    assert.equal(a.artifact.metrics.loss_trees, c.find((x) => x.family === 'trees')!.loss);
  });

  it('on 2 threads the trees are boosted on one while the linear model trains here: the same model as on 1', async () => {
    const table = textTable(300, 8);
    const hps = hp({ num_epochs: 5, label_column: 'label', seed: 3 });
    const models: string[] = [];
    for (const threads of [1, 2]) {
      const ctx = createTestTrainContext({ train: table }, hps, { algorithm: alg, threads, entry: TASK_ENTRY });
      try {
        await alg.train(ctx);
      } finally {
        await ctx.tasks.close();
      }
      const threaded = ctx.logger.entries.some((e) => e.message === 'training tasks run on worker threads');
      assert.equal(threaded, threads > 1, `threads ${threads}`);
      models.push(JSON.stringify([await ctx.model.readJson('targets/0/target.json'), [...(await ctx.model.readFile('targets/0/weights.bin'))]]));
    }
    assert.ok(JSON.parse(models[0]!)[0].candidates.some((c: { family: string }) => c.family === 'trees'));
    assert.equal(models[1], models[0]);
  });

  it('auto leaves the network out with text columns too; the text reaches the linear family', async () => {
    const { artifact } = await train(textTable(300, 6), { label_column: 'label' });
    assert.deepEqual(
      artifact.candidates!.map((c) => c.family),
      ['constant', 'trees', 'linear', 'ensemble'],
    );
    assert.equal(artifact.net, undefined);
    assert.ok(artifact.metrics.accuracy! > 0.85, `accuracy ${artifact.metrics.accuracy}`);
  });

  it('the pinned ensemble fits member weights summing to 1 on validation rows, and serves after a reload', async () => {
    const { artifact, predictor } = await train(textTable(400, 4), { label_column: 'label', model_family: 'ensemble', num_epochs: 3 });
    assert.deepEqual(
      artifact.candidates!.map((c) => c.family),
      ['trees', 'linear', 'network', 'ensemble'],
    );
    const members = artifact.members!;
    // members below 1 % weight are dropped: one member is left when the others add nothing
    assert.equal(artifact.family, members.length > 1 ? 'ensemble' : members[0]!.family);
    assert.ok(Math.abs(members.reduce((s, m) => s + m.weight, 0) - 1) < 1e-9);
    const fresh = textTable(100, 11).records;
    const got = await predictions(predictor, fresh, 'label');
    assert.ok(got.filter((v, i) => v === fresh[i]!.label).length / fresh.length > 0.8);
  });

  it('unseen categories and missing cells are answered by every family', async () => {
    for (const family of ['trees', 'linear'] as const) {
      const { predictor } = await train(stepTable(300, 5), { label_column: 'y', model_family: family });
      const odd = [
        { x1: '', x2: '', cat: 'never-seen', y: '' },
        { x1: '7', x2: '1', cat: '', y: '' },
      ];
      for (const v of await predictions(predictor, odd, 'y')) assert.ok(Number.isFinite(Number(v)), `${family}: ${String(v)}`);
    }
  });

  it('a column too small for a model gets the constant family (mean / most frequent class)', async () => {
    const { artifact } = await train(
      { columns: ['x', 'y'], records: Array.from({ length: 6 }, (_, i) => ({ x: String(i), y: String(i * 2) })) },
      { label_column: 'y', column_types: ['y:numeric', 'x:numeric'] },
    );
    assert.equal(artifact.family, 'constant');
    assert.deepEqual(artifact.constant, [0]);
  });

  it('a tampered tree or linear payload is refused when the model is read', async () => {
    const { model } = await train(stepTable(200, 6), { label_column: 'y', model_family: 'trees' });
    const a = await model.readJson<TargetArtifact>('targets/0/target.json');
    await model.writeJson('targets/0/target.json', { ...a, trees: { ...a.trees!, nFeatures: 99 } });
    await assert.rejects(readTarget(model, 'targets/0'), /"trees"/);
    const lin = await train(stepTable(200, 6), { label_column: 'y', model_family: 'linear' });
    const b = await lin.model.readJson<TargetArtifact>('targets/0/target.json');
    await lin.model.writeJson('targets/0/target.json', { ...b, linear: { ...b.linear!, numDim: 1 } });
    await assert.rejects(readTarget(lin.model, 'targets/0'), /numDim/);
  });

  it('a skewed positive label is also fitted on the log scale, kept where it validates better, and served back in label units', async () => {
    const r = rng(21);
    // y = 20 exp(2 x): log y is linear in x, y itself is heavy-tailed
    const rows = (n: number) =>
      Array.from({ length: n }, () => {
        const x = r() * 4;
        return { x: x.toFixed(4), noise: r().toFixed(4), y: (20 * Math.exp(2 * x + 0.05 * (r() - 0.5))).toFixed(4) };
      });
    const table: Table = { columns: ['x', 'noise', 'y'], records: rows(400) };
    const { artifact, predictor } = await train(table, { label_column: 'y', model_family: 'linear' });
    assert.equal(artifact.labelTransform, 'log');
    assert.ok(artifact.metrics.loss_log_scale! < artifact.metrics.loss_raw_scale!, JSON.stringify(artifact.metrics));
    const fresh = rows(40);
    const got = (await predictions(predictor, fresh, 'y')).map(Number);
    fresh.forEach((f, i) => {
      const truth = Number(f.y);
      assert.ok(Math.abs(got[i]! - truth) / truth < 0.1, `row ${i}: ${got[i]} vs ${truth}`);
    });
    // an unskewed label keeps its own scale and tries no other
    const plain = await train(stepTable(300, 2), { label_column: 'y', model_family: 'linear' });
    assert.equal(plain.artifact.labelTransform, undefined);
    assert.equal(plain.artifact.metrics.loss_log_scale, undefined);
  });

  it('a column with a single value trains a model that loads back, at every row count (its class prior never passes 1)', async () => {
    // summing 1/n n times passed 1 for many n, and the format check then refused the model
    for (const n of [49, 98, 300]) {
      const r = rng(n);
      const records = Array.from({ length: n }, () => ({ x: (r() * 10).toFixed(3), unit: r() < 0.15 ? '' : 'kg' }));
      // complete mode: the single-valued column gets the constant family (single mode refuses it)
      const { model } = await train({ columns: ['x', 'unit'], records }, { iterations: 1 });
      const targets = (await model.list()).filter((f) => f.endsWith('/target.json')).map((f) => f.slice(0, -'/target.json'.length));
      const priors = [];
      for (const dir of targets) priors.push((await readTarget(model, dir)).artifact.trainPrior);
      assert.equal(priors.filter((p) => p !== undefined).length, 1, `one classification target among ${targets.join(', ')}`);
    }
  });
});
