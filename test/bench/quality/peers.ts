/** Runs test/bench/quality/peers.py (scikit-learn imputers) on a masked table and reads its imputations. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MISSING_TOKENS } from './csv.js';
import { runProcess } from './processes.js';
import type { BenchTable } from './table.js';

/** dist/test/bench/quality → the source folder, where peers.py lives (tsc does not copy it). */
export const PEERS_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'bench', 'quality', 'peers.py');

/** Whole-table peers (every target column) and the text → category peer (one label). */
export const TABLE_PEERS = ['mean', 'knn', 'iter_bayes', 'iter_rf', 'hgb'] as const;
export const TEXT_PEERS = ['hashed_linear'] as const;
export type PeerName = (typeof TABLE_PEERS)[number] | (typeof TEXT_PEERS)[number];

export const PEER_LABELS: Record<PeerName, string> = {
  mean: 'mean/mode',
  knn: 'kNN (k=5)',
  iter_bayes: 'iterative BayesianRidge',
  iter_rf: 'iterative RandomForest',
  hgb: 'HistGradientBoosting per column',
  hashed_linear: 'hashed 1-2-gram SGD logistic',
};

/**
 * The peers run on one thread: OpenMP's thread pool (HistGradientBoosting, BLAS) on a loaded 2-core
 * machine made small fits 10x slower (a 62-class HGB fit: 153 s with threads, 13 s without).
 */
const SINGLE_THREADED = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

export interface PeerResult {
  fitSeconds: number;
  /** Other figures a peer reports (the hashed linear model: chosen alpha, search_seconds incl. the selection). */
  details: Record<string, number>;
  /** Per column: one value per hidden row, in the order of the task's row list. */
  imputations: Map<string, (string | number)[]>;
}

export interface PeerRequest {
  python: string;
  workDir: string;
  maskedCsv: string;
  table: BenchTable;
  hidden: Map<string, number[]>;
  peers: readonly PeerName[];
  seed: number;
  /** Text → category tasks: the label column. */
  label?: string;
  timeoutMs: number;
}

interface PeerJson {
  fit_seconds: number;
  imputations: Record<string, (string | number)[]>;
  /** Further figures (numbers are kept as details). */
  [other: string]: unknown;
}

interface PeersJson {
  peers: Record<string, PeerJson | { error: string }>;
  versions: Record<string, string>;
}

/** The first interpreter with scikit-learn: $BENCH_PYTHON, Debian's /usr/bin/python3 (python3-sklearn), python3 on PATH. */
export function defaultPython(): string {
  if (process.env.BENCH_PYTHON) return process.env.BENCH_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** Checks that `python` imports scikit-learn; returns its version line or throws with what to install. */
export async function checkPython(python: string): Promise<string> {
  const result = await runProcess(python, ['-c', 'import sklearn, numpy, pandas, scipy; print(sklearn.__version__)'], 60_000).catch((e: Error) => {
    throw new Error(`${e.message}; set --python or BENCH_PYTHON`);
  });
  if (result.code !== 0)
    throw new Error(
      `${python} cannot import scikit-learn/numpy/pandas/scipy (Debian: apt-get install python3-sklearn python3-pandas; or set --python / BENCH_PYTHON): ${result.stderr.trim().split('\n').at(-1)}`,
    );
  return result.stdout.trim();
}

export async function runPeers(request: PeerRequest): Promise<{ results: Map<PeerName, PeerResult | Error>; versions: Record<string, string> }> {
  const taskFile = path.join(request.workDir, 'task.json');
  const outputFile = path.join(request.workDir, 'peers.json');
  const task = {
    seed: request.seed,
    missing_values: MISSING_TOKENS,
    columns: request.table.columns.map((c) => ({ name: c.name, kind: c.kind })),
    peers: request.peers,
    targets: Object.fromEntries(request.hidden),
    ...(request.label ? { label: request.label } : {}),
  };
  await writeFile(taskFile, JSON.stringify(task));
  const run = await runProcess(
    request.python,
    [PEERS_SCRIPT, '--data', request.maskedCsv, '--task', taskFile, '--output', outputFile],
    request.timeoutMs,
    SINGLE_THREADED,
  );
  if (run.code !== 0) throw new Error(`peers.py failed (exit ${run.code ?? run.signal}): ${run.stderr.trim().split('\n').slice(-4).join(' | ')}`);
  const json = JSON.parse(await readFile(outputFile, 'utf8')) as PeersJson;
  const results = new Map<PeerName, PeerResult | Error>();
  for (const name of request.peers) {
    const entry = json.peers[name];
    if (!entry) results.set(name, new Error('no result'));
    else if (typeof entry.error === 'string') results.set(name, new Error(entry.error));
    else {
      const peer = entry as PeerJson;
      const details = Object.fromEntries(Object.entries(peer).filter((e): e is [string, number] => e[0] !== 'fit_seconds' && typeof e[1] === 'number'));
      results.set(name, { fitSeconds: peer.fit_seconds, details, imputations: new Map(Object.entries(peer.imputations)) });
    }
  }
  return { results, versions: json.versions };
}
