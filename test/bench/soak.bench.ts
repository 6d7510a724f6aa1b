/**
 * Soak benchmark (`npm run bench:soak`): `byoc serve` with 2 workers, the `datawig` model when that
 * algorithm is registered (else `baseline`), trained by `byoc train` on the IMDB sample; then mixed
 * valid and invalid requests at saturation for SOAK_SECONDS (default 60) after a warm-up.
 *
 * Prints: requests, throughput, answers by status, valid requests answered 5xx, invalid requests not
 * answered 4xx, p50/p90/p99/max latency, RSS of every worker (VmRSS of the primary's children) before
 * warm-up, at start and at end (plus a trend every 10 s), and tf tensor counts when the server can
 * report them (it cannot today: printed as "n/a" with the reason).
 *
 * Environment: SOAK_SECONDS (60), SOAK_WARMUP_SECONDS (10), SOAK_CONCURRENCY (32), SOAK_WORKERS (2),
 * SOAK_ALGORITHM (datawig if registered, else baseline).
 * Exit code 1 when a valid request got a 5xx or an invalid one got anything but its 4xx.
 */
import { execFileSync } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MAIN, buildMlRoot, killAll, makeTempDir, removeDir, runByoc, type ServerHandle } from '../helpers/e2e.js';
import { childPids, imdbTrainCsv, percentile, probes, rssMb, runLoad, startReadyServer, statusSummary, type LoadResult } from '../reliability/lib.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const WARMUP = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(10, Math.max(1, Math.round(SECONDS / 6))));
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 2);
const MAX_ROWS = 1_000;

function registeredAlgorithms(): string[] {
  const out = execFileSync(process.execPath, [MAIN, 'algorithms', '--json'], { encoding: 'utf8', env: { ...process.env, BYOC_LOG_LEVEL: 'silent' } });
  return (JSON.parse(out) as Array<{ name: string }>).map((a) => a.name);
}

function table(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n## ${title}\n`);
  const cols = Object.keys(rows[0] ?? {});
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => String(r[c])).join(' | ')} |`);
}

async function workerRss(primary: number): Promise<Map<number, number | undefined>> {
  const pids = await childPids(primary);
  return new Map(await Promise.all(pids.map(async (pid) => [pid, await rssMb(pid)] as [number, number | undefined])));
}

const fmtRss = (m: Map<number, number | undefined>): string => [...m].map(([pid, mb]) => `${pid}: ${mb ?? '?'} MB`).join(', ');

async function main(): Promise<number> {
  const algorithms = registeredAlgorithms();
  const algorithm = process.env.SOAK_ALGORITHM ?? (algorithms.includes('datawig') ? 'datawig' : 'baseline');
  if (!algorithms.includes(algorithm)) throw new Error(`algorithm "${algorithm}" is not registered (registered: ${algorithms.join(', ')})`);
  console.log(`# soak: ${algorithm} model, ${WORKERS} workers, concurrency ${CONCURRENCY}, warm-up ${WARMUP} s, soak ${SECONDS} s`);
  console.log(`# host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GB, node ${process.version}`);
  console.log(`# registered algorithms: ${algorithms.join(', ')}`);

  const tmp = await makeTempDir('byoc-soak-');
  let server: ServerHandle | undefined;
  try {
    const root = path.join(tmp, 'ml');
    const hyperparameters: Record<string, string> = { algorithm, feature_columns: 'review', label_column: 'rating_binary' };
    if (algorithm === 'datawig') hyperparameters['num_epochs'] = process.env.SOAK_EPOCHS ?? '5';
    await buildMlRoot(root, { hyperparameters, emptyTrain: true });
    await copyFile(await imdbTrainCsv(), path.join(root, 'input', 'data', 'train', 'train.csv'));
    const t0 = performance.now();
    const trained = await runByoc(['train', '--ml-root', root], {}, 15 * 60_000);
    if (trained.code !== 0) throw new Error(`training failed (${trained.code}):\n${trained.stderr}`);
    console.log(`# trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    server = await startReadyServer(root, { workers: WORKERS, env: { BYOC_MAX_ROWS: String(MAX_ROWS), BYOC_LOG_LEVEL: 'warn' }, timeoutMs: 120_000 });
    const primary = server.proc.child.pid!;
    const catalogue = probes({ maxRows: MAX_ROWS });
    console.log(
      `# server on 127.0.0.1:${server.port}, primary ${primary}; catalogue: ${catalogue.filter((p) => p.valid).length} valid, ${catalogue.filter((p) => !p.valid).length} invalid request kinds`,
    );

    const rssCold = await workerRss(primary);
    const warm = await runLoad(server.port, catalogue, { concurrency: CONCURRENCY, until: () => false, maxDurationMs: WARMUP * 1000 });
    const rssStart = await workerRss(primary);
    console.log(`# warm-up: ${warm.total} requests (${statusSummary(warm.byStatus)})`);

    // RSS trend while the soak runs.
    const trend: Array<Record<string, string | number>> = [];
    const soakStart = performance.now();
    const sampler = setInterval(() => {
      void workerRss(primary).then((m) => trend.push({ 't (s)': Math.round((performance.now() - soakStart) / 1000), 'worker RSS': fmtRss(m) }));
    }, 10_000);
    let soak: LoadResult;
    try {
      soak = await runLoad(server.port, catalogue, { concurrency: CONCURRENCY, until: () => false, maxDurationMs: SECONDS * 1000, requestTimeoutMs: 30_000 });
    } finally {
      clearInterval(sampler);
    }
    const rssEnd = await workerRss(primary);
    const pidsEnd = [...rssEnd.keys()];
    const samePids = [...rssStart.keys()].every((p) => pidsEnd.includes(p)) && pidsEnd.length === rssStart.size;

    const stopped = await server.stop();
    server = undefined;

    const lat = soak.latenciesMs;
    table('summary', [
      { metric: 'algorithm / workers / concurrency', value: `${algorithm} / ${WORKERS} / ${CONCURRENCY}` },
      { metric: 'duration (s)', value: (soak.durationMs / 1000).toFixed(1) },
      { metric: 'requests', value: soak.total },
      { metric: 'throughput (req/s)', value: Math.round(soak.total / (soak.durationMs / 1000)) },
      { metric: 'answers by status', value: statusSummary(soak.byStatus) },
      { metric: 'valid requests: 200 / total', value: `${soak.validOk} / ${soak.validTotal}` },
      { metric: 'valid requests answered 5xx', value: soak.fiveXxForValid },
      { metric: 'invalid requests: 4xx / total', value: `${soak.invalid4xx} / ${soak.invalidTotal}` },
      { metric: 'unexpected status (any kind)', value: soak.wrongCount },
      { metric: 'answers per worker pid', value: [...soak.byWorker].map(([pid, n]) => `${pid}: ${n}`).join(', ') },
      { metric: 'latency p50 / p90 / p99 / max (ms)', value: [50, 90, 99, 100].map((p) => percentile(lat, p).toFixed(1)).join(' / ') },
      { metric: 'worker RSS before warm-up', value: fmtRss(rssCold) },
      { metric: 'worker RSS at start (after warm-up)', value: fmtRss(rssStart) },
      { metric: 'worker RSS at end', value: fmtRss(rssEnd) },
      { metric: 'same worker pids start → end', value: samePids ? 'yes' : `no (${[...rssStart.keys()].join(',')} → ${pidsEnd.join(',')})` },
      {
        metric: 'tf tensors (tf.memory().numTensors) start / end',
        value: algorithm === 'datawig' ? 'n/a: the server/predictor exposes no tensor count from worker processes' : 'n/a: baseline uses no tensors',
      },
      { metric: 'server exit on SIGTERM', value: String(stopped.code) },
    ]);
    if (trend.length) table('worker RSS trend during the soak', trend);
    if (soak.wrong.length) {
      console.log('\nfirst unexpected answers:');
      for (const w of soak.wrong) console.log(`- ${w.probe}: ${w.status} ${w.detail.slice(0, 200)}`);
    }
    const ok = soak.fiveXxForValid === 0 && soak.wrongCount === 0 && samePids && stopped.code === 0;
    console.log(`\n# result: ${ok ? 'PASS' : 'FAIL'}`);
    return ok ? 0 : 1;
  } finally {
    if (server) server.proc.kill('SIGKILL');
    killAll();
    await removeDir(tmp);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    killAll();
    process.exit(2);
  },
);
