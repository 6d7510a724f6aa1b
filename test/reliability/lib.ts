/**
 * Shared helpers of the reliability tests and the soak benchmark: a trained baseline ml-root,
 * worker pids and RSS from /proc, a bounded-concurrency load generator with a mixed valid/invalid
 * request catalogue, and leak scanning of error bodies.
 */
import { readdir, readFile, copyFile, access } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { buildMlRoot, IMDB_DIR, SHARED_IMDB_DIR, REPO_ROOT, request, runByoc, startServer, waitFor, type ServerHandle } from '../helpers/e2e.js';

export { REPO_ROOT };

/** The IMDB sample: the checked-in fixture, else the shared copy next to the repo. */
export async function imdbTrainCsv(): Promise<string> {
  for (const dir of [IMDB_DIR, SHARED_IMDB_DIR]) {
    const file = path.join(dir, 'train.csv');
    try {
      await access(file);
      return file;
    } catch {
      // try the next one
    }
  }
  throw new Error(`no IMDB sample train.csv in ${IMDB_DIR} or ${SHARED_IMDB_DIR}`);
}

export const BASELINE_HPS = { algorithm: 'baseline', feature_columns: 'review', label_column: 'rating_binary' };

/** Builds an ml-root under `root` and trains the baseline model on the IMDB sample with `byoc train`. */
export async function trainBaseline(root: string, env: Record<string, string> = {}): Promise<string> {
  await buildMlRoot(root, { hyperparameters: BASELINE_HPS, emptyTrain: true });
  await copyFile(await imdbTrainCsv(), path.join(root, 'input', 'data', 'train', 'train.csv'));
  const result = await runByoc(['train', '--ml-root', root], env, 60_000);
  if (result.code !== 0) throw new Error(`baseline training failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
  return root;
}

/**
 * Starts `byoc serve` and waits until EVERY worker answers /ping 200 (startServer waits for the first
 * one; the first generation of workers listens while it loads and answers 503 "loading" meanwhile).
 * The answering worker is known from the request id, which starts with its pid in base 36.
 */
export async function startReadyServer(root: string, options: { workers: number; env?: Record<string, string>; timeoutMs?: number }): Promise<ServerHandle> {
  const server = await startServer(root, options);
  try {
    const primary = server.proc.child.pid!;
    const ready = new Set<string>();
    await waitFor(
      async () => {
        const workers = await childPids(primary);
        const res = await request(server.port, 'GET', '/ping', { timeoutMs: 2_000 });
        if (res.status === 200) ready.add(String(res.headers['x-request-id']).split('-')[0]!);
        return workers.length === options.workers && workers.every((pid) => ready.has(pid.toString(36)));
      },
      options.timeoutMs ?? 30_000,
      20,
      `every one of ${options.workers} workers to answer /ping 200`,
    );
  } catch (error) {
    server.proc.kill('SIGKILL');
    throw error;
  }
  return server;
}

/** Pids whose parent is `pid` (the cluster workers of a primary), from /proc/<pid>/stat. */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return out.sort((a, b) => a - b);
}

/** Resident set size of a process in MB (VmRSS from /proc/<pid>/status), undefined if it is gone. */
export async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Whatever an error body must never contain: stacks, source/file paths, environment values. */
export function leaks(body: string, secrets: readonly string[] = []): string[] {
  const found: string[] = [];
  const patterns: Array<[string, RegExp]> = [
    ['stack frame', /\n\s+at |\bat [\w.<>]+ \(/],
    ['source position', /\.[cm]?[jt]s:\d+/],
    ['node_modules', /node_modules/],
    ['repo path', /\/work\b/],
    ['temp path', /\/tmp\//],
    ['file URL', /file:\/\//],
  ];
  for (const [name, re] of patterns) if (re.test(body)) found.push(name);
  for (const secret of secrets) if (secret && body.includes(secret)) found.push(`secret ${JSON.stringify(secret.slice(0, 20))}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Request catalogue for load tests: what to send and which statuses are correct.

export interface Probe {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Statuses that are a correct answer. */
  expect: number[];
  valid: boolean;
}

const reviews = [
  'A wonderful film, "moving" and funny',
  'Terrible, boring; I left after 20 minutes',
  'Ünïcödé review with 漢字 and emoji 😀',
  'multi\nline review, with commas',
  '',
];
const csvCell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Builds the mixed request catalogue for the baseline IMDB model (columns rating_binary, review). */
export function probes(options: { maxRows: number }): Probe[] {
  const b = (s: string | Buffer): Buffer => (Buffer.isBuffer(s) ? s : Buffer.from(s));
  const csvRows = (n: number): string => Array.from({ length: n }, (_, i) => `${csvCell(reviews[i % reviews.length]!)},\n`).join('');
  const valid: Probe[] = [
    {
      name: 'csv header',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: b(`review,rating_binary\n${csvRows(5)}`),
      expect: [200],
      valid: true,
    },
    {
      name: 'csv header-less',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' },
      body: b(reviews.map((r) => `${csvCell(r || 'x')}\n`).join('')),
      expect: [200],
      valid: true,
    },
    {
      name: 'csv → json',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv; header=present', Accept: 'application/json' },
      body: b(`review\n${reviews.map((r) => csvCell(r)).join('\n')}\n`),
      expect: [200],
      valid: true,
    },
    {
      name: 'json instances',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json' },
      body: b(JSON.stringify({ instances: reviews.map((review) => ({ review, rating_binary: null })) })),
      expect: [200],
      valid: true,
    },
    {
      name: 'json array',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json', Accept: 'text/csv;q=0.5, application/json' },
      body: b(JSON.stringify(reviews.map((review) => ({ review })))),
      expect: [200],
      valid: true,
    },
    {
      name: 'json positional',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json' },
      body: b(JSON.stringify({ instances: reviews.map((r) => [r]) })),
      expect: [200],
      valid: true,
    },
    {
      name: 'jsonlines',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/jsonlines', 'X-Amzn-SageMaker-Custom-Attributes': 'impute_present=true' },
      body: b(reviews.map((review) => JSON.stringify({ review })).join('\n')),
      expect: [200],
      valid: true,
    },
    {
      name: 'csv 500 rows',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: b(`review,rating_binary\n${csvRows(500)}`),
      expect: [200],
      valid: true,
    },
    { name: 'ping', method: 'GET', path: '/ping', headers: {}, expect: [200], valid: true },
    { name: 'execution-parameters', method: 'GET', path: '/execution-parameters', headers: {}, expect: [200], valid: true },
  ];
  const invalid: Probe[] = [
    {
      name: 'ragged csv',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: b('review,rating_binary\na,b,c\n'),
      expect: [400],
      valid: false,
    },
    {
      name: 'open quote',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: b('review\n"never closed\n'),
      expect: [400],
      valid: false,
    },
    {
      name: 'invalid utf-8',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: Buffer.from([0x72, 0x65, 0x76, 0x0a, 0xc3, 0x28, 0x0a]),
      expect: [400],
      valid: false,
    },
    {
      name: 'bad json',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json' },
      body: b('{"instances": [{"review": NaN}]}'),
      expect: [400],
      valid: false,
    },
    {
      name: 'deep json',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json' },
      body: b('['.repeat(20_000) + ']'.repeat(20_000)),
      expect: [400],
      valid: false,
    },
    {
      name: 'missing column',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json' },
      body: b('[{"other":"x"}]'),
      expect: [400],
      valid: false,
    },
    { name: 'empty body', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'text/csv' }, body: b(''), expect: [400], valid: false },
    {
      name: 'unsupported type',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/xml' },
      body: b('<a/>'),
      expect: [415],
      valid: false,
    },
    {
      name: 'latin-1 charset',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv; charset=iso-8859-1' },
      body: b('review\nx\n'),
      expect: [415],
      valid: false,
    },
    {
      name: 'unsupported accept',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv', Accept: 'image/png' },
      body: b('review\nx\n'),
      expect: [406],
      valid: false,
    },
    {
      name: 'too many rows',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: b(`review\n${'x\n'.repeat(options.maxRows + 1)}`),
      expect: [413],
      valid: false,
    },
    {
      name: 'bad custom attribute',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'impute_present=../../etc/passwd' },
      body: b('review\nx\n'),
      expect: [400],
      valid: false,
    },
    { name: 'GET invocations', method: 'GET', path: '/invocations', headers: {}, expect: [405], valid: false },
    { name: 'unknown path', method: 'GET', path: '/../../etc/passwd', headers: {}, expect: [404], valid: false },
  ];
  return [...valid, ...invalid];
}

export interface LoadResult {
  total: number;
  byStatus: Map<number | 'network-error', number>;
  /** Requests whose status was not in `expect` (or network errors), with the first few details. */
  wrong: Array<{ probe: string; status: number | 'network-error'; detail: string }>;
  wrongCount: number;
  validTotal: number;
  validOk: number;
  invalid4xx: number;
  invalidTotal: number;
  fiveXxForValid: number;
  latenciesMs: number[];
  durationMs: number;
  /** Answers per worker, keyed by the worker pid (from the request id, whose prefix is the pid in base 36). */
  byWorker: Map<number, number>;
}

/**
 * Sends probes round-robin with `concurrency` parallel keep-alive clients until `count` requests
 * were sent or `until()` says stop. Every request is bounded by `requestTimeoutMs`.
 */
export async function runLoad(
  port: number,
  catalogue: Probe[],
  options: {
    count?: number;
    until?: () => boolean;
    concurrency: number;
    requestTimeoutMs?: number;
    /** Hard stop, whatever `count`/`until` say (a failed test must not leave a load loop spinning). */
    maxDurationMs?: number;
    /** Called with each answer and the time (performance.now()) its request was sent. */
    onResult?: (status: number | 'network-error', sentAt: number) => void;
  },
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const result: LoadResult = {
    total: 0,
    byStatus: new Map(),
    wrong: [],
    wrongCount: 0,
    validTotal: 0,
    validOk: 0,
    invalid4xx: 0,
    invalidTotal: 0,
    fiveXxForValid: 0,
    latenciesMs: [],
    durationMs: 0,
    byWorker: new Map(),
  };
  let next = 0;
  const started = performance.now();
  const hardStop = started + (options.maxDurationMs ?? 120_000);
  const more = (): boolean => (options.count !== undefined ? next < options.count : true) && !(options.until?.() ?? false) && performance.now() < hardStop;
  const client = async (): Promise<void> => {
    while (more()) {
      const probe = catalogue[next++ % catalogue.length]!;
      const t0 = performance.now();
      const { status, body, requestId } = await send(agent, port, probe, options.requestTimeoutMs ?? 30_000);
      if (requestId) {
        const pid = parseInt(requestId.split('-')[0]!, 36);
        if (Number.isFinite(pid)) result.byWorker.set(pid, (result.byWorker.get(pid) ?? 0) + 1);
      }
      result.latenciesMs.push(performance.now() - t0);
      result.total += 1;
      result.byStatus.set(status, (result.byStatus.get(status) ?? 0) + 1);
      options.onResult?.(status, t0);
      if (probe.valid) {
        result.validTotal += 1;
        if (status === 200) result.validOk += 1;
        if (typeof status === 'number' && status >= 500) result.fiveXxForValid += 1;
      } else {
        result.invalidTotal += 1;
        if (typeof status === 'number' && status >= 400 && status < 500) result.invalid4xx += 1;
      }
      if (typeof status !== 'number' || !probe.expect.includes(status)) {
        result.wrongCount += 1;
        if (result.wrong.length < 10) result.wrong.push({ probe: probe.name, status, detail: body.slice(0, 300) });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    agent.destroy();
  }
  result.durationMs = performance.now() - started;
  return result;
}

function send(
  agent: http.Agent,
  port: number,
  probe: Probe,
  timeoutMs: number,
): Promise<{ status: number | 'network-error'; body: string; requestId?: string }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number | 'network-error', body: string, requestId?: string): void => {
      if (done) return;
      done = true;
      resolve({ status, body, requestId });
    };
    const headers: Record<string, string> = { ...probe.headers };
    if (probe.body) headers['Content-Length'] = String(probe.body.length);
    const req = http.request({ host: '127.0.0.1', port, method: probe.method, path: probe.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const id = res.headers['x-request-id'];
      res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), typeof id === 'string' ? id : undefined));
      res.on('error', (e) => finish('network-error', e.message));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('request timed out')));
    req.on('error', (e) => finish('network-error', e.message));
    req.end(probe.body);
  });
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function statusSummary(byStatus: Map<number | 'network-error', number>): string {
  return [...byStatus.entries()]
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
}
