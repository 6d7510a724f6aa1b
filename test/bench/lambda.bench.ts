/**
 * Lambda handler benchmark (`npm run bench:lambda`), in process (no AWS): for a `baseline` and a
 * `datawig` model trained here by `byoc train` on a small table,
 *   - cold start in a fresh Node process, as Lambda's runtime starts it: import of
 *     dist/bundle/lambda.js, composition and model load (handler.ready), then the first
 *     /invocations event answered (median of LAMBDA_BENCH_COLD runs, default 5);
 *   - warm latency of LAMBDA_BENCH_N (default 2000) API Gateway HTTP API events POST /invocations
 *     with a 3-row base64 CSV, beside `app.request()` of the same request against an app built from
 *     the same dependencies, alternating one of each (median, p95, p99, mean).
 * The figures go to docs/lambda.md. Not measured: Lambda's own overhead (its runtime API, the
 * event's JSON, API Gateway or the Function URL in front), which needs an AWS account.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { builtInAlgorithms } from '../../container/image/algorithms.js';
import { createLambdaHandler } from '../../framework/commands/lambda.js';
import { createApp } from '../../framework/serving/app.js';
import { cleanEnv, makeTempDir, removeDir, REPO_ROOT, runByoc } from '../helpers/e2e.js';
import { percentile } from '../reliability/lib.js';

const N = Number(process.env.LAMBDA_BENCH_N ?? 2000);
const COLD_RUNS = Number(process.env.LAMBDA_BENCH_COLD ?? 5);
const BUNDLE = path.join(REPO_ROOT, 'dist', 'bundle', 'lambda.js');
const EVENT = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'lambda-events', 'http-api-csv-base64.json'), 'utf8')) as {
  body: string;
  headers: Record<string, string>;
};
const CSV = Buffer.from(EVENT.body, 'base64');

const COLOURS = ['red', 'blue', 'green'];
function table(rows: number): string {
  const lines = ['id,colour,size'];
  for (let i = 0; i < rows; i++) lines.push(`a ${COLOURS[i % 3]} shirt ${i},${i % 10 === 0 ? '' : COLOURS[i % 3]},${i % 7 === 0 ? '' : 10 + (i % 3) * 5}`);
  return `${lines.join('\n')}\n`;
}

const median = (xs: number[]): number => percentile(xs, 50);
const ms = (x: number): string => x.toFixed(3);

/** One cold start in a fresh process; times are from the process's start (performance.timeOrigin). */
interface Cold {
  node: number;
  imported: number;
  ready: number;
  first: number;
}

function coldStart(modelDir: string): Promise<Cold> {
  const script = [
    'const node = performance.now();',
    `const { handler } = await import(${JSON.stringify(BUNDLE)});`,
    'const imported = performance.now();',
    'await handler.ready;',
    'const ready = performance.now();',
    'const r = await handler(JSON.parse(process.argv[1]), { awsRequestId: "cold" });',
    'if (r.statusCode !== 200) throw new Error(r.body);',
    'process.stderr.write("COLD " + JSON.stringify({ node, imported, ready, first: performance.now() }) + "\\n");',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(EVENT)],
      { env: cleanEnv({ BYOC_MODEL_DIR: modelDir }), timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, _out, err) => {
        if (error) return reject(new Error(`${error.message}\n${err}`));
        const line = err.split('\n').find((l) => l.startsWith('COLD '));
        if (!line) return reject(new Error(`no timing line:\n${err}`));
        resolve(JSON.parse(line.slice(5)) as Cold);
      },
    );
  });
}

async function warm(modelDir: string): Promise<{ lambda: number[]; app: number[]; inProcessColdMs: number }> {
  const discard = new Writable({ write: (_c, _e, done) => done() });
  const handler = createLambdaHandler(builtInAlgorithms, { env: { BYOC_MODEL_DIR: modelDir, BYOC_LOG_FORMAT: 'json' }, logStream: discard });
  const { deps, coldStartMs } = await handler.ready;
  const app = createApp(deps);
  const headers = { ...EVENT.headers, 'x-request-id': 'bench', 'content-length': String(CSV.byteLength) };
  const context = { awsRequestId: 'bench' };
  const lambda: number[] = [];
  const direct: number[] = [];
  const once = async (record: boolean): Promise<void> => {
    let t = performance.now();
    const result = await handler(EVENT, context);
    if (record) lambda.push(performance.now() - t);
    if (result.statusCode !== 200) throw new Error(`lambda: ${result.statusCode} ${result.body}`);
    t = performance.now();
    const res = await app.request('/invocations', { method: 'POST', headers, body: CSV });
    await res.text();
    if (record) direct.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`app: ${res.status}`);
  };
  for (let i = 0; i < Math.min(500, N); i++) await once(false);
  for (let i = 0; i < N; i++) await once(true);
  return { lambda, app: direct, inProcessColdMs: coldStartMs };
}

function row(name: string, xs: number[]): string {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `| ${name} | ${ms(median(xs))} | ${ms(percentile(xs, 95))} | ${ms(percentile(xs, 99))} | ${ms(mean)} |`;
}

async function main(): Promise<void> {
  console.log(`# lambda bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), N=${N}, cold runs=${COLD_RUNS}`);
  const tmp = await makeTempDir('byoc-lambda-bench-');
  try {
    const data = path.join(tmp, 'train.csv');
    await writeFile(data, table(240));
    for (const algorithm of ['baseline', 'datawig']) {
      const modelDir = path.join(tmp, algorithm, 'model');
      const hps = ['--hp', `algorithm=${algorithm}`, ...(algorithm === 'datawig' ? ['--hp', 'num_epochs=3'] : [])];
      const trained = await runByoc(['train', '--data', data, ...hps, '--model-dir', modelDir], {}, 300_000);
      if (trained.code !== 0) throw new Error(`training ${algorithm} failed: ${trained.stderr}`);
      const colds: Cold[] = [];
      for (let i = 0; i < COLD_RUNS; i++) colds.push(await coldStart(modelDir));
      const { lambda, app, inProcessColdMs } = await warm(modelDir);
      console.log(`\n## ${algorithm}\n`);
      console.log('cold start in a fresh process (ms from process start, median of runs):');
      console.log('| node up | bundle imported | handler ready (config, model loaded) | first /invocations answered |\n|---|---|---|---|');
      const m = (k: keyof Cold): string => median(colds.map((c) => c[k])).toFixed(0);
      console.log(`| ${m('node')} | ${m('imported')} | ${m('ready')} | ${m('first')} |`);
      console.log(`in-process composition + model load (createLambdaHandler → ready, modules already loaded): ${inProcessColdMs} ms`);
      console.log(`\nwarm POST /invocations, 3-row CSV (ms per request, N=${N}):`);
      console.log('| path | median | p95 | p99 | mean |\n|---|---|---|---|---|');
      console.log(row('Lambda handler (HTTP API v2 event, base64 body)', lambda));
      console.log(row('app.request() (same request, same app deps)', app));
      console.log(`handler overhead, median: ${ms(median(lambda) - median(app))} ms`);
    }
  } finally {
    await removeDir(tmp);
  }
}

await main();
