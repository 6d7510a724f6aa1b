/**
 * Helpers for end-to-end tests: temp ml-root trees, the `byoc` CLI as a child process, free ports,
 * bounded polling and raw HTTP. Every process started here is tracked so tests can kill it in `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/helpers → repo root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MAIN = path.join(REPO_ROOT, 'dist', 'bundle', 'byoc.js');
/** Checked-in copy of the 50-row IMDB sample (the original lives in ../shared/data/imdb_sample). */
export const IMDB_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'imdb_sample');
export const SHARED_IMDB_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'imdb_sample');
export const SLOW_PLUGIN = path.join(REPO_ROOT, 'dist', 'test', 'fixtures', 'slow-plugin.js');

export const BASELINE_HPS = {
  algorithm: 'baseline',
  feature_columns: 'review',
  label_column: 'rating_binary',
  num_epochs: '10',
};

export async function makeTempDir(prefix = 'byoc-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export interface MlRootOptions {
  hyperparameters?: Record<string, unknown>;
  /** Files of the train channel: relative name → content. Default: the IMDB sample's train.csv. */
  trainFiles?: Record<string, string | Uint8Array>;
  /** Create the channel folder even when empty. */
  emptyTrain?: boolean;
}

/** Builds <root>/input/{config,data/train} like SageMaker does. */
export async function buildMlRoot(root: string, options: MlRootOptions = {}): Promise<string> {
  const config = path.join(root, 'input', 'config');
  const train = path.join(root, 'input', 'data', 'train');
  await mkdir(config, { recursive: true });
  await mkdir(train, { recursive: true });
  await writeFile(path.join(config, 'hyperparameters.json'), JSON.stringify(options.hyperparameters ?? BASELINE_HPS));
  await writeFile(
    path.join(config, 'inputdataconfig.json'),
    JSON.stringify({ train: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated' } }),
  );
  await writeFile(path.join(config, 'resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'] }));
  if (options.trainFiles) {
    for (const [name, content] of Object.entries(options.trainFiles)) {
      await mkdir(path.dirname(path.join(train, name)), { recursive: true });
      await writeFile(path.join(train, name), content);
    }
  } else if (!options.emptyTrain) {
    await copyFile(path.join(IMDB_DIR, 'train.csv'), path.join(train, 'train.csv'));
  }
  return root;
}

/** The parent environment without any variable that configures the framework or SageMaker. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(SM_|SAGEMAKER_|BYOC_|MODEL_SERVER_|ML_ROOT$|NODE_TEST|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, BYOC_HOST: '127.0.0.1', ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Kills every child still running (for `after` hooks). */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** Runs `byoc ...args` (the bundled bin, dist/bundle/byoc.js) to completion (killed after timeoutMs). */
export function runByoc(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000, stdin?: string): Promise<RunResult> {
  const proc = startByoc(args, env, stdin);
  return proc.exit(timeoutMs);
}

/** An ml-root under `dir` with a trained model of the `slow` test plugin (test/fixtures/slow-plugin.ts). */
export async function trainSlowModel(dir: string): Promise<string> {
  const root = await buildMlRoot(dir, { hyperparameters: { algorithm: 'slow' } });
  const result = await runByoc(['train', '--ml-root', root], { BYOC_PLUGINS: SLOW_PLUGIN });
  if (result.code !== 0) throw new Error(`training the slow plugin failed (exit ${result.code}): ${result.stderr}`);
  return root;
}

export interface ByocProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when stdout matches (rejects after timeoutMs or if the process exits first). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for exit; SIGKILLs and rejects after timeoutMs. */
  exit(timeoutMs?: number): Promise<RunResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** `stdin`: the text the process reads on standard input (none: stdin is closed). */
export function startByoc(args: string[], env: Record<string, string> = {}, stdin?: string): ByocProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { env: cleanEnv(env), stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  children.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<RunResult>((resolve) => {
    child.once('close', (code, signal) => {
      children.delete(child);
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    });
  });
  const isDone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(stdout)) {
            cleanup();
            resolve();
          } else if (isDone()) {
            cleanup();
            reject(new Error(`process exited before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async exit(timeoutMs = 30_000): Promise<RunResult> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`byoc ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill(signal: NodeJS.Signals = 'SIGTERM'): void {
      if (!isDone()) child.kill(signal);
    },
  };
}

/** A TCP port free right now on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value; rejects after timeoutMs with the last error. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 50, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- `last` is what check() threw: an Error, printed as `Name: message`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request on a fresh connection (no keep-alive pooling between tests). A server that
 * answers before reading the whole body (413) may reset the socket while we write: the response,
 * if it arrived, still wins.
 */
export function request(
  port: number,
  method: string,
  pathName: string,
  options: {
    headers?: Record<string, string>;
    body?: string | Buffer;
    timeoutMs?: number;
    /**
     * Declare this Content-Length but send only `body` and keep the request open: the server must
     * answer from the declared size alone (413 before reading the body).
     */
    declaredLength?: number;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const headers: Record<string, string> = { Connection: 'close', ...options.headers };
    if (options.declaredLength !== undefined) headers['Content-Length'] = String(options.declaredLength);
    else if (body !== undefined && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined) {
      headers['Content-Length'] = String(body.length);
    }
    let settled = false;
    const req = http.request({ host: '127.0.0.1', port, method, path: pathName, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {
        if (!settled) {
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        }
      });
      res.on('end', () => {
        if (options.declaredLength !== undefined) req.destroy();
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.setTimeout(options.timeoutMs ?? 20_000, () => req.destroy(new Error(`${method} ${pathName}: no answer in time`)));
    req.on('error', (error) => {
      // EPIPE/ECONNRESET after the response started is expected for early 413s.
      setTimeout(() => {
        if (!settled) {
          settled = true;
          reject(error);
        }
      }, 200);
    });
    if (options.declaredLength !== undefined) req.write(body ?? '');
    else if (body !== undefined) req.end(body);
    else req.end();
  });
}

export interface ServerHandle {
  proc: ByocProcess;
  port: number;
  stop(): Promise<RunResult>;
}

/**
 * Starts `byoc serve --ml-root root --port P --workers N` and waits until /ping answers
 * `readyStatus` (200 by default; 503 for servers whose model cannot load).
 */
export async function startServer(
  root: string,
  options: { workers?: number; env?: Record<string, string>; readyStatus?: number; timeoutMs?: number } = {},
): Promise<ServerHandle> {
  const port = await freePort();
  const proc = startByoc(['serve', '--ml-root', root, '--port', String(port), '--workers', String(options.workers ?? 2)], options.env ?? {});
  const want = options.readyStatus ?? 200;
  try {
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`server exited with ${proc.child.exitCode}: ${proc.stderr}`);
        return (await request(port, 'GET', '/ping', { timeoutMs: 2000 })).status === want;
      },
      options.timeoutMs ?? 15_000,
      50,
      `/ping ${want} on port ${port}`,
    );
    // Each worker loads the model on its own: with several workers, /ping may answer 200 from one
    // while another is still loading (503). The primary logs when every worker is ready.
    if (want === 200 && (options.workers ?? 2) > 1 && !options.env?.BYOC_LOG_LEVEL) {
      await proc.waitForOutput(/"msg":"server ready: every worker has loaded the model"/, options.timeoutMs ?? 15_000);
    }
  } catch (error) {
    proc.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`);
  }
  return {
    proc,
    port,
    async stop() {
      proc.kill('SIGTERM');
      return proc.exit(35_000);
    },
  };
}

/** Parses the JSON log lines of a process's stdout (skips any non-JSON line, e.g. METRIC lines). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by a kill; ignore
    }
  }
  return out;
}
