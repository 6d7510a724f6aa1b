/** End-to-end: `byoc train`, `byoc algorithms` and `byoc impute` as child processes on temp ml-root trees. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { BASELINE_HPS, IMDB_DIR, SHARED_IMDB_DIR, SLOW_PLUGIN, buildMlRoot, killAll, makeTempDir, removeDir, runByoc, startByoc } from '../helpers/e2e.js';

let tmp: string;
let n = 0;
const newRoot = (): string => path.join(tmp, `root-${++n}`);
const failureOf = (root: string): Promise<string> => readFile(path.join(root, 'output', 'failure'), 'utf8');

before(async () => {
  tmp = await makeTempDir('byoc-e2e-train-');
});
after(async () => {
  killAll();
  await removeDir(tmp);
});

describe('fixture data', () => {
  it('the checked-in IMDB sample matches ../shared when that folder exists', async (t) => {
    const ours = await readFile(path.join(IMDB_DIR, 'train.csv'), 'utf8');
    assert.equal(parse(ours, { columns: true }).length, 50);
    if (!existsSync(SHARED_IMDB_DIR)) {
      t.diagnostic(`${SHARED_IMDB_DIR} absent: only the checked-in copy was checked`);
      return;
    }
    assert.equal(await readFile(path.join(SHARED_IMDB_DIR, 'train.csv'), 'utf8'), ours);
  });
});

describe('byoc train', { concurrency: 3 }, () => {
  it('trains baseline: exit 0, manifest.json + baseline.json, no failure file', async () => {
    const root = await buildMlRoot(newRoot());
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await readFile(path.join(root, 'model', 'manifest.json'), 'utf8'));
    assert.equal(manifest.algorithm.name, 'baseline');
    assert.equal(manifest.format, 1);
    assert.equal(manifest.framework.name, 'sagemaker-byoc');
    assert.ok(!Number.isNaN(Date.parse(manifest.createdAt)));
    assert.deepEqual(
      manifest.inputSchema.columns.map((c: { name: string }) => c.name),
      ['rating_binary', 'review'],
    );
    assert.deepEqual(manifest.inputSchema.requiredColumns, ['review']);
    assert.equal(manifest.hyperparameters.num_epochs, 10);
    const model = JSON.parse(await readFile(path.join(root, 'model', 'baseline.json'), 'utf8'));
    assert.equal(model.targets[0].column, 'rating_binary');
    assert.equal(model.targets[0].fill.value, 'negative');
    assert.equal(existsSync(path.join(root, 'output', 'failure')), false);
    // metric line in the documented format
    assert.match(result.stdout, /^METRIC train:rating_binary:known_fraction=1$/m);
  });

  it('reads nested folders and .gz files of a channel', async () => {
    const { gzipSync } = await import('node:zlib');
    const root = await buildMlRoot(newRoot(), {
      hyperparameters: { algorithm: 'baseline', label_column: 'c' },
      trainFiles: {
        'part-1.csv': 'c,f\nx,1\n',
        'sub/deeper/part-2.csv.gz': gzipSync('c,f\ny,2\ny,3\n'),
        _SUCCESS: '',
        '.DS_Store': 'junk',
      },
    });
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await readFile(path.join(root, 'model', 'manifest.json'), 'utf8'));
    assert.equal(manifest.metrics.rows, 3);
    const model = JSON.parse(await readFile(path.join(root, 'model', 'baseline.json'), 'utf8'));
    assert.equal(model.targets[0].fill.value, 'y');
  });

  it('a bad hyperparameter value: exit 255, output/failure names key and value, reason first', async () => {
    const root = await buildMlRoot(newRoot(), { hyperparameters: { ...BASELINE_HPS, num_epochs: 'ten' } });
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 255);
    const failure = await failureOf(root);
    const first = failure.split('\n')[0]!;
    assert.match(first, /num_epochs/);
    assert.match(first, /"ten"/);
    assert.match(first, /integer/);
    assert.doesNotMatch(failure, /^\s+at /m, 'no stack trace for a user error');
    assert.equal(existsSync(path.join(root, 'model', 'manifest.json')), false);
  });

  it('an unknown hyperparameter key: exit 255, failure names it', async () => {
    const root = await buildMlRoot(newRoot(), { hyperparameters: { ...BASELINE_HPS, learning_rte: '0.1' } });
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 255);
    const failure = await failureOf(root);
    assert.match(failure.split('\n')[0]!, /learning_rte/);
    assert.doesNotMatch(failure, /^\s+at /m);
  });

  it('SageMaker reserved keys are not errors', async () => {
    const root = await buildMlRoot(newRoot(), {
      hyperparameters: { ...BASELINE_HPS, sagemaker_program: 'x', _tuning_objective_metric: 'validation:accuracy' },
    });
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 0, result.stderr);
  });

  it('an unknown algorithm: failure lists the known algorithms', async () => {
    const root = await buildMlRoot(newRoot(), { hyperparameters: { ...BASELINE_HPS, algorithm: 'xgboostt' } });
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 255);
    const failure = await failureOf(root);
    assert.match(failure, /unknown algorithm "xgboostt"/);
    assert.match(failure, /registered algorithms: .*baseline/);
  });

  it('an empty channel: failure names the channel and the likely cause', async () => {
    const root = await buildMlRoot(newRoot(), { emptyTrain: true });
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 255);
    const failure = await failureOf(root);
    assert.match(failure, /channel "train" is empty/);
    assert.match(failure, /S3 prefix/);
  });

  it('corrupt hyperparameters.json: failure names the file', async () => {
    const root = await buildMlRoot(newRoot());
    await writeFile(path.join(root, 'input', 'config', 'hyperparameters.json'), '{"algorithm": ');
    const result = await runByoc(['train', '--ml-root', root]);
    assert.equal(result.code, 255);
    assert.match(await failureOf(root), /hyperparameters\.json .* is not valid JSON/);
  });

  it('a bad configuration value still leaves output/failure', async () => {
    const root = await buildMlRoot(newRoot());
    const result = await runByoc(['train', '--ml-root', root], { BYOC_LOG_LEVEL: 'chatty' });
    assert.equal(result.code, 255);
    const failure = await failureOf(root);
    assert.match(failure, /logging\.level/);
    assert.match(failure, /BYOC_LOG_LEVEL/);
  });

  it('SIGTERM during training (plugin loaded via BYOC_PLUGINS): exit 143, failure says stopped by SIGTERM', async () => {
    assert.ok(existsSync(SLOW_PLUGIN), `${SLOW_PLUGIN} must be built`);
    const root = await buildMlRoot(newRoot(), { hyperparameters: { algorithm: 'slow', train_seconds: '60' } });
    const proc = startByoc(['train', '--ml-root', root], { BYOC_PLUGINS: SLOW_PLUGIN });
    try {
      await proc.waitForOutput(/training started/, 15_000);
      const sentAt = Date.now();
      proc.kill('SIGTERM');
      const result = await proc.exit(15_000);
      assert.equal(result.code, 143, result.stderr);
      assert.ok(Date.now() - sentAt < 10_000, 'the job stops promptly once the plugin sees the abort');
      const failure = await failureOf(root);
      assert.match(failure.split('\n')[0]!, /stopped by SIGTERM/);
      assert.equal(existsSync(path.join(root, 'model', 'manifest.json')), false);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});

describe('byoc train: SIGTERM with an algorithm that ignores the abort signal', () => {
  it('exits 143 after BYOC_ABORT_GRACE_SECONDS with a failure saying so', async () => {
    const root = await buildMlRoot(newRoot(), { hyperparameters: { algorithm: 'slow', train_seconds: '60', ignore_abort: 'true' } });
    const proc = startByoc(['train', '--ml-root', root], { BYOC_PLUGINS: SLOW_PLUGIN, BYOC_ABORT_GRACE_SECONDS: '1' });
    try {
      await proc.waitForOutput(/training started/, 15_000);
      const sentAt = Date.now();
      proc.kill('SIGTERM');
      const result = await proc.exit(15_000);
      const elapsed = Date.now() - sentAt;
      assert.equal(result.code, 143, result.stderr);
      assert.ok(elapsed >= 900 && elapsed < 8000, `exited ${elapsed} ms after SIGTERM`);
      assert.match(await failureOf(root), /stopped by SIGTERM and the algorithm did not stop within 1 s/);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});

describe('byoc algorithms', { concurrency: 3 }, () => {
  it('lists baseline with its hyperparameters', async () => {
    const result = await runByoc(['algorithms']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^baseline \d+\.\d+\.\d+/m);
    for (const key of ['label_column', 'feature_columns', 'numeric_strategy', 'missing_values']) {
      assert.match(result.stdout, new RegExp(`^\\s+${key}\\s`, 'm'), key);
    }
    assert.match(result.stdout, /enum \(mean \| median\)/);
  });

  it('--json is machine-readable and includes plugins from BYOC_PLUGINS', async () => {
    const result = await runByoc(['algorithms', '--json'], { BYOC_PLUGINS: SLOW_PLUGIN });
    assert.equal(result.code, 0, result.stderr);
    const list = JSON.parse(result.stdout) as Array<{ name: string; hyperparameters: Record<string, unknown> }>;
    const names = list.map((a) => a.name);
    assert.ok(names.includes('baseline') && names.includes('slow'), names.join(','));
    assert.ok('numeric_strategy' in list.find((a) => a.name === 'baseline')!.hyperparameters);
  });

  it('a plugin that cannot be loaded is a clear error, exit 2', async () => {
    const result = await runByoc(['algorithms'], { BYOC_PLUGINS: '@nonexistent/byoc-plugin-xyz' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /plugin package "@nonexistent\/byoc-plugin-xyz"/);
  });
});

describe('byoc impute', () => {
  it('writes one output row per input row, with the imputed columns', async () => {
    const root = await buildMlRoot(newRoot());
    const trained = await runByoc(['train', '--ml-root', root]);
    assert.equal(trained.code, 0, trained.stderr);
    const input = path.join(IMDB_DIR, 'test.csv');
    const output = path.join(tmp, 'imputed.csv');
    const result = await runByoc(['impute', '--model', path.join(root, 'model'), '--input', input, '--output', output, '--chunk-rows', '7']);
    assert.equal(result.code, 0, result.stderr);
    const inRows = parse(await readFile(input, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    const outRows = parse(await readFile(output, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    assert.equal(outRows.length, inRows.length);
    assert.equal(outRows.length, 50);
    outRows.forEach((row, i) => {
      assert.equal(row.review, inRows[i]!.review, `row ${i} review unchanged`);
      assert.equal(row.rating_binary, inRows[i]!.rating_binary);
      // every label is present, so nothing is imputed
      assert.equal(row.rating_binary_imputed, '');
    });
    assert.ok('rating_binary_imputed_proba' in outRows[0]!);
  });

  it('--attributes impute_present=true imputes present values too', async () => {
    const root = await buildMlRoot(newRoot());
    assert.equal((await runByoc(['train', '--ml-root', root])).code, 0);
    const input = path.join(tmp, 'small.csv');
    await writeFile(input, 'rating_binary,review\npositive,great\n,bad\n');
    const output = path.join(tmp, 'small-out.csv');
    const result = await runByoc(['impute', '--model', path.join(root, 'model'), '--input', input, '--output', output, '--attributes', 'impute_present=true']);
    assert.equal(result.code, 0, result.stderr);
    const rows = parse(await readFile(output, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(
      rows.map((r) => r.rating_binary_imputed),
      ['negative', 'negative'],
    );
    assert.deepEqual(
      rows.map((r) => r.rating_binary_imputed_proba),
      ['0.58', '0.58'],
    );
  });

  it('a model dir without a model: exit 1 with the reason', async () => {
    const empty = path.join(tmp, 'empty-model');
    await mkdir(empty);
    const result = await runByoc(['impute', '--model', empty, '--input', 'x.csv', '--output', path.join(tmp, 'o.csv')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no model found/);
  });
});
