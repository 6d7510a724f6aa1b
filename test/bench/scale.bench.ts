/**
 * `npm run bench:scale`: the figures of issue 15 (training at scale, batch payloads) measured in one
 * run, beside the issue's own ("before", measured on this 2-core machine with the code of then).
 *
 * Data (deterministic, seeded): a product table (a 9-word title with a planted colour word, brand,
 * size, price, weight, rating, colour with 20 % gaps) and low-rank numeric tables (10 % MCAR gaps).
 * Training rows: `byoc train --data ... --model-dir ...` as a child process under `/usr/bin/time -v`
 * (peak RSS), default datawig settings with `num_epochs=10`. Batch rows: `byoc serve --workers 2`
 * with SAGEMAKER_BATCH=true, a 6 MB CSV alone and 6 at once, and a 100 MB CSV (streamed) with /ping
 * asked meanwhile.
 *
 *   node dist/test/bench/scale.bench.js                  # default rows (~2 minutes on 2 cores)
 *   node dist/test/bench/scale.bench.js --full           # also 100,000 rows and 2,000 x 100 (~10 minutes more)
 *   node dist/test/bench/scale.bench.js --only batch     # or --only train
 *   node dist/test/bench/scale.bench.js --only batch --compare OLD/dist/bundle/byoc.js
 *       # batch rows for another build too, alternated with this one (before/after in one run)
 *   node dist/test/bench/scale.bench.js --write-data DIR # only write the tables (product-20000.csv, ...)
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { cleanEnv, freePort, MAIN, request } from '../helpers/e2e.js';
import { gaussian, lowRank, mask } from './lib/datawig-data.js';

// ---------------------------------------------------------------------------------------------
// Data

const COLOURS = ['red', 'blue', 'green', 'black', 'white', 'grey', 'yellow', 'pink', 'purple', 'orange', 'brown', 'silver'];
const BRANDS = ['acme', 'northwind', 'globex', 'initech', 'umbrella', 'hooli', 'vandelay', 'stark', 'wayne', 'tyrell', 'soylent', 'cyberdyne'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const WORDS = (
  'classic modern slim fit cotton wool linen soft warm light heavy duty outdoor indoor travel sport casual formal ' +
  'shirt jacket coat sweater hoodie trousers jeans shorts dress skirt scarf hat cap gloves socks boots shoes ' +
  'sneakers sandals bag backpack wallet belt watch lamp chair table mug bottle blanket pillow towel tent ' +
  'premium basic deluxe pro plus mini max ultra eco vintage retro new edition pack set pair for men women kids ' +
  'with pocket zip hood collar stripe pattern plain print logo waterproof breathable stretch organic recycled'
).split(' ');

export const PRODUCT_COLUMNS = ['title', 'brand', 'size', 'price', 'weight', 'rating', 'colour'];

/** One CSV line of the product table per row, `rows` of them from `seed` (no header). */
export function* productLines(rows: number, seed: number): Generator<string> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  for (let i = 0; i < rows; i++) {
    const colour = pick(COLOURS);
    const words: string[] = [];
    for (let w = 0; w < 8; w++) words.push(pick(WORDS));
    words.splice(Math.floor(r() * 9), 0, colour);
    const price = Math.exp(2.5 + 0.8 * gaussian(r)).toFixed(2);
    const weight = (0.1 + 4.9 * r()).toFixed(2);
    const rating = (1 + 4 * r()).toFixed(1);
    const known = r() >= 0.2 ? colour : '';
    yield `${words.join(' ')},${pick(BRANDS)},${pick(SIZES)},${price},${weight},${rating},${known}`;
  }
}

export function productCsv(rows: number, seed: number): string {
  return `${PRODUCT_COLUMNS.join(',')}\n${[...productLines(rows, seed)].join('\n')}\n`;
}

/** n rows x d columns of rank 3 plus noise, 10 % of the cells (MCAR) empty. */
export function lowRankCsv(n: number, d: number, seed: number): string {
  const X = lowRank(n, d, 3, seed);
  const M = mask(X, 0.1, 'MCAR', seed + 1);
  const header = Array.from({ length: d }, (_, j) => `x${j}`).join(',');
  return `${header}\n${X.map((row, i) => row.map((v, j) => (M[i]![j] ? '' : v.toFixed(4))).join(',')).join('\n')}\n`;
}

/** Product rows up to `bytes` of CSV (header included), written to `file`; returns the row count. */
async function writeProductFile(file: string, bytes: number, seed: number): Promise<number> {
  const out = createWriteStream(file);
  let size = 0;
  let rows = 0;
  let buffer = `${PRODUCT_COLUMNS.join(',')}\n`;
  size += buffer.length;
  for (const line of productLines(Number.MAX_SAFE_INTEGER, seed)) {
    if (size + line.length + 1 > bytes) break;
    buffer += `${line}\n`;
    size += line.length + 1;
    rows++;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end(buffer, (error?: Error | null) => (error ? reject(error) : resolve())));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Processes

function byocArgs(bundle: string, args: string[]): string[] {
  return [bundle, ...args];
}

/** `byoc train` under /usr/bin/time -v: seconds and peak RSS (MB). */
async function train(bundle: string, data: string, modelDir: string, hps: string[]): Promise<{ seconds: number; peakMb: number }> {
  const args = byocArgs(bundle, ['train', '--data', data, '--model-dir', modelDir, '--log-format', 'json', ...hps.flatMap((h) => ['--hp', h])]);
  const timed = existsSync('/usr/bin/time');
  const started = performance.now();
  const child = timed ? spawn('/usr/bin/time', ['-v', process.execPath, ...args], { env: cleanEnv() }) : spawn(process.execPath, args, { env: cleanEnv() });
  let stderr = '';
  let peakKb = 0;
  child.stdout.resume();
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-200_000)));
  // Without /usr/bin/time: the child's own high-water mark, sampled until it exits.
  const poll = timed ? undefined : setInterval(() => (peakKb = Math.max(peakKb, highWaterKb(child.pid!))), 100);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (poll) clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`byoc train exited with ${code}:\n${stderr.slice(-4000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (m) peakKb = Number(m[1]);
  return { seconds, peakMb: peakKb / 1024 };
}

/** VmHWM of a process in kB (0 once it is gone). */
function highWaterKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Server {
  port: number;
  pid: number;
  workers: number[];
  stop(): Promise<void>;
}

async function serve(bundle: string, modelDir: string, workers: number): Promise<Server> {
  const port = await freePort();
  const env = cleanEnv({ SAGEMAKER_BATCH: 'true', SAGEMAKER_MAX_PAYLOAD_IN_MB: '100', MODEL_SERVER_TIMEOUT: '600' });
  const child = spawn(process.execPath, byocArgs(bundle, ['serve', '--model', modelDir, '--port', String(port), '--workers', String(workers)]), { env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
  child.stderr.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (!/every worker has loaded the model/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`server did not start:\n${out.slice(-4000)}`);
    }
    await sleep(50);
  }
  return { port, pid: child.pid!, workers: childPids(child.pid!), stop };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An /invocations request for a CSV answer, `length` bytes of CSV. */
const invocation = (port: number, length: number): http.RequestOptions => ({
  host: '127.0.0.1',
  port,
  method: 'POST',
  path: '/invocations',
  agent: false,
  headers: { 'Content-Type': 'text/csv', Accept: 'text/csv', 'Content-Length': length },
});

/** POSTs a CSV (bytes, or a file streamed) and drains the answer: status, answer bytes, seconds. */
function post(port: number, body: { bytes: Buffer } | { file: string }): Promise<{ status: number; bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const length = 'bytes' in body ? body.bytes.length : statSync(body.file).size;
    const req = http.request(invocation(port, length), (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, seconds: (performance.now() - started) / 1000 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if ('bytes' in body) req.end(body.bytes);
    else createReadStream(body.file).pipe(req);
  });
}

/** Asks /ping every 20 ms until `stop` settles: the slowest answer (ms) and the failures. */
async function pingWhile(port: number, stop: Promise<unknown>): Promise<{ count: number; maxMs: number; failures: number }> {
  let done = false;
  void stop.finally(() => (done = true)).catch(() => undefined);
  let count = 0;
  let maxMs = 0;
  let failures = 0;
  while (!done) {
    const started = performance.now();
    try {
      if ((await request(port, 'GET', '/ping', { timeoutMs: 30_000 })).status !== 200) failures++;
    } catch {
      failures++;
    }
    const ms = performance.now() - started;
    count++;
    maxMs = Math.max(maxMs, ms);
    if (ms < 20) await sleep(20 - ms);
  }
  return { count, maxMs, failures };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ---------------------------------------------------------------------------------------------
// Rows

interface Row {
  what: string;
  before: string;
  now: string;
}

const TRAIN_ROWS = [
  { what: 'single target, 20,000 rows, 10 epochs', before: '13 s, peak RSS 231 MB', kind: 'product', rows: 20_000, full: false },
  { what: 'single target, 100,000 rows, 10 epochs', before: '112 s, 335 MB', kind: 'product', rows: 100_000, full: true },
  { what: 'complete mode, 2,000 rows x 30 numeric columns', before: '131 s, 371 MB', kind: 'numeric', rows: 2_000, columns: 30, full: false },
  { what: 'complete mode, 2,000 rows x 100 numeric columns', before: '594 s, 712 MB', kind: 'numeric', rows: 2_000, columns: 100, full: true },
] as const;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function trainRows(dir: string, full: boolean, rows: Row[]): Promise<string> {
  let productModel = '';
  for (const t of TRAIN_ROWS) {
    if (t.full && !full) continue;
    const data = path.join(dir, `${t.kind}-${t.rows}${'columns' in t ? `x${t.columns}` : ''}.csv`);
    const text = t.kind === 'product' ? productCsv(t.rows, 15) : lowRankCsv(t.rows, t.columns, 15);
    await writeFile(data, text);
    const modelDir = path.join(dir, `model-${path.basename(data, '.csv')}`);
    const hps = t.kind === 'product' ? ['label_column=colour', 'num_epochs=10'] : ['num_epochs=10'];
    process.stderr.write(`train: ${t.what} ...\n`);
    const r = await train(MAIN, data, modelDir, hps);
    rows.push({ what: `${t.what} (${mb(text.length)} MB)`, before: t.before, now: `${r.seconds.toFixed(1)} s, ${r.peakMb.toFixed(0)} MB` });
    if (t.kind === 'product' && t.rows === 20_000) productModel = modelDir;
  }
  return productModel;
}

interface BatchFigures {
  single: number;
  concurrent: number;
  big?: { seconds: number; rows: number; status: number; workerPeakMb: number; pings: number; pingMaxMs: number; pingFailures: number };
}

const SIX_MB = 6 * 1024 * 1024;

/** 6 MB alone (median of `repeats`) and 6 at once (median of `repeats` rounds), rows/s; then the 100 MB body on a fresh server. */
async function batchFigures(
  bundle: string,
  modelDir: string,
  csv6: Buffer,
  rows6: number,
  big: { file: string; rows: number } | undefined,
  repeats: number,
): Promise<BatchFigures> {
  const server = await serve(bundle, modelDir, 2);
  let single: number;
  let concurrent: number;
  try {
    const check = await post(server.port, { bytes: csv6 });
    if (check.status !== 200) throw new Error(`6 MB request: status ${check.status}`);
    const alone: number[] = [];
    for (let i = 0; i < repeats; i++) alone.push(rows6 / (await post(server.port, { bytes: csv6 })).seconds);
    const together: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 6 }, () => post(server.port, { bytes: csv6 })));
      if (answers.some((a) => a.status !== 200)) throw new Error(`6 concurrent: statuses ${answers.map((a) => a.status).join(' ')}`);
      together.push((6 * rows6) / ((performance.now() - started) / 1000));
    }
    single = median(alone);
    concurrent = median(together);
  } finally {
    await server.stop();
  }
  if (!big) return { single, concurrent };
  // A fresh server, so that the workers' high-water marks are the 100 MB body's.
  const fresh = await serve(bundle, modelDir, 2);
  try {
    const work = post(fresh.port, { file: big.file });
    const [answer, pings] = await Promise.all([work, pingWhile(fresh.port, work)]);
    const workerPeakMb = Math.max(...fresh.workers.map(highWaterKb)) / 1024;
    return {
      single,
      concurrent,
      big: {
        seconds: answer.seconds,
        rows: big.rows,
        status: answer.status,
        workerPeakMb,
        pings: pings.count,
        pingMaxMs: pings.maxMs,
        pingFailures: pings.failures,
      },
    };
  } finally {
    await fresh.stop();
  }
}

function batchRows(label: string, f: BatchFigures, rows6: number): Row[] {
  const out: Row[] = [
    {
      what: `${label}batch payload: one 6 MB CSV (${rows6.toLocaleString('en')} rows)`,
      before: '1.85 s (40k rows/s)',
      now: `${(rows6 / f.single).toFixed(2)} s (${(f.single / 1000).toFixed(0)}k rows/s)`,
    },
    { what: `${label}batch payload: 6 concurrent 6 MB CSVs on 2 workers`, before: '55k rows/s', now: `${(f.concurrent / 1000).toFixed(0)}k rows/s` },
  ];
  if (f.big) {
    const b = f.big;
    out.push({
      what: `${label}batch payload: one 100 MB CSV (${b.rows.toLocaleString('en')} rows, streamed)`,
      before: '-',
      now: `${b.status}, ${b.seconds.toFixed(1)} s (${(b.rows / b.seconds / 1000).toFixed(0)}k rows/s), worker peak RSS ${b.workerPeakMb.toFixed(0)} MB, ${b.pings} /ping, slowest ${b.pingMaxMs.toFixed(0)} ms, ${b.pingFailures} failed`,
    });
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const writeData = opt('--write-data');
  if (writeData) {
    await writeFile(path.join(writeData, 'product-20000.csv'), productCsv(20_000, 15));
    const rows6 = await writeProductFile(path.join(writeData, 'product-6mb.csv'), SIX_MB, 16);
    await writeFile(path.join(writeData, 'lowrank-2000x30.csv'), lowRankCsv(2_000, 30, 15));
    console.log(`wrote ${writeData}: product-20000.csv, product-6mb.csv (${rows6} rows), lowrank-2000x30.csv`);
    return;
  }
  const only = opt('--only');
  const full = argv.includes('--full');
  const compare = opt('--compare');
  const repeats = Number(opt('--repeats') ?? 3);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'byoc-scale-bench-'));
  const rows: Row[] = [];
  try {
    let productModel = '';
    if (only !== 'batch') productModel = await trainRows(dir, full, rows);
    if (only !== 'train') {
      if (!productModel) {
        const data = path.join(dir, 'product-20000.csv');
        await writeFile(data, productCsv(20_000, 15));
        productModel = path.join(dir, 'model-product');
        process.stderr.write('batch: training the product model ...\n');
        await train(MAIN, data, productModel, ['label_column=colour', 'num_epochs=10']);
      }
      const file6 = path.join(dir, 'product-6mb.csv');
      const rows6 = await writeProductFile(file6, SIX_MB, 16);
      const csv6 = await readFile(file6);
      const bigFile = path.join(dir, 'product-100mb.csv');
      const big = argv.includes('--no-100mb') ? undefined : { file: bigFile, rows: await writeProductFile(bigFile, 100 * 1024 * 1024, 17) };
      // Alternated (this build, the other, this build, ...) when comparing: the machine's speed drifts.
      const builds = compare
        ? [
            { label: 'other build: ', bundle: compare },
            { label: '', bundle: MAIN },
          ]
        : [{ label: '', bundle: MAIN }];
      const results = new Map<string, BatchFigures[]>();
      const rounds = compare ? 2 : 1;
      for (let round = 0; round < rounds; round++) {
        for (const b of builds) {
          process.stderr.write(`batch: ${b.label || 'this build'} round ${round + 1} ...\n`);
          const f = await batchFigures(b.bundle, productModel, csv6, rows6, round === 0 ? big : undefined, repeats);
          results.set(b.label, [...(results.get(b.label) ?? []), f]);
        }
      }
      for (const b of builds) {
        const fs = results.get(b.label)!;
        const merged: BatchFigures = { single: median(fs.map((f) => f.single)), concurrent: median(fs.map((f) => f.concurrent)), big: fs[0]!.big };
        rows.push(...batchRows(b.label, merged, rows6));
      }
      if (compare) {
        const [other, self] = builds.map((b) => results.get(b.label)!);
        const ratio = (k: 'single' | 'concurrent') => median(self!.map((f) => f[k])) / median(other!.map((f) => f[k]));
        rows.push({
          what: 'ratio this build / other build (6 MB alone, 6 concurrent)',
          before: '-',
          now: `${ratio('single').toFixed(2)}x, ${ratio('concurrent').toFixed(2)}x`,
        });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}\n`);
  console.log('| what | before (issue 15) | now |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.what} | ${r.before} | ${r.now} |`);
}

await main();
