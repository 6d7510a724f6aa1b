import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestTrainContext, MemoryArtifactStore, type TestTrainContext } from '../../framework/testing.js';
import { TrainingAbortedError, type Table } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import type { DatawigHyperparameters } from '../../algorithms/datawig/hyperparameters.js';
import { checkpointDir, checkpointScope } from '../../algorithms/datawig/fit/checkpoints.js';
import { hp, mixedTable } from './helpers.js';

const alg = new DatawigAlgorithm();
const RESUMED = 'datawig: resumed target from checkpoint';
const CHECKPOINTED = 'datawig: target checkpointed';
// complete mode, three targets (kind, y, shape), two rounds
const table = mixedTable(240);
const settings = { num_epochs: 3, iterations: 2 } as const;
const dirOf = (label: string, round: number) => checkpointDir(checkpointScope(hp(settings)), label, round);

function context(data: Table, h: DatawigHyperparameters, checkpoints?: MemoryArtifactStore): TestTrainContext<DatawigHyperparameters> {
  const ctx = createTestTrainContext({ train: data }, h);
  if (checkpoints) ctx.checkpoints = checkpoints;
  return ctx;
}

const count = (ctx: TestTrainContext<unknown>, message: string) => ctx.logger.entries.filter((e) => e.message === message).length;

function copy(store: MemoryArtifactStore): MemoryArtifactStore {
  const out = new MemoryArtifactStore();
  for (const [k, v] of store.files) out.files.set(k, v.slice());
  return out;
}

function assertSameFiles(actual: MemoryArtifactStore, expected: MemoryArtifactStore): void {
  assert.deepEqual([...actual.files.keys()].sort(), [...expected.files.keys()].sort());
  for (const [k, v] of expected.files) assert.ok(Buffer.from(actual.files.get(k)!).equals(Buffer.from(v)), `${k} differs`);
}

// one uninterrupted run shared by the tests
let baseline: Promise<TestTrainContext<DatawigHyperparameters>> | undefined;
function uninterrupted() {
  baseline ??= (async () => {
    const ctx = context(table, hp(settings));
    await alg.train(ctx);
    return ctx;
  })();
  return baseline;
}

test('every finished target is checkpointed; a second run reuses them all and writes the same model', async () => {
  const first = await uninterrupted();
  assert.equal(count(first, CHECKPOINTED), 6);
  assert.equal(count(first, RESUMED), 0);
  const names = await first.checkpoints.list();
  assert.ok(names.includes(`${dirOf('kind', 1)}/checkpoint.json`), names.join());
  assert.ok(names.includes(`${dirOf('shape', 2)}/weights.bin`), names.join());

  const second = context(table, hp(settings), copy(first.checkpoints));
  await alg.train(second);
  assert.equal(count(second, CHECKPOINTED), 0, 'nothing trained again');
  const resumed = second.logger.entries.filter((e) => e.message === RESUMED).map((e) => `${String(e.fields?.label)}@${String(e.fields?.round)}`);
  assert.deepEqual(resumed, ['kind@1', 'y@1', 'shape@1', 'kind@2', 'y@2', 'shape@2']);
  assertSameFiles(second.model, first.model);
});

/** A checkpoint store that aborts the job once the n-th checkpoint.json is written. */
class AbortingStore extends MemoryArtifactStore {
  private written = 0;
  constructor(
    private readonly after: number,
    private readonly abort: AbortController,
  ) {
    super();
  }
  override async writeFile(name: string, data: Uint8Array | string): Promise<void> {
    await super.writeFile(name, data);
    if (name.endsWith('/checkpoint.json') && ++this.written === this.after) this.abort.abort();
  }
}

test('a job stopped after its first target resumes it, trains the rest and writes the uninterrupted model', async () => {
  const expected = await uninterrupted();
  const stopped = context(table, hp(settings));
  const store = new AbortingStore(1, stopped.abort);
  stopped.checkpoints = store;
  await assert.rejects(alg.train(stopped), TrainingAbortedError);
  assert.equal(count(stopped, CHECKPOINTED), 1);
  assert.equal(stopped.model.files.size, 0, 'nothing in the model directory yet');

  const restarted = context(table, hp(settings), store);
  await alg.train(restarted);
  const resumed = restarted.logger.entries.filter((e) => e.message === RESUMED);
  assert.deepEqual(
    resumed.map((e) => e.fields?.label),
    ['kind'],
  );
  assert.equal(count(restarted, CHECKPOINTED), 5);
  assertSameFiles(restarted.model, expected.model);
});

test('changed data or hyperparameters reuse no checkpoint; a corrupt checkpoint is trained anew', async () => {
  const first = await uninterrupted();
  const changedData = mixedTable(240, 3);
  const a = context(changedData, hp(settings), copy(first.checkpoints));
  await alg.train(a);
  assert.equal(count(a, RESUMED), 0);
  assert.equal(count(a, CHECKPOINTED), 6);
  assert.ok(count(a, 'datawig: checkpoint not reused (different data or hyperparameters), training the target') >= 3);

  const b = context(table, hp({ ...settings, learning_rate: 0.02 }), copy(first.checkpoints));
  await alg.train(b);
  assert.equal(count(b, RESUMED), 0);
  assert.equal(count(b, CHECKPOINTED), 6);

  // one target.json no longer matches its checkpoint.json: that target is trained again, the rest reused
  const corrupt = copy(first.checkpoints);
  const file = `${dirOf('y', 2)}/target.json`;
  corrupt.files.set(file, new TextEncoder().encode('{"format":"datawig-target/1"}'));
  const c = context(table, hp(settings), corrupt);
  await alg.train(c);
  assert.equal(count(c, RESUMED), 5);
  assert.equal(count(c, CHECKPOINTED), 1);
  const warning = c.logger.entries.find((e) => e.message === 'datawig: checkpoint not reused (invalid), training the target');
  assert.equal(warning?.fields?.label, 'y');
  assertSameFiles(c.model, first.model);
  assert.notDeepEqual(corrupt.files.get(file), new TextEncoder().encode('{"format":"datawig-target/1"}'), 'overwritten');
});

test('single mode checkpoints its target; a rerun reuses it with its search rows', async () => {
  const h = hp({ label_column: 'kind', num_epochs: 3, num_evals: 2 });
  const first = context(table, h);
  await alg.train(first);
  assert.equal(count(first, CHECKPOINTED), 1);
  const second = context(table, h, copy(first.checkpoints));
  await alg.train(second);
  assert.equal(count(second, RESUMED), 1);
  assert.equal(count(second, CHECKPOINTED), 0);
  assertSameFiles(second.model, first.model);
  const rows = (ctx: TestTrainContext<unknown>) => new TextDecoder().decode(ctx.outputData.files.get('hpo_results.csv')).trim().split('\n');
  assert.deepEqual(rows(second), rows(first));
});

test('jobs with other hyperparameters on one checkpoint prefix (a tuning job) keep their checkpoints apart', async () => {
  // SageMaker gives every training job of a tuning job the same CheckpointConfig.S3Uri
  const shared = new MemoryArtifactStore();
  const a = hp({ label_column: 'kind', num_epochs: 3 });
  const b = { ...a, learning_rate: 0.02 };
  await alg.train(context(table, a, shared));
  const second = context(table, b, shared);
  await alg.train(second);
  assert.equal(count(second, RESUMED), 0, 'B does not reuse what A trained with other hyperparameters');
  assert.equal(count(second, CHECKPOINTED), 1);
  const again = context(table, a, shared);
  await alg.train(again);
  assert.equal(count(again, RESUMED), 1, "A's checkpoint survived B");
  assert.notEqual(checkpointScope(a), checkpointScope(b));
});
