/** End-to-end: `byoc train --data` (no ml-root) and the CLI's usage errors (exit 2), as child processes. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IMDB_DIR, killAll, makeTempDir, removeDir, runByoc } from '../helpers/e2e.js';

let tmp: string;
before(async () => {
  tmp = await makeTempDir('byoc-e2e-local-train-');
});
after(async () => {
  killAll();
  await removeDir(tmp);
});

const stagedFolders = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('byoc-train-'));

// one job at a time: the first test counts the staging folders in the temp directory
describe('byoc train --data', () => {
  it('trains on a CSV file into --model-dir, hyperparameters from a file and --hp flags, leaving no staging behind', async () => {
    // the job's own temp directory: test files running beside this one stage their jobs in the shared one
    const jobTmp = path.join(tmp, 'job-tmp');
    await mkdir(jobTmp);
    const hpFile = path.join(tmp, 'hp.json');
    await writeFile(hpFile, JSON.stringify({ algorithm: 'baseline', label_column: 'nope' }));
    const modelDir = path.join(tmp, 'a', 'model');
    const result = await runByoc(
      ['train', '--data', path.join(IMDB_DIR, 'train.csv'), '--hyperparameters', hpFile, '--hp', 'label_column=rating_binary', '--model-dir', modelDir],
      { TMPDIR: jobTmp },
    );
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.algorithm.name, 'baseline', 'from the file');
    assert.equal(manifest.hyperparameters.label_column, 'rating_binary', '--hp wins over the file');
    assert.ok(existsSync(path.join(tmp, 'a', 'output', 'data')), 'output data next to the model');
    assert.deepEqual(await stagedFolders(jobTmp), []);
  });

  it('a failing job writes the reason to <model-dir>/../output/failure (or --output-dir) and exits 255', async () => {
    const out = path.join(tmp, 'b-out');
    const result = await runByoc([
      'train',
      '--data',
      path.join(IMDB_DIR, 'train.csv'),
      '--hp',
      'algorithm=baseline',
      '--hp',
      'num_epoch=3',
      '--model-dir',
      path.join(tmp, 'b', 'model'),
      '--output-dir',
      out,
    ]);
    assert.equal(result.code, 255, result.stderr);
    assert.match(await readFile(path.join(out, 'failure'), 'utf8'), /unknown hyperparameter "num_epoch"/);
  });
});

describe('byoc usage errors: exit 2, one message', { concurrency: 2 }, () => {
  const cases: [string, string[], RegExp][] = [
    ['--data without --model-dir', ['train', '--data', 'x.csv'], /--data needs --model-dir/],
    ['--data with --ml-root', ['train', '--data', 'x.csv', '--model-dir', 'm', '--ml-root', 'r'], /exclude each other/],
    ['--hp without --data', ['train', '--hp', 'a=b', '--ml-root', 'r'], /--hp needs --data/],
    ['a missing data file', ['train', '--data', '/nonexistent/x.csv', '--model-dir', 'm'], /--data \/nonexistent\/x.csv: no such file/],
    ['a --hp without =', ['train', '--data', 'README.md', '--hp', 'label', '--model-dir', 'm'], /--hp "label": expected key=value/],
    // CI machines have no /opt/ml (it exists inside a SageMaker training container)
    ['train with no /opt/ml and no flags', ['train'], /pass --data train.csv --model-dir DIR/],
    ['an invalid port', ['serve', '--port', 'abc'], /--port must be a positive integer/],
    ['a missing required option', ['impute', '--input', 'x.csv'], /required option '--model <dir>'/],
    ['an unknown option', ['algorithms', '--nope'], /unknown option '--nope'/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const result = await runByoc(args);
      assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split(message).length, 2, `the message is printed once: ${result.stderr}`);
    });
  }
});
