/**
 * Process model of `serve`: a primary that forks N workers (node:cluster shares the port and
 * spreads connections), replaces a worker that dies, and on SIGTERM asks every worker to drain,
 * then exits 0 (workers still busy after the grace period are killed).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../contract/algorithm.js';
import { answerConfigRequests } from '../runtime/config-handoff.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { PrimaryModelRegistry } from './model-registry.js';

export type WorkerMessage =
  | { type: 'model'; status: 'ready' | 'failed'; loadMs?: number; reason?: string }
  /** The worker cannot serve at all (e.g. the port is taken): every worker would fail alike. */
  | { type: 'fatal'; reason: string }
  | { type: 'shutdown' };

export interface PrimaryOptions {
  workers: number;
  /** Workers forked already (forkWorker), before the configuration was known: supervised from now on. */
  forked: Worker[];
  /** The validated configuration, which workers ask for. */
  config: FrameworkConfig;
  logger: Logger;
  shutdownGraceSeconds: number;
  /** Called when shutdown completes, with the exit code; the caller exits the process. */
  onExit: (code: number) => void;
}

export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  const started = performance.now();
  let shuttingDown = false;
  let readyCount = 0;
  const recentDeaths: number[] = [];

  const config = Promise.resolve(options.config);
  // a multi-model endpoint: the primary keeps the one list of its models for the workers
  const models = options.config.server.multiModel ? new PrimaryModelRegistry() : undefined;
  const supervise = (worker: Worker): void => {
    const bornAt = Date.now();
    models?.serve(worker);
    worker.on('message', (message: WorkerMessage) => {
      if (message?.type === 'fatal') {
        // Replacing the worker would fail the same way, forever: stop with the reason instead.
        logger.error('a worker cannot start; stopping the server', { workerPid: worker.process.pid, reason: message.reason });
        shutdown('worker start-up failure', 1);
        return;
      }
      if (message?.type !== 'model') return;
      if (message.status === 'ready') {
        readyCount += 1;
        if (readyCount === options.workers) {
          logger.info('server ready: every worker has loaded the model', {
            workers: options.workers,
            msSinceStart: Math.round(performance.now() - started),
          });
        }
      }
    });
    const onExit = (code: number | null, signal: string | null): void => {
      if (shuttingDown) return;
      readyCount = Math.max(0, readyCount - 1);
      const now = Date.now();
      recentDeaths.push(now);
      while (recentDeaths.length > 0 && now - recentDeaths[0]! > 60_000) recentDeaths.shift();
      // A worker that keeps dying right after start must not spin the CPU: back off.
      const delay = now - bornAt < 5_000 ? Math.min(30_000, 500 * 2 ** Math.min(6, recentDeaths.length - 1)) : 0;
      logger.error('worker died; starting a replacement', {
        workerPid: worker.process.pid,
        code,
        signal,
        restartInMs: delay,
        deathsLastMinute: recentDeaths.length,
      });
      setTimeout(() => {
        if (!shuttingDown) supervise(forkWorker(config));
      }, delay).unref();
    };
    // A worker forked early may have died before it was supervised.
    if (worker.isDead()) onExit(worker.process.exitCode, worker.process.signalCode);
    else worker.once('exit', onExit);
  };

  for (const worker of options.forked) supervise(worker);
  for (let i = options.forked.length; i < options.workers; i++) supervise(forkWorker(config));

  function shutdown(signal: string, exitCode = 0): void {
    if (shuttingDown) return;
    shuttingDown = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    logger.info('shutting down: workers finish in-flight requests', { signal, workers: workers.length });
    let remaining = workers.length;
    const done = (): void => {
      logger.info('server stopped', { exitCode });
      options.onExit(exitCode);
    };
    if (remaining === 0) return done();
    const killer = setTimeout(() => {
      for (const w of workers) {
        if (!w.isDead()) {
          logger.warn('worker still busy after the grace period; killing it', { workerPid: w.process.pid });
          w.process.kill('SIGKILL');
        }
      }
    }, options.shutdownGraceSeconds * 1000);
    killer.unref();
    for (const w of workers) {
      w.once('exit', () => {
        remaining -= 1;
        if (remaining === 0) {
          clearTimeout(killer);
          done();
        }
      });
      // A worker that is exiting already may close its channel before the message gets through.
      const signalInstead = (): void => void (w.isDead() || w.process.kill('SIGTERM'));
      if (w.isConnected()) w.send({ type: 'shutdown' } satisfies WorkerMessage, (error: Error | null) => error && signalInstead());
      else signalInstead();
    }
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Forks a worker; it asks for the configuration, answered once `config` is known. */
export function forkWorker(config: Promise<FrameworkConfig>): Worker {
  const worker = cluster.fork();
  answerConfigRequests(worker, config);
  return worker;
}

/** In a worker: run `shutdown` on the primary's request or on a direct SIGTERM/SIGINT. */
export function onWorkerShutdown(shutdown: () => void): void {
  process.on('message', (message: WorkerMessage) => {
    if (message?.type === 'shutdown') shutdown();
  });
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** In a worker that cannot serve: tells the primary (which stops the server) and exits. */
export function exitWorkerFatally(reason: string, exit: () => void): void {
  if (process.send && process.connected) process.send({ type: 'fatal', reason } satisfies WorkerMessage, () => exit());
  else exit();
}

export function reportModelState(message: WorkerMessage): void {
  if (process.send) process.send(message);
}

export const isPrimary = (): boolean => cluster.isPrimary;
