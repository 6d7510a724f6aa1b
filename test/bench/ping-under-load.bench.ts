/**
 * `npm run bench:ping`: how long /ping takes while every worker processes the heaviest legal
 * request, and when a request past its deadline is answered.
 *
 * For each algorithm (baseline and datawig, trained on the IMDB sample), a server with 2 workers
 * gets 2 concurrent heavy requests, twice: a 6 MB CSV of 2,000 columns x ~3,100 rows of empty
 * cells, then a 100,000-line JSON Lines body. Meanwhile /ping is asked every 20 ms on a fresh
 * connection (the cluster hands connections to the workers in turn). Then a server with
 * MODEL_SERVER_TIMEOUT=0.25 gets the wide CSV alone: the time to its 504 shows whether the deadline is
 * honoured inside the work. Prints one table; `--json FILE` also writes the figures.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildMlRoot, makeTempDir, removeDir, request, runByoc, startServer, IMDB_DIR, type ServerHandle } from '../helpers/e2e.js';
import { percentile } from '../reliability/lib.js';

const WIDE_COLUMNS = 2_000;
const BODY_LIMIT = 6 * 1024 * 1024;
const PING_EVERY_MS = 20;

const MODELS = {
  baseline: { algorithm: 'baseline', feature_columns: 'review', label_column: 'rating_binary' },
  datawig: { algorithm: 'datawig', feature_columns: 'review', label_column: 'rating_binary', num_epochs: '10' },
} as const;

/** 2,000 columns (the model's feature first), as many rows of empty cells as fit in 6 MB. */
function wideCsv(): string {
  const header = ['review', ...Array.from({ length: WIDE_COLUMNS - 1 }, (_, i) => `c${i}`)].join(',');
  const row = ','.repeat(WIDE_COLUMNS - 1);
  const rows = Math.floor((BODY_LIMIT - header.length - 1) / (row.length + 1));
  return `${header}\n${`${row}\n`.repeat(rows)}`;
}

function jsonLines(lines: number): string {
  return `${'{"review":"a fine film"}\n'.repeat(lines)}`;
}

interface Heavy {
  name: string;
  body: string;
  contentType: string;
}

const HEAVY: Heavy[] = [
  { name: 'CSV 2,000 columns, 6 MB', body: wideCsv(), contentType: 'text/csv' },
  { name: 'JSON Lines, 100,000 lines', body: jsonLines(100_000), contentType: 'application/jsonlines' },
];

interface Row {
  algorithm: string;
  load: string;
  requests: string;
  requestSeconds: number;
  pings: number;
  pingMedianMs: number;
  pingP99Ms: number;
  pingWorstMs: number;
  pingFailures: number;
}

/** Pings until `stop` resolves; latencies in ms (a failed or non-200 ping counts as a failure). */
async function pingWhile(port: number, stop: Promise<unknown>): Promise<{ latencies: number[]; failures: number }> {
  let done = false;
  void stop.finally(() => (done = true));
  const latencies: number[] = [];
  let failures = 0;
  while (!done) {
    const started = performance.now();
    try {
      const res = await request(port, 'GET', '/ping', { timeoutMs: 10_000 });
      if (res.status !== 200) failures++;
    } catch {
      failures++;
    }
    const ms = performance.now() - started;
    latencies.push(ms);
    if (ms < PING_EVERY_MS) await new Promise((resolve) => setTimeout(resolve, PING_EVERY_MS - ms));
  }
  return { latencies, failures };
}

async function underLoad(algorithm: string, server: ServerHandle, heavy: Heavy): Promise<Row> {
  const started = performance.now();
  const send = () =>
    request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': heavy.contentType, Accept: 'text/csv' }, body: heavy.body, timeoutMs: 120_000 });
  const work = Promise.all([send(), send()]);
  const [answers, pings] = await Promise.all([work, pingWhile(server.port, work)]);
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...pings.latencies].sort((a, b) => a - b);
  return {
    algorithm,
    load: heavy.name,
    requests: answers.map((a) => a.status).join(' '),
    requestSeconds: seconds,
    pings: sorted.length,
    pingMedianMs: percentile(sorted, 50),
    pingP99Ms: percentile(sorted, 99),
    pingWorstMs: sorted.at(-1) ?? NaN,
    pingFailures: pings.failures,
  };
}

async function deadline(root: string): Promise<{ status: number; seconds: number }> {
  const server = await startServer(root, { workers: 1, env: { MODEL_SERVER_TIMEOUT: '0.25' }, timeoutMs: 60_000 });
  try {
    const heavy = HEAVY[0]!;
    const started = performance.now();
    const res = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': heavy.contentType }, body: heavy.body, timeoutMs: 120_000 });
    return { status: res.status, seconds: (performance.now() - started) / 1000 };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
  const dir = await makeTempDir('byoc-ping-bench-');
  const rows: Row[] = [];
  const deadlines: { algorithm: string; status: number; seconds: number }[] = [];
  try {
    for (const [algorithm, hyperparameters] of Object.entries(MODELS)) {
      const root = path.join(dir, algorithm);
      await buildMlRoot(root, { hyperparameters, trainFiles: { 'train.csv': await readFile(path.join(IMDB_DIR, 'train.csv')) } });
      const trained = await runByoc(['train', '--ml-root', root], {}, 300_000);
      if (trained.code !== 0) throw new Error(`training ${algorithm} failed:\n${trained.stderr}`);
      process.stderr.write(`${algorithm}: trained\n`);
      const server = await startServer(root, { workers: 2, timeoutMs: 60_000, env: { MODEL_SERVER_TIMEOUT: '120' } });
      try {
        for (const heavy of HEAVY) {
          rows.push(await underLoad(algorithm, server, heavy));
          process.stderr.write(`${algorithm}: ${heavy.name} done\n`);
        }
      } finally {
        await server.stop();
      }
      deadlines.push({ algorithm, ...(await deadline(root)) });
    }
  } finally {
    await removeDir(dir);
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log('2 workers, 2 concurrent heavy requests, /ping every 20 ms on a fresh connection');
  console.log('| algorithm | heavy request | statuses | both answered (s) | pings | /ping median (ms) | p99 (ms) | worst (ms) | failed pings |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.algorithm} | ${r.load} | ${r.requests} | ${f(r.requestSeconds, 2)} | ${r.pings} | ${f(r.pingMedianMs, 1)} | ${f(r.pingP99Ms, 1)} | ${f(r.pingWorstMs, 1)} | ${r.pingFailures} |`,
    );
  }
  console.log('\nMODEL_SERVER_TIMEOUT=0.25, 1 worker, the 6 MB wide CSV alone');
  console.log('| algorithm | status | answered after (s) |');
  console.log('|---|---|---|');
  for (const d of deadlines) console.log(`| ${d.algorithm} | ${d.status} | ${f(d.seconds, 2)} |`);
  if (jsonOut) await writeFile(jsonOut, JSON.stringify({ rows, deadlines }, null, 2));
}

await main();
