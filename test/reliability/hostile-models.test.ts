/**
 * A model directory comes from an S3 object: tampered models (links to devices and secrets, a FIFO,
 * a sparse 1.9 GB weights.bin, out-of-range values, NaN weights, files that are not JSON) end in
 * ModelHost state `failed`, quickly, with a reason that names the file and never holds its text.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, open, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestTrainContext, RecordingLogger, type MemoryArtifactStore } from '../../framework/testing.js';
import { AlgorithmRegistry } from '../../framework/algorithms/registry.js';
import { ModelHost } from '../../framework/model/host.js';
import { createManifest, writeManifest } from '../../framework/model/manifest.js';
import { DirectoryArtifactStore } from '../../framework/storage/artifact-store.js';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { hp, textTable } from '../datawig/helpers.js';

/** Parsed JSON of a model file, edited in place by a test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the edits reach into nested fields of parsed JSON
type Doc = Record<string, any>;

const tmp = useTempDir('byoc-hostile-models-');
const registry = new AlgorithmRegistry([new BaselineAlgorithm(), new DatawigAlgorithm()]);
const TARGET = 'targets/0/target.json';
const WEIGHTS = 'targets/0/weights.bin';
const SECRET = 'AKIA-SECRET-do-not-leak-7f3a';
const HOSTNAME = 'hostile-host-name-4711';

let datawigDir: string;
let baselineDir: string;
let secretFile: string;

async function writeModel(name: string, algorithm: { name: string; version: string }, model: MemoryArtifactStore, inputSchema: never): Promise<string> {
  const dir = path.join(tmp.path, name);
  const store = new DirectoryArtifactStore(dir);
  for (const [file, data] of model.files) await store.writeFile(file, data);
  await writeManifest(store, createManifest({ algorithm, framework: { name: 'sagemaker-byoc', version: '0' }, inputSchema, hyperparameters: {} }));
  return dir;
}

before(async () => {
  const dw = new DatawigAlgorithm();
  const ctx = createTestTrainContext({ train: textTable(120, 1) }, hp({ label_column: 'label', num_epochs: 1, model_family: 'network' }));
  const result = await dw.train(ctx);
  datawigDir = await writeModel('datawig', dw, ctx.model, result.inputSchema as never);
  const bl = new BaselineAlgorithm();
  const bctx = createTestTrainContext({ train: textTable(50, 2) }, { missing_values: ['', 'NA'], numeric_strategy: 'mean' as const, label_column: 'label' });
  const bresult = await bl.train(bctx as never);
  baselineDir = await writeModel('baseline', bl, bctx.model, bresult.inputSchema as never);
  secretFile = path.join(tmp.path, 'secret.txt');
  await writeFile(secretFile, `${SECRET}\n`);
});

/** A copy of a trained model directory, tampered with by `tamper(dir)`. */
async function tampered(source: string, tamper: (dir: string) => Promise<void>): Promise<string> {
  const dir = tmp.next('model');
  await cp(source, dir, { recursive: true });
  await tamper(dir);
  return dir;
}

async function editJson(dir: string, file: string, edit: (json: Doc) => void): Promise<void> {
  const json = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Doc;
  edit(json);
  await writeFile(path.join(dir, file), JSON.stringify(json));
}

/** Loads `dir` through ModelHost: failed within 5 s, the reason names `file` and holds none of `secrets`. */
async function expectFailed(dir: string, file: string, reason: RegExp, secrets: string[] = []): Promise<void> {
  const logger = new RecordingLogger();
  const host = new ModelHost(dir, registry, logger);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`load of ${file} did not settle within 5 s`)), 5000);
  });
  const state = await Promise.race([host.load(), timeout]).finally(() => clearTimeout(timer));
  assert.equal(state.status, 'failed');
  assert.ok(state.status === 'failed');
  assert.ok(state.reason.includes(file), `reason does not name ${file}: ${state.reason}`);
  assert.match(state.reason, reason);
  const logged = JSON.stringify(logger.entries);
  assert.ok(logged.includes('/ping answers 503'), logged);
  for (const secret of secrets) {
    assert.ok(!state.reason.includes(secret), `reason leaks the file's text: ${state.reason}`);
    assert.ok(!logged.includes(secret), `log leaks the file's text: ${logged}`);
  }
}

describe('hostile model directories end in state failed', () => {
  it('the untouched models load', async () => {
    for (const dir of [datawigDir, baselineDir]) {
      const state = await new ModelHost(dir, registry, new RecordingLogger()).load();
      assert.equal(state.status, 'ready', state.status === 'failed' ? state.reason : '');
    }
  });

  it('weights.bin as a symbolic link to /dev/zero or to a secret file', async () => {
    for (const target of ['/dev/zero', secretFile]) {
      const dir = await tampered(datawigDir, async (d) => {
        await rm(path.join(d, WEIGHTS));
        await symlink(target, path.join(d, WEIGHTS));
      });
      await expectFailed(dir, WEIGHTS, /symbolic link, not a regular file/, [SECRET]);
    }
  });

  it('target.json as a symbolic link to a secret file', async () => {
    const dir = await tampered(datawigDir, async (d) => {
      await rm(path.join(d, TARGET));
      await symlink(secretFile, path.join(d, TARGET));
    });
    await expectFailed(dir, TARGET, /symbolic link/, [SECRET]);
  });

  it('weights.bin as a FIFO does not hang the load', async () => {
    const dir = await tampered(datawigDir, async (d) => {
      await rm(path.join(d, WEIGHTS));
      execFileSync('mkfifo', [path.join(d, WEIGHTS)]);
    });
    await expectFailed(dir, WEIGHTS, /a FIFO, not a regular file/);
  });

  it('a sparse 1.9 GB weights.bin is refused by its size, not read', async () => {
    const dir = await tampered(datawigDir, async (d) => {
      await rm(path.join(d, WEIGHTS));
      await (await open(path.join(d, WEIGHTS), 'w')).close();
      await truncate(path.join(d, WEIGHTS), 1.9e9);
    });
    await expectFailed(dir, WEIGHTS, /1900000000 bytes, more than the \d+ allowed/);
  });

  it('NaN weights', async () => {
    const dir = await tampered(datawigDir, async (d) => {
      const bytes = await readFile(path.join(d, WEIGHTS));
      bytes.writeFloatLE(NaN, 4);
      await writeFile(path.join(d, WEIGHTS), bytes);
    });
    await expectFailed(dir, WEIGHTS, /not finite/);
  });

  const edits: [string, (a: Doc) => void, RegExp][] = [
    ['temperature 0', (a) => (a.temperature = 0), /"temperature" is the number 0, expected a positive number/],
    ['wordRange [1, 1e9]', (a) => (a.featurizer.wordRange = [1, 1e9]), /"featurizer\.wordRange"/],
    ['buckets 0', (a) => (a.featurizer.buckets = 0), /"featurizer\.buckets" is the number 0/],
    ['outDim 5e7', (a) => (a.net.outDim = 5e7), /"net\.outDim" is 50000000/],
    ['embDim changed', (a) => (a.net.embDim = 64), /"net\.embDim" \(64\) differs/],
  ];
  for (const [name, edit, reason] of edits) {
    it(`target.json with ${name}`, async () => {
      const dir = await tampered(datawigDir, (d) => editJson(d, TARGET, edit));
      await expectFailed(dir, TARGET, reason);
    });
  }

  it('target.json replaced by the content of /etc/hostname', async () => {
    const dir = await tampered(datawigDir, (d) => writeFile(path.join(d, TARGET), `${HOSTNAME}\n`));
    await expectFailed(dir, TARGET, /not valid JSON \(at position 0 of \d+\)/, [HOSTNAME, HOSTNAME.slice(0, 10)]);
  });

  it('baseline.json with bad values', async () => {
    const bad: [(m: Doc) => void, RegExp][] = [
      [(m) => (m.targets[0].fill.probability = 1.5), /"targets\[0\]\.fill\.probability" is 1\.5, expected a probability/],
      [(m) => (m.targets[0].column = 7), /"targets\[0\]\.column" is the number 7, expected a string/],
      [(m) => (m.targets = 'all'), /"targets" is a string of 3 characters, expected an array/],
      [
        (m) => (m.targets[0].fill = { kind: 'numeric', value: null, mean: 1, median: 1, count: 3 }),
        /"targets\[0\]\.fill\.value" is null, expected a finite number/,
      ],
    ];
    for (const [edit, reason] of bad) {
      const dir = await tampered(baselineDir, (d) => editJson(d, 'baseline.json', edit));
      await expectFailed(dir, 'baseline.json', reason);
    }
    const secret = await tampered(baselineDir, (d) => writeFile(path.join(d, 'baseline.json'), `${SECRET}\n`));
    await expectFailed(secret, 'baseline.json', /not valid JSON/, [SECRET]);
  });

  it('a manifest.json that is not JSON', async () => {
    const dir = await tampered(baselineDir, (d) => writeFile(path.join(d, 'manifest.json'), `root:x:0:0:${SECRET}:/root:/bin/bash\n`));
    await expectFailed(dir, 'manifest.json', /not valid JSON \(at position 0 of \d+\)/, [SECRET, 'root:x:0:0']);
  });
});
