/** `byoc impute`'s file host in process: chunks through the pipeline, atomic output, clear failures. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';
import { FileImputationError, FileImputer } from '../../framework/batch/file-imputer.js';
import { createFrameworkContainer } from '../../framework/composition.js';
import { createManifest, writeManifest } from '../../framework/model/manifest.js';
import { loadConfig } from '../../framework/runtime/config.js';
import { DirectoryArtifactStore } from '../../framework/storage/artifact-store.js';
import { createTestTrainContext, RecordingLogger } from '../../framework/testing.js';
import { parseHyperparameters } from '../../framework/parameters/parse.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tmp = useTempDir('file-imputer-');
let trained: Promise<string> | undefined;

/** A baseline model directory, trained once for the file (colour: red 2/3; size: mean 2; both have gaps). */
function modelDir(): Promise<string> {
  trained ??= trainModel();
  return trained;
}

async function trainModel(): Promise<string> {
  const algorithm = new BaselineAlgorithm();
  const table = {
    columns: ['colour', 'size'],
    records: [
      { colour: 'red', size: '1' },
      { colour: 'red', size: '3' },
      { colour: 'blue', size: '' },
      { colour: '', size: '2' },
    ],
  };
  const ctx = createTestTrainContext({ train: table }, parseHyperparameters(algorithm.hyperparameters, {}));
  const result = await algorithm.train(ctx);
  const dir = path.join(tmp.path, 'model');
  await mkdir(dir);
  const store = new DirectoryArtifactStore(dir);
  for (const name of await ctx.model.list()) await store.writeFile(name, await ctx.model.readFile(name));
  await writeManifest(
    store,
    createManifest({
      algorithm: { name: 'baseline', version: algorithm.version },
      framework: { name: 'test', version: '0' },
      inputSchema: result.inputSchema,
      hyperparameters: {},
    }),
  );
  return dir;
}

async function imputer(): Promise<FileImputer> {
  const container = createFrameworkContainer({
    config: loadConfig({ env: {} }),
    logger: new RecordingLogger(),
    algorithms: [BaselineAlgorithm],
    modelDir: await modelDir(),
  });
  return container.get(FileImputer);
}

async function file(content: string): Promise<string> {
  const name = tmp.next('input', '.csv');
  await writeFile(name, content);
  return name;
}

describe('FileImputer', () => {
  it('imputes in chunks: one output row per input row, the header once', async () => {
    const input = await file('colour,size\n,\nblue,\n\n,7\n');
    const output = tmp.next('out', '.csv');
    const seen: number[] = [];
    const { rows } = await (await imputer()).run({ input, output, chunkRows: 2, onProgress: (n) => seen.push(n) });
    assert.equal(rows, 3);
    assert.deepEqual(seen, [2, 3]);
    assert.equal(
      await readFile(output, 'utf8'),
      'colour,size,colour_imputed,colour_imputed_proba,size_imputed,size_imputed_proba\n' + ',,red,0.6667,2,\n' + 'blue,,,,2,\n' + ',7,red,0.6667,,\n',
    );
  });

  it('the input may be the output: it is replaced only once the imputation is complete', async () => {
    const input = await file('colour,size\n,1\n');
    await (await imputer()).run({ input, output: input, chunkRows: 10, attributes: 'output=fill' });
    assert.equal(await readFile(input, 'utf8'), 'colour,size\nred,1\n');
  });

  it('fill: the input columns with the gaps filled, and per column what was imputed and what was left empty', async () => {
    const input = await file('colour,size,note\n,,x\nblue,,\n,7,\n');
    const output = tmp.next('out', '.csv');
    const { rows, tally } = await (await imputer()).run({ input, output, chunkRows: 2, fill: true });
    assert.equal(rows, 3);
    assert.equal(await readFile(output, 'utf8'), 'colour,size,note\nred,2,x\nblue,2,\nred,7,\n');
    assert.deepEqual(tally.lines(), ['colour: 2 imputed', 'size: 2 imputed', 'note: 2 empty cells left empty: the model does not impute this column']);
  });

  it('a failure leaves the existing output as it was and no temporary file behind', async () => {
    const input = await file('colour,size\n,1\n,1,extra\n');
    const folder = path.join(tmp.path, 'keep');
    await mkdir(folder);
    const output = path.join(folder, 'out.csv');
    await writeFile(output, 'previous\n');
    await assert.rejects((await imputer()).run({ input, output, chunkRows: 1 }), (e: unknown) => {
      assert.ok(e instanceof FileImputationError);
      assert.match(e.message, /line 3: 3 fields, but the header has 2/);
      return true;
    });
    assert.equal(await readFile(output, 'utf8'), 'previous\n');
    assert.deepEqual(await readdir(folder), ['out.csv']);
  });

  it('a missing output folder, an empty input or a bad attribute is a clear error before any work', async () => {
    const input = await file('colour,size\n,1\n');
    await assert.rejects(
      (await imputer()).run({ input, output: path.join(tmp.path, 'no', 'such', 'out.csv'), chunkRows: 5 }),
      /the folder .*no\/such does not exist/,
    );
    await assert.rejects((await imputer()).run({ input: await file(''), output: tmp.next('o', '.csv'), chunkRows: 5 }), /is empty: expected a CSV header row/);
    // A repeated name would let one column overwrite the other in every record.
    await assert.rejects(
      (await imputer()).run({ input: await file('colour,colour\n,1\n'), output: tmp.next('o', '.csv'), chunkRows: 5 }),
      /the header repeats column name\(s\) "colour"/,
    );
    await assert.rejects(
      (await imputer()).run({ input, output: tmp.next('o', '.csv'), chunkRows: 5, attributes: 'impute_presnt=true' }),
      /did you mean "impute_present"/,
    );
  });

  it('a header-only input gets a header-only output with the model columns', async () => {
    const input = await file('colour,size\n');
    const output = tmp.next('out', '.csv');
    assert.equal((await (await imputer()).run({ input, output, chunkRows: 5 })).rows, 0);
    assert.equal(await readFile(output, 'utf8'), 'colour,size,colour_imputed,colour_imputed_proba,size_imputed,size_imputed_proba\n');
  });
});
