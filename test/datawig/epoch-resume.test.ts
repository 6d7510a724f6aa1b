/**
 * Epoch checkpoints: a job stopped in the middle of a target's epochs (abort signal after the k-th
 * epoch checkpoint) and restarted on the same checkpoint store continues that target from its saved
 * epoch and writes the same bytes as a run that was never stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestTrainContext, MemoryArtifactStore, type TestTrainContext } from '../../framework/testing.js';
import { TrainingAbortedError, type Table } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import type { DatawigHyperparameters } from '../../algorithms/datawig/hyperparameters.js';
import { checkpointScope, progressDir as progressDirOf } from '../../algorithms/datawig/fit/checkpoints.js';
import { SeededRng, rng } from '../../algorithms/datawig/core/rng.js';
import { hp, mixedTable, textTable } from './helpers.js';

const alg = new DatawigAlgorithm();
const RESUMED = 'datawig: resumed target from epoch checkpoint';
const EPOCH_CHECKPOINTED = 'datawig: epoch checkpointed';
const INVALID = 'datawig: epoch checkpoint not resumed (invalid), training the target afresh';

// single mode: 8 epochs, no early stopping (patience above the epochs)
const text = textTable(300, 4, 0.1);
const single = hp({ label_column: 'label', num_epochs: 8, patience: 20, batch_size: 32, num_hash_buckets: 4096, model_family: 'network' });

/** The epoch-checkpoint folder of a candidate of a job with hyperparameters `h`. */
const progressDir = (h: DatawigHyperparameters, label: string, round: number, candidate: number) => progressDirOf(checkpointScope(h), label, round, candidate);

function context(data: Table, h: DatawigHyperparameters, checkpoints?: MemoryArtifactStore): TestTrainContext<DatawigHyperparameters> {
  const ctx = createTestTrainContext({ train: data }, h);
  if (checkpoints) ctx.checkpoints = checkpoints;
  return ctx;
}

const entries = (ctx: TestTrainContext<unknown>, message: string) => ctx.logger.entries.filter((e) => e.message === message);

function copy(store: MemoryArtifactStore): MemoryArtifactStore {
  const out = new MemoryArtifactStore();
  for (const [k, v] of store.files) out.files.set(k, v.slice());
  return out;
}

function assertSameModel(actual: MemoryArtifactStore, expected: MemoryArtifactStore): void {
  assert.deepEqual([...actual.files.keys()].sort(), [...expected.files.keys()].sort());
  for (const [k, v] of expected.files) assert.ok(Buffer.from(actual.files.get(k)!).equals(Buffer.from(v)), `${k} differs from the uninterrupted run's`);
}

/**
 * A checkpoint store that aborts the job right after the n-th in-progress epoch checkpoint under
 * `dir` at an epoch that `epochs` accepts is written. (Which epochs are saved depends on how long
 * epochs and writes take, so tests pick the checkpoint by its epoch, not by its count.)
 */
class AbortAfterEpochCheckpoint extends MemoryArtifactStore {
  private written = 0;
  constructor(
    private readonly after: number,
    private readonly abort: AbortController,
    private readonly dir = '',
    private readonly epochs: (epoch: number) => boolean = () => true,
  ) {
    super();
  }
  override async writeFile(name: string, data: Uint8Array | string): Promise<void> {
    await super.writeFile(name, data);
    if (!name.startsWith(this.dir) || !name.endsWith('/manifest.json')) return;
    const manifest = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)) as { status: string; epoch?: number };
    if (manifest.status === 'in-progress' && this.epochs(manifest.epoch!) && ++this.written === this.after) this.abort.abort();
  }
}

/** Runs `h` on `data`, stopped after the n-th epoch checkpoint (under `dir`, of an accepted epoch); returns the store it left. */
async function stoppedRun(
  data: Table,
  h: DatawigHyperparameters,
  after: number,
  dir?: string,
  epochs?: (epoch: number) => boolean,
): Promise<{ ctx: TestTrainContext<DatawigHyperparameters>; store: MemoryArtifactStore }> {
  const ctx = context(data, h);
  const store = new AbortAfterEpochCheckpoint(after, ctx.abort, dir, epochs);
  ctx.checkpoints = store;
  await assert.rejects(alg.train(ctx), TrainingAbortedError);
  assert.equal(ctx.model.files.size, 0, 'nothing in the model directory yet');
  return { ctx, store };
}

const trainedEpochs = (ctx: TestTrainContext<unknown>) => ctx.metrics.lines.filter((m) => m.name === 'train:loss').length;

const uninterruptedRuns = new Map<string, Promise<TestTrainContext<DatawigHyperparameters>>>();
function uninterrupted(name: string, data: Table, h: DatawigHyperparameters) {
  let run = uninterruptedRuns.get(name);
  if (!run) {
    run = (async () => {
      const ctx = context(data, h);
      await alg.train(ctx);
      return ctx;
    })();
    uninterruptedRuns.set(name, run);
  }
  return run;
}

test('the generator restored from its state continues the same sequence', () => {
  const a = SeededRng.fromSeed(42);
  for (let i = 0; i < 17; i++) a.next();
  const b = SeededRng.fromState(a.state);
  const fromA = Array.from({ length: 50 }, () => a.next());
  assert.deepEqual(
    Array.from({ length: 50 }, () => b.next()),
    fromA,
  );
  const plain = rng(42);
  const c = SeededRng.fromSeed(42);
  assert.deepEqual(
    Array.from({ length: 20 }, () => plain()),
    Array.from({ length: 20 }, () => c.next()),
    'rng(seed) is the same generator',
  );
  assert.throws(() => SeededRng.fromState(-1), /uint32/);
});

test('single mode stopped after an epoch checkpoint continues from that epoch and writes the uninterrupted model', async () => {
  const expected = await uninterrupted('single', text, single);
  assert.equal(trainedEpochs(expected), 8);
  // stopped at the first epoch checkpoint: epoch 1 is always saved; later ones only as their write
  // cost allows, so a slow machine may save none before the end
  const { ctx: stopped, store } = await stoppedRun(text, single, 1);
  const savedEpoch = Number(entries(stopped, EPOCH_CHECKPOINTED).at(-1)!.fields?.epoch);
  assert.equal(savedEpoch, 1, 'stopped mid-target');

  const restarted = context(text, single, store);
  await alg.train(restarted);
  const resumed = entries(restarted, RESUMED);
  assert.equal(resumed.length, 1);
  assert.deepEqual(resumed[0]!.fields, { label: 'label', round: 1, candidate: 0, epoch: savedEpoch, finished: false });
  assert.equal(trainedEpochs(restarted), 8 - savedEpoch, 'only the remaining epochs are trained');
  assertSameModel(restarted.model, expected.model);

  // the finished target supersedes its epoch checkpoint: no longer resumable, files emptied
  const dir = progressDir(single, 'label', 1, 0);
  const manifest = JSON.parse(new TextDecoder().decode(store.files.get(`${dir}/manifest.json`))) as { status: string };
  assert.equal(manifest.status, 'superseded');
  assert.equal(store.files.get(`${dir}/arrays.bin`)!.byteLength, 0);
  assert.equal(store.files.get(`${dir}/state.json`)!.byteLength, 0);
});

test('an epoch checkpoint that does not verify is ignored (logged) and the target trains afresh to the same model', async () => {
  const expected = await uninterrupted('single', text, single);
  const { store } = await stoppedRun(text, single, 1);
  const arrays = `${progressDir(single, 'label', 1, 0)}/arrays.bin`;
  const corrupt = copy(store);
  const bytes = corrupt.files.get(arrays)!.slice();
  bytes[bytes.length - 1] ^= 0xff;
  corrupt.files.set(arrays, bytes);
  const restarted = context(text, single, corrupt);
  await alg.train(restarted);
  assert.equal(entries(restarted, RESUMED).length, 0);
  const warning = entries(restarted, INVALID);
  assert.equal(warning.length, 1);
  assert.match(String(warning[0]!.fields?.problem), /arrays\.bin does not match its manifest\.json/);
  assert.equal(trainedEpochs(restarted), 8, 'trained from the first epoch');
  assertSameModel(restarted.model, expected.model);

  // other data: the fingerprint differs, nothing is resumed
  const other = context(textTable(300, 5, 0.1), single, copy(store));
  await alg.train(other);
  assert.equal(entries(other, RESUMED).length, 0);
  assert.equal(entries(other, 'datawig: epoch checkpoint not resumed (different data or hyperparameters), training the target afresh').length, 1);
});

test('complete mode stopped in the middle of its second target resumes the first, continues the second, same model', async () => {
  const data = mixedTable(240);
  const h = hp({ num_epochs: 4, patience: 20, batch_size: 32, iterations: 1, model_family: 'network' });
  const expected = await uninterrupted('complete', data, h);
  // stopped at the second target's first epoch checkpoint
  const { ctx: stopped, store } = await stoppedRun(data, h, 1, progressDir(h, 'y', 1, 0));
  const last = entries(stopped, EPOCH_CHECKPOINTED).at(-1)!;
  assert.equal(last.fields?.label, 'y', 'stopped while training the second target');

  const restarted = context(data, h, store);
  await alg.train(restarted);
  assert.deepEqual(
    entries(restarted, 'datawig: resumed target from checkpoint').map((e) => e.fields?.label),
    ['kind'],
  );
  const resumed = entries(restarted, RESUMED);
  assert.deepEqual(
    resumed.map((e) => [e.fields?.label, e.fields?.epoch]),
    [['y', last.fields?.epoch]],
  );
  assertSameModel(restarted.model, expected.model);
});

test('a search stopped in its second candidate reuses the first one finished and continues the second', async () => {
  const h = { ...single, num_evals: 2, num_epochs: 5 };
  const expected = await uninterrupted('search', text, h);
  const { store } = await stoppedRun(text, h, 1, progressDir(h, 'label', 1, 1));
  const restarted = context(text, h, store);
  await alg.train(restarted);
  const resumed = entries(restarted, RESUMED).map((e) => [e.fields?.candidate, e.fields?.finished]);
  assert.deepEqual(resumed, [
    [0, true],
    [1, false],
  ]);
  assertSameModel(restarted.model, expected.model);
  // hpo_results.csv: the same rows but for the seconds each candidate took
  const rows = (ctx: TestTrainContext<unknown>) =>
    new TextDecoder()
      .decode(ctx.outputData.files.get('hpo_results.csv'))
      .trim()
      .split('\n')
      .map((r) => {
        const c = r.split(',');
        return [...c.slice(0, -2), c.at(-1)].join(',');
      });
  assert.deepEqual(rows(restarted), rows(expected));
});
