/**
 * Hostile training input: `byoc train` as a child process (baseline algorithm) on whatever a user
 * might upload. Each case either trains, or fails with exit 255 and a reason in output/failure that
 * names the file/column/setting and says what to do. Failures of expected kinds carry no stack.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { access, copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { buildMlRoot, killAll, makeTempDir, removeDir, runByoc, startByoc, type RunResult } from '../helpers/e2e.js';
import { BASELINE_HPS, imdbTrainCsv } from './lib.js';

let tmp: string;
let imdb: Buffer;
let counter = 0;

before(async () => {
  tmp = await makeTempDir('byoc-rel-train-');
  imdb = await readFile(await imdbTrainCsv());
});

after(async () => {
  killAll();
  await removeDir(tmp);
});

interface Outcome extends RunResult {
  root: string;
  failure: string | undefined;
}

async function train(
  files: Record<string, string | Uint8Array> | 'empty',
  hyperparameters: Record<string, unknown> = BASELINE_HPS,
  env: Record<string, string> = {},
  root = path.join(tmp, `job-${++counter}`),
): Promise<Outcome> {
  await buildMlRoot(root, files === 'empty' ? { hyperparameters, emptyTrain: true } : { hyperparameters, trainFiles: files });
  const result = await runByoc(['train', '--ml-root', root], env, 60_000);
  const failure = await readFile(path.join(root, 'output', 'failure'), 'utf8').catch(() => undefined);
  return { ...result, root, failure };
}

/** Exit 255, output/failure holds every expected fragment in its first line(s), and no stack. */
function assertFailure(outcome: Outcome, ...fragments: Array<string | RegExp>): void {
  assert.equal(outcome.code, 255, `expected a failed job; stdout:\n${outcome.stdout.slice(-2000)}\nstderr:\n${outcome.stderr}`);
  assert.ok(outcome.failure, 'output/failure was written');
  const reason = outcome.failure!;
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(reason.includes(f), `failure should include ${JSON.stringify(f)}:\n${reason}`);
    else assert.match(reason, f);
  }
  assert.doesNotMatch(reason, /Details \(unexpected error|\n\s+at /, `an input problem must not be reported as an unexpected error:\n${reason}`);
  // SageMaker shows the first ~1 KB as FailureReason: the reason must be there.
  assert.ok(reason.indexOf('\n') < 1024 || reason.length < 1024, 'first line of the failure within 1 KB');
}

async function assertTrained(outcome: Outcome): Promise<Record<string, unknown>> {
  assert.equal(outcome.code, 0, `expected success; failure: ${outcome.failure}\nstderr:\n${outcome.stderr}`);
  assert.equal(outcome.failure, undefined);
  return JSON.parse(await readFile(path.join(outcome.root, 'model', 'manifest.json'), 'utf8')) as Record<string, unknown>;
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('training input: each trains or fails with an actionable reason', { concurrency: 2 }, () => {
  it('truncated gzip (.gz) → "not a complete gzip file ... re-upload it"', async () => {
    const gz = gzipSync(imdb);
    assertFailure(await train({ 'train.csv.gz': gz.subarray(0, Math.floor(gz.length / 2)) }), 'file train.csv.gz is not a complete gzip file', 're-upload it');
  });

  it('truncated gzip detected by magic bytes, without .gz extension', async () => {
    const gz = gzipSync(imdb);
    assertFailure(await train({ 'part-00000': gz.subarray(0, 100) }), 'file part-00000 is not a complete gzip file');
  });

  it('a complete gzip file trains', async () => {
    const manifest = await assertTrained(await train({ 'train.csv.gz': gzipSync(imdb) }));
    assert.equal((manifest['metrics'] as Record<string, number>)['rows'], 50);
  });

  it('latin-1 bytes in a UTF-8 channel → names the file and asks for UTF-8', async () => {
    const outcome = await train({
      'a-good.csv': imdb,
      'b-latin1.csv': latin1('rating_binary,review\npositive,Un film très réussi\n'),
    });
    assertFailure(outcome, 'file b-latin1.csv is not UTF-8 text', 'save it as UTF-8 CSV');
  });

  it('a header-only file → "has a header but no data rows"', async () => {
    assertFailure(await train({ 'train.csv': 'rating_binary,review\n' }), 'channel "train" has a header but no data rows', 'train.csv');
  });

  it('duplicated header names → names the repeated column', async () => {
    assertFailure(await train({ 'train.csv': 'review,rating_binary,review\na,positive,b\n' }), 'file train.csv: the header repeats column name(s) "review"');
  });

  it('an empty header name → names its position', async () => {
    assertFailure(await train({ 'train.csv': 'review,,rating_binary\na,x,positive\n' }), 'the header has empty column names at position(s) 2');
  });

  it('a ragged row → names the record and the field counts', async () => {
    assertFailure(
      await train({ 'train.csv': 'review,rating_binary\na,positive\nb,negative,extra\n' }),
      /file train\.csv, line 3: 3 fields, but the header has 2 \(review, rating_binary\)/,
    );
  });

  it('an unclosed quote → "is not valid CSV" with the file', async () => {
    assertFailure(await train({ 'train.csv': 'review,rating_binary\n"never closed,positive\n' }), 'file train.csv is not valid CSV', /Quote Not Closed/i);
  });

  it('files with different headers → "must share one header"', async () => {
    assertFailure(
      await train({ 'a.csv': 'review,rating_binary\na,positive\n', 'b.csv': 'text,label\nb,negative\n' }),
      'file b.csv has columns [text, label] but a.csv has [review, rating_binary]',
      'all files of a channel must share one header',
    );
  });

  it('a label column with one value trains (that value, probability 1)', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `review ${i},positive`).join('\n');
    const outcome = await train({ 'train.csv': `review,rating_binary\n${rows}\n` });
    await assertTrained(outcome);
    const model = JSON.parse(await readFile(path.join(outcome.root, 'model', 'baseline.json'), 'utf8')) as {
      targets: Array<{ fill: { value: string; probability: number } }>;
    };
    assert.deepEqual([model.targets[0]!.fill.value, model.targets[0]!.fill.probability], ['positive', 1]);
  });

  it('a label column without any known value → "has no known values"', async () => {
    assertFailure(await train({ 'train.csv': 'review,rating_binary\na,\nb,NA\n' }), 'label_column "rating_binary" has no known values in 2 rows');
  });

  it('~200k distinct labels train in bounded time', async () => {
    const n = 200_000;
    const rows: string[] = ['review,rating_binary'];
    for (let i = 0; i < n; i++) rows.push(`r${i},label-${i.toString(36)}`);
    const started = performance.now();
    const outcome = await train({ 'train.csv': `${rows.join('\n')}\n` });
    const manifest = await assertTrained(outcome);
    assert.equal((manifest['metrics'] as Record<string, number>)['rows'], n);
    assert.ok(performance.now() - started < 30_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('an empty channel folder → "is empty" with the likely causes', async () => {
    assertFailure(await train('empty'), 'channel "train" is empty: no data files under', 'wrong S3 prefix');
  });

  it('a channel of junk files only (.DS_Store, _SUCCESS, empty file) → "is empty"', async () => {
    assertFailure(
      await train({ '.DS_Store': Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31, 0xff]), _SUCCESS: '', 'empty.csv': '' }),
      'channel "train" is empty',
    );
  });

  it('nested folders with .DS_Store, _SUCCESS, hidden and .crc files: only data files are read', async () => {
    const text = imdb.toString('utf8');
    const manifest = await assertTrained(
      await train({
        'year=2024/part-00000.csv': imdb,
        'year=2024/month=01/part-00001.csv.gz': gzipSync(imdb),
        'year=2024/.DS_Store': Buffer.from([0x00, 0x00, 0x00, 0x01, 0x42, 0x75, 0x64, 0x31, 0xc3, 0x28]),
        'year=2024/_SUCCESS': '',
        'year=2024/month=01/_SUCCESS': '',
        '.hidden/part-9.csv': 'not,a,real\nfile\n',
        'year=2024/.part-00000.csv.crc': Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        'year=2024/part-00000.csv.crc': Buffer.from([0xde, 0xad]),
        'year=2024/empty.csv': '',
      }),
    );
    assert.equal((manifest['metrics'] as Record<string, number>)['rows'], 2 * (text.trimEnd().split('\n').length - 1));
  });

  it('a BOM and CRLF line ends train', async () => {
    const manifest = await assertTrained(await train({ 'train.csv': '\uFEFFreview,rating_binary\r\na,positive\r\nb,negative\r\nc,positive\r\n' }));
    assert.deepEqual((manifest['inputSchema'] as { requiredColumns: string[] }).requiredColumns, ['review']);
  });

  it('a "__proto__" label column keeps its values (not read through the prototype)', async () => {
    const outcome = await train({ 'train.csv': 'review,__proto__\na,x\nb,x\nc,y\n' }, { algorithm: 'baseline', label_column: '__proto__' });
    await assertTrained(outcome);
    const model = JSON.parse(await readFile(path.join(outcome.root, 'model', 'baseline.json'), 'utf8')) as { targets: Array<{ fill: { value: string } }> };
    assert.equal(model.targets[0]!.fill.value, 'x');
  });

  it('algorithm "../../x" is refused: only registered plugins, nothing loaded from a path', async () => {
    const outcome = await train({ 'train.csv': imdb }, { ...BASELINE_HPS, algorithm: '../../x' });
    assertFailure(outcome, 'unknown algorithm "../../x" (hyperparameter "algorithm"); registered algorithms:', 'baseline');
    await assert.rejects(access(path.join(outcome.root, 'model', 'manifest.json')));
  });

  it('a label_column that is not in the data → lists the columns', async () => {
    assertFailure(
      await train({ 'train.csv': imdb }, { ...BASELINE_HPS, label_column: 'sentiment' }),
      'label_column "sentiment" is not a column of the training data; columns: rating_binary, review',
    );
  });

  it('a misspelt hyperparameter → "did you mean"', async () => {
    assertFailure(
      await train({ 'train.csv': imdb }, { ...BASELINE_HPS, num_epoch: '3' }),
      'unknown hyperparameter "num_epoch" = "3"; did you mean "num_epochs"?',
    );
  });

  it('a hyperparameter list nested 100k levels deep → a TrainingError naming it, not a stack overflow', async () => {
    const deep = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    assertFailure(
      await train({ 'train.csv': imdb }, { ...BASELINE_HPS, missing_values: deep }),
      'hyperparameter "missing_values" =',
      'expected a list of strings',
    );
  });
});

let bombFile: string | undefined;

/** ~1 GB of "0,0,…" CSV lines, gzipped while generated (a few MB on disk); made once, copied into each job. */
async function gzipBomb(root: string): Promise<void> {
  if (!bombFile) {
    bombFile = path.join(tmp, 'bomb.csv.gz');
    const line = `${Array.from({ length: 32 }, () => '0').join(',')}\n`;
    const block = Buffer.from(line.repeat(Math.floor((1024 * 1024) / line.length)));
    const header = Buffer.from(`${Array.from({ length: 32 }, (_, i) => `c${i}`).join(',')}\n`);
    function* text(): Generator<Buffer> {
      yield header;
      for (let i = 0; i < 1024; i++) yield block;
    }
    await pipeline(Readable.from(text()), createGzip({ level: 1 }), createWriteStream(bombFile));
  }
  await buildMlRoot(root, { hyperparameters: BASELINE_HPS, trainFiles: {} });
  await copyFile(bombFile, path.join(root, 'input', 'data', 'train', 'train.csv.gz'));
}

/** Peak resident memory of a running process so far, in MB (Linux), or undefined. */
async function peakRssMb(pid: number | undefined): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status?.match(/^VmHWM:\s+(\d+) kB/m)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** Trains on the bomb with `env`, noting the peak resident memory and the time taken. */
async function trainOnBomb(env: Record<string, string>): Promise<Outcome & { seconds: number; peakMb: number }> {
  const root = path.join(tmp, `bomb-${++counter}`);
  await gzipBomb(root);
  const started = Date.now();
  const job = startByoc(['train', '--ml-root', root], env);
  let peakMb = 0;
  const poll = setInterval(() => void peakRssMb(job.child.pid).then((mb) => (peakMb = Math.max(peakMb, mb ?? 0))), 100);
  const result = await job.exit(60_000).finally(() => clearInterval(poll));
  const failure = await readFile(path.join(root, 'output', 'failure'), 'utf8').catch(() => undefined);
  return { ...result, root, failure, seconds: (Date.now() - started) / 1000, peakMb };
}

describe('training input bounds (end to end)', { concurrency: 1 }, () => {
  it('a gzip bomb (~1 GB of CSV text) stops at the byte limit in bounded time and memory, naming the limit', async () => {
    const outcome = await trainOnBomb({ BYOC_MAX_CHANNEL_MB: '20' });
    assertFailure(outcome, 'file train.csv.gz', 'more than 20 MB of CSV text (decompressed)', 'training.maxChannelMb', 'BYOC_MAX_CHANNEL_MB');
    assert.ok(outcome.seconds < 60, `took ${outcome.seconds} s`);
    // 20 MB of text as ~320k records of 32 cells (about 600 MB here), not the 4.5 GB of the unbounded read.
    assert.ok(outcome.peakMb < 1024, `peak RSS ${outcome.peakMb.toFixed(0)} MB`);
  });

  it('the same bomb under the default byte limit stops at the heap guard, before running out of memory', async () => {
    const outcome = await trainOnBomb({ NODE_OPTIONS: '--max-old-space-size=400' });
    assertFailure(outcome, 'file train.csv.gz', 'of the heap limit', 'does not fit in memory', 'training.maxTableHeapShare', 'BYOC_MAX_TABLE_HEAP_SHARE');
    assert.ok(outcome.seconds < 60, `took ${outcome.seconds} s`);
    assert.ok(outcome.peakMb < 1024, `peak RSS ${outcome.peakMb.toFixed(0)} MB`);
  });

  it('SIGTERM while a channel is read: the job stops within seconds with the stopped reason', async () => {
    const root = path.join(tmp, `bomb-${++counter}`);
    await gzipBomb(root);
    const job = startByoc(['train', '--ml-root', root]);
    await job.waitForOutput(/training started/, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sent = Date.now();
    job.kill('SIGTERM');
    const result = await job.exit(30_000);
    const seconds = (Date.now() - sent) / 1000;
    assert.equal(result.code, 143, `exit code; stderr:\n${result.stderr.slice(-2000)}`);
    // The read stops within ~1 s; the rest is the process writing output/failure and exiting.
    assert.ok(seconds < 5, `stopped ${seconds} s after SIGTERM`);
    const failure = await readFile(path.join(root, 'output', 'failure'), 'utf8');
    assert.match(failure, /stopped by SIGTERM/);
  });

  it('100,000 unknown hyperparameters → a short failure file and stderr listing 20 and counting the rest', async () => {
    const hps: Record<string, unknown> = { ...BASELINE_HPS };
    for (let i = 0; i < 100_000; i++) hps[`bogus_${i}`] = String(i);
    const outcome = await train({ 'train.csv': imdb }, hps);
    assertFailure(outcome, 'unknown hyperparameter "bogus_0" = "0"', 'and 99980 more problems with the hyperparameters');
    assert.ok(outcome.failure!.length < 64 * 1024, `failure file of ${outcome.failure!.length} characters`);
    assert.ok(outcome.stderr.length < 128 * 1024, `stderr of ${outcome.stderr.length} characters`);
  });
});
