/**
 * Helpers for the container end-to-end test: run commands with bounded time, track every
 * container and child process started so that `after` can stop them, pick free ports, poll HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type HttpResult } from '../helpers/e2e.js';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/container → repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const BASE_IMAGE = process.env.BYOC_BASE_IMAGE ?? 'localhost/node:20-bookworm-slim';
export const TEST_IMAGE = process.env.BYOC_TEST_IMAGE ?? 'localhost/sagemaker-byoc:test';
/** podman on this kind of machine: runc instead of crun (see docs/deploy.md). */
export const PODMAN = ['podman', '--runtime', process.env.PODMAN_RUNTIME ?? 'runc'];

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const children = new Set<ChildProcess>();
const containers = new Set<string>();

export function trackContainer(name: string): string {
  containers.add(name);
  return name;
}

/** Runs a command to completion; kills it (and the named container) when it exceeds timeoutMs. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string; container?: string; input?: string },
): Promise<RunResult> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      if (opts.container) void forceRemove(opts.container);
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (timedOut) {
        reject(
          new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs} ms\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`),
        );
      } else {
        resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
      }
    });
  });
}

export interface Background {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a long-running command (a served container) in the background. */
export function start(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Background {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, output: () => out, exited };
}

export async function forceRemove(name: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const p = spawn(PODMAN[0]!, [...PODMAN.slice(1), 'rm', '-f', '-t', '0', name], { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', () => {
      clearTimeout(t);
      resolve();
    });
    p.on('error', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Stops everything this test started: containers by name, then child processes. */
export async function cleanupAll(): Promise<void> {
  for (const name of containers) await forceRemove(name);
  containers.clear();
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// One HTTP request on a fresh connection: the same helper as the e2e tests'.
export { request, type HttpResult };

/** Polls GET /ping until 200; bounded by timeoutMs (and by the process exiting). */
export async function waitForPing(port: number, timeoutMs: number, exited?: Promise<unknown>): Promise<number> {
  const start = Date.now();
  let gone = false;
  void exited?.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error('the server exited before /ping answered');
    try {
      const r = await request(port, 'GET', '/ping', { timeoutMs: 2000 });
      if (r.status === 200) return Date.now() - start;
    } catch {
      // not listening yet
    }
    if (Date.now() - start > timeoutMs) throw new Error(`/ping did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves like `promise`, or rejects after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Readiness {
  /** ms until the first /ping 200 (what SageMaker waits for). */
  firstOkMs: number;
  /** ms until `consecutive` /ping 200s in a row (every worker answered healthy). */
  stableMs: number;
  /** /ping answered something other than 200 after its first 200. */
  flapped: boolean;
}

/**
 * Waits for /ping 200, then for `consecutive` 200s in a row: the primary hands connections to
 * the workers in turn, so a worker still loading its model shows up as a non-200 in the run.
 */
export async function waitForReady(port: number, timeoutMs: number, exited?: Promise<unknown>, consecutive = 6): Promise<Readiness> {
  const start = Date.now();
  const firstOkMs = await waitForPing(port, timeoutMs, exited);
  let flapped = false;
  let run = 1;
  while (run < consecutive) {
    if (Date.now() - start > timeoutMs) throw new Error(`/ping did not stay 200 within ${timeoutMs} ms`);
    const r = await request(port, 'GET', '/ping', { timeoutMs: 2000 }).catch(() => undefined);
    if (r?.status === 200) run += 1;
    else {
      flapped = true;
      run = 0;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return { firstOkMs, stableMs: Date.now() - start, flapped };
}

/**
 * POST /invocations, retrying (bounded) while the answer is 503 "model is loading": a worker
 * that starts listening after /ping already answered 200 from another worker can still be
 * loading its model. `onRetry` records that it happened (the test reports it).
 */
export async function invoke(
  port: number,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs?: number; retryForMs?: number; onRetry?: (r: HttpResult) => void } = {},
): Promise<HttpResult> {
  const until = Date.now() + (opts.retryForMs ?? 30_000);
  for (;;) {
    const r = await request(port, 'POST', '/invocations', { body, headers, timeoutMs: opts.timeoutMs ?? 60_000 });
    if (r.status !== 503 || !/loading/i.test(r.body) || Date.now() > until) return r;
    opts.onRetry?.(r);
    await new Promise((res) => setTimeout(res, 200));
  }
}
