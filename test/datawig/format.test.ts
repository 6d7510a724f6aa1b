/**
 * What is read from a model directory is checked: a tampered model.json, target.json or
 * weights.bin fails to load with a ModelFormatError naming the file and the problem.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestTrainContext, MemoryArtifactStore } from '../../framework/testing.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { ModelFormatError } from '../../algorithms/datawig/format/json-rules.js';
import { readModelIndex, readTarget } from '../../algorithms/datawig/format/model-directory.js';
import { loadPredictor } from '../../algorithms/datawig/serve/predictor.js';
import { hp, textTable } from './helpers.js';

/** Parsed JSON of a model file, edited in place by a test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the edits reach into nested fields of parsed JSON
type Doc = Record<string, any>;

const TARGET = 'targets/0/target.json';
const WEIGHTS = 'targets/0/weights.bin';

let trained: MemoryArtifactStore;

before(async () => {
  const ctx = createTestTrainContext({ train: textTable(120, 1) }, hp({ label_column: 'label', num_epochs: 1, model_family: 'network' }));
  await new DatawigAlgorithm().train(ctx);
  trained = ctx.model;
});

/** A copy of the trained model directory with one JSON file edited. */
async function withJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<MemoryArtifactStore> {
  const store = copy();
  const json = JSON.parse(await store.readText(file)) as Record<string, unknown>;
  edit(json);
  await store.writeJson(file, json);
  return store;
}

function copy(): MemoryArtifactStore {
  const store = new MemoryArtifactStore();
  for (const [name, data] of trained.files) store.files.set(name, data.slice());
  return store;
}

/** Loading fails with a ModelFormatError of `file` whose message matches `message` (and names the file). */
async function rejects(store: MemoryArtifactStore, file: string, message: RegExp): Promise<void> {
  await assert.rejects(loadPredictor(store), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `not a ModelFormatError: ${String(e)}`);
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('datawig model files are checked when read', () => {
  it('an untouched model directory reads back', async () => {
    const index = await readModelIndex(trained);
    assert.deepEqual(index.targets, [{ label: 'label', dir: 'targets/0', task: 'classification' }]);
    const { artifact, weights } = await readTarget(trained, 'targets/0');
    assert.equal(artifact.label, 'label');
    assert.deepEqual(
      [...weights.keys()],
      artifact.weightSpecs.map((w) => w.name),
    );
    const p = await loadPredictor(trained);
    assert.equal(p.targets.length, 1);
  });

  it('target.json of another format', async () => {
    const store = await withJson(TARGET, (a) => (a.format = 'datawig-target/2'));
    await rejects(store, TARGET, /"format" is a string of 16 characters, expected "datawig-target\/1"/);
  });

  it('target.json that is not a JSON object, or not JSON', async () => {
    const store = copy();
    await store.writeFile(TARGET, '[1, 2]');
    await rejects(store, TARGET, /the file is an array of 2, expected an object/);
    await store.writeFile(TARGET, '{"format": "datawig-target/1",');
    await rejects(store, TARGET, /not valid JSON/);
  });

  it('target.json lacking a required field', async () => {
    const store = await withJson(TARGET, (a) => delete a.temperature);
    await rejects(store, TARGET, /"temperature" is missing \(expected a positive number\)/);
    const nested = await withJson(TARGET, (a) => delete (a.featurizer as Record<string, unknown>).tableRows);
    await rejects(nested, TARGET, /"featurizer\.tableRows" is missing/);
  });

  it('target.json with a field of the wrong type, named by its path', async () => {
    const store = await withJson(TARGET, (a) => ((a.net as { numHidden: unknown[] }).numHidden[0] = '100'));
    await rejects(store, TARGET, /"net\.numHidden\[0\]" is a string of 3 characters, expected an integer from 1 to 4096/);
    const task = await withJson(TARGET, (a) => (a.task = 'ranking'));
    await rejects(task, TARGET, /"task" is a string of 7 characters, expected "classification" or "regression"/);
    const optional = await withJson(TARGET, (a) => (a.labelRange = [0]));
    await rejects(optional, TARGET, /"labelRange" is an array of 1, expected an array of 2/);
  });

  it('target.json whose specs disagree with each other', async () => {
    const classes = await withJson(TARGET, (a) => (a.classes as string[]).push('extra'));
    await rejects(classes, TARGET, /"net\.outDim" is 3, but a classification of 4 classes needs 4/);
    const specs = await withJson(TARGET, (a) => ((a.weightSpecs as { shape: number[] }[])[0]!.shape[1] = 7));
    await rejects(specs, TARGET, /"weightSpecs" \(emb \[\d+, 7\].*\) are not the tensors the model's members imply \(emb \[\d+, 32\]/);
  });

  it('weights.bin of the wrong byte length', async () => {
    const { artifact } = await readTarget(trained, 'targets/0');
    const expected = artifact.weightSpecs.reduce((s, w) => s + w.shape.reduce((x, y) => x * y, 1), 0) * 4;
    const store = copy();
    await store.writeFile(WEIGHTS, new Uint8Array(expected + 4));
    await rejects(store, WEIGHTS, new RegExp(`^${WEIGHTS}: ${expected + 4} bytes, more than the ${expected} allowed`));
    for (const length of [expected - 4, 0]) {
      const store = copy();
      const bytes = new Uint8Array(length);
      bytes.set(trained.files.get(WEIGHTS)!.subarray(0, length));
      await store.writeFile(WEIGHTS, bytes);
      await rejects(
        store,
        WEIGHTS,
        new RegExp(`^${WEIGHTS}: ${length} bytes, but the network of ${TARGET} needs ${expected} \\(${expected / 4} float32 values: emb \\[`),
      );
    }
  });

  it('target.json with values out of range', async () => {
    const edits: [string, (a: Doc) => void, RegExp][] = [
      ['temperature 0', (a) => (a.temperature = 0), /"temperature" is the number 0, expected a positive number/],
      ['labelStd 0', (a) => (a.labelStd = 0), /"labelStd" is the number 0/],
      ['wordRange', (a) => (a.featurizer.wordRange = [1, 1e9]), /"featurizer\.wordRange" is an array of 2, expected \[low, high\] with 1 <= low <= high <= 6/],
      ['buckets', (a) => (a.featurizer.buckets = 0), /"featurizer\.buckets" is the number 0, expected an integer from 256 to 4194304/],
      ['outDim', (a) => (a.net.outDim = 5e7), /"net\.outDim" is 50000000, but a classification of 3 classes needs 3/],
      ['embDim', (a) => (a.net.embDim = 16), /"net\.embDim" \(16\) differs from "config\.latentDim" \(32\)/],
      ['curves', (a) => a.curves && (a.curves.precision[0][0] = 2), /"curves\.precision\[0\]\[0\]" is the number 2, expected a number from 0 to 1/],
    ];
    for (const [, edit, message] of edits) await rejects(await withJson(TARGET, edit), TARGET, message);
  });

  it('weights.bin holding a NaN', async () => {
    const store = copy();
    const bytes = trained.files.get(WEIGHTS)!.slice();
    new DataView(bytes.buffer).setFloat32(8, NaN, true);
    await store.writeFile(WEIGHTS, bytes);
    await rejects(store, WEIGHTS, /tensor "emb" holds a value that is not finite \(NaN or infinity\) at index 2/);
  });

  it('model.json of another format, without targets, or with a bad target entry', async () => {
    await rejects(await withJson('model.json', (m) => (m.format = 'datawig/0')), 'model.json', /"format" is a string of 9 characters, expected "datawig\/1"/);
    await rejects(await withJson('model.json', (m) => delete m.targets), 'model.json', /"targets" is missing \(expected an array\)/);
    await rejects(await withJson('model.json', (m) => (m.targets = [])), 'model.json', /"targets" is empty/);
    await rejects(
      await withJson('model.json', (m) => ((m.targets as { dir: unknown }[])[0]!.dir = 0)),
      'model.json',
      /"targets\[0\]\.dir" is the number 0, expected a string/,
    );
  });
});
