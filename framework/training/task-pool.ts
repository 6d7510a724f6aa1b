/**
 * The training task pool: runs an algorithm's named tasks on worker threads (or in-process).
 *
 * How to use, in an algorithm:
 *
 *   const fitTarget: TrainingTask<Hyperparameters> = async (input, ctx) => {
 *     const job = input as { column: string; rows: Float64Array };   // plain data, cloned
 *     ctx.logger.info('fitting', { column: job.column });             // carries task + index
 *     return { column: job.column, weights: fit(job.rows, ctx.hyperparameters) };
 *   };
 *   class MyAlgorithm implements Algorithm<typeof hp> {
 *     readonly tasks = { 'fit-target': fitTarget };
 *     async train(ctx) {
 *       const models = await ctx.tasks.run<Fitted>('fit-target', columns.map(toInput));
 *       ...                                                             // models[i] is input i's
 *     }
 *   }
 *
 * - A task receives only its input and a TaskContext (logger, signal, parsed hyperparameters, the
 *   checkpoint store): on a thread, the algorithm is composed afresh by name, so a task must not
 *   rely on anything `train` set up. Give it everything it needs in its input (seeds included:
 *   results must not depend on which thread ran what, or when).
 * - Inputs and outputs are structured-cloned: plain objects, arrays, typed arrays, Maps.
 * - Outputs come back in input order. The first failure (by input index, so the same one whatever
 *   the timing) rejects `run` with that task's error: a TrainingError stays one, anything else is an
 *   Error with the task's message, class name and stack.
 * - `threads === 1` (config `training.threads: 1`, the plugin test context by default): every task
 *   runs in-process, one after the other; the error is then the task's own object.
 * - On the job's abort, tasks on threads see their signal fire, and threads still running after
 *   `abortGraceMs` are terminated; `run` rejects with TrainingAbortedError once none runs.
 * - Threads start with the first `run` that needs them, serve every later run of the job, and are
 *   terminated by `close()` (the training runner calls it when training ends); an idle thread never
 *   keeps the process alive.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { AnyAlgorithm, ArtifactStore, Logger, TaskContext, TaskPool, TrainingTask } from '../contract/algorithm.js';
import { TrainingAbortedError } from '../contract/errors.js';
import type { ProgressReporter } from '../contract/progress.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { errorFromData, type PoolMessage, type TaskThreadMessage } from './task-protocol.js';
import { unknownTaskMessage } from './task-thread.js';

export interface TaskPoolOptions {
  /** The algorithm's name (for messages) and its declared tasks (run here when in-process). */
  algorithm: string;
  tasks: AnyAlgorithm['tasks'];
  /** Parsed hyperparameters, for in-process task contexts. */
  hyperparameters: Record<string, unknown>;
  checkpoints: ArtifactStore;
  logger: Logger;
  /** The job's progress display; tasks on threads reach it through their messages. */
  progress: ProgressReporter;
  /** The job's abort signal. */
  signal: AbortSignal;
  /** How many threads at most; 1 (or no `spawn`): in-process. */
  threads: number;
  /** Starts one task thread (`new Worker(entry, { workerData })`). */
  spawn?: () => Worker;
  /** After an abort, how long tasks on threads may take to stop before their threads are terminated. */
  abortGraceMs?: number;
}

const DEFAULT_ABORT_GRACE_MS = 5000;

/** `training.threads` with "auto" resolved to the number of CPUs. */
export function trainingThreads(config: FrameworkConfig): number {
  return config.training.threads === 'auto' ? Math.max(1, os.availableParallelism()) : config.training.threads;
}

interface Run {
  task: string;
  results: unknown[];
  /** Jobs not settled yet. */
  left: number;
  /** The failure of the lowest-indexed input so far. */
  failure?: { index: number; error: Error };
  settled: boolean;
  resolve(results: unknown[]): void;
  reject(error: Error): void;
}

interface Job {
  id: number;
  run: Run;
  index: number;
  input: unknown;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** The thread's uncaught error, reported when it exits. */
  crash?: Error;
}

export class TrainingTaskPool implements TaskPool {
  readonly threads: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private readonly runs = new Set<Run>();
  private nextId = 1;
  private announced = false;
  private closed = false;
  /** Set once the job's signal aborts: no job starts any more, and every run rejects. */
  private aborting = false;
  private stopTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.aborted();

  constructor(private readonly options: TaskPoolOptions) {
    this.threads = options.spawn ? Math.max(1, Math.floor(options.threads)) : 1;
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  run<O = unknown>(task: string, inputs: readonly unknown[]): Promise<O[]> {
    if (this.closed) return Promise.reject(new Error('the training task pool is closed: tasks run only while training'));
    if (this.options.signal.aborted) return Promise.reject(new TrainingAbortedError());
    if (!Array.isArray(inputs)) return Promise.reject(new TypeError(`tasks.run("${task}", inputs): inputs must be an array`));
    if (!this.options.tasks || !Object.hasOwn(this.options.tasks, task)) {
      return Promise.reject(new Error(unknownTaskMessage(this.options.algorithm, task, this.options.tasks)));
    }
    if (inputs.length === 0) return Promise.resolve([]);
    if (this.threads === 1) return this.runInProcess(this.options.tasks[task]!, task, inputs) as Promise<O[]>;
    return new Promise<unknown[]>((resolve, reject) => {
      const run: Run = { task, results: new Array<unknown>(inputs.length), left: inputs.length, settled: false, resolve, reject };
      this.runs.add(run);
      inputs.forEach((input, index) => this.queue.push({ id: this.nextId++, run, index, input }));
      this.dispatch();
    }) as Promise<O[]>;
  }

  prestart(count = this.threads): void {
    if (!this.options.spawn || this.threads === 1 || this.closed || this.aborting) return;
    while (this.slots.size < Math.min(count, this.threads)) this.start().worker.unref();
  }

  /** Terminates every thread; runs still going reject. Safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    this.options.signal.removeEventListener('abort', this.onAbort);
    clearTimeout(this.stopTimer);
    this.queue.length = 0;
    for (const run of this.runs) this.settle(run, new Error('the training task pool was closed while tasks were running'));
    await this.terminateAll();
  }

  private async runInProcess(task: TrainingTask, name: string, inputs: readonly unknown[]): Promise<unknown[]> {
    const { signal, hyperparameters, checkpoints, progress } = this.options;
    const results: unknown[] = [];
    for (const [index, input] of inputs.entries()) {
      if (signal.aborted) throw new TrainingAbortedError();
      const ctx: TaskContext = { logger: withFields(this.options.logger, { task: name, index }), progress, signal, hyperparameters, checkpoints };
      try {
        results.push(await task(input, ctx));
      } catch (error) {
        throw signal.aborted && !(error instanceof TrainingAbortedError) ? new TrainingAbortedError() : error;
      }
    }
    return results;
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed && !this.aborting) {
      const slot = [...this.slots].find((s) => !s.job) ?? (this.slots.size < this.threads ? this.start() : undefined);
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      const message: PoolMessage = { type: 'run', id: job.id, task: job.run.task, index: job.index, input: job.input };
      try {
        slot.worker.postMessage(message);
      } catch (error) {
        slot.job = undefined;
        slot.worker.unref();
        const reason = `input #${job.index} of training task "${job.run.task}" cannot be sent to a thread: ${(error as Error).message}`;
        this.failed(job, new Error(reason));
      }
    }
  }

  private start(): Slot {
    if (!this.announced) {
      this.announced = true;
      this.options.logger.info('training tasks run on worker threads', { threads: this.threads });
    }
    const worker = this.options.spawn!();
    const slot: Slot = { worker, job: undefined };
    this.slots.add(slot);
    worker.on('message', (message: TaskThreadMessage) => this.received(slot, message));
    worker.on('error', (error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => this.exited(slot, code));
    return slot;
  }

  private received(slot: Slot, message: TaskThreadMessage): void {
    if (message.type === 'log') {
      this.options.logger[message.level](message.message, message.fields);
      return;
    }
    if (message.type === 'progress') {
      this.options.progress.update(message.progress);
      return;
    }
    if (message.type === 'progress-finished') {
      this.options.progress.finish(message.unit, message.summary);
      return;
    }
    if (!this.slots.has(slot)) return;
    const job = slot.job;
    if (message.type === 'failed') {
      // It cannot run anything: its job fails, and the thread ends by itself.
      this.slots.delete(slot);
      slot.job = undefined;
      if (job) this.failed(job, errorFromData(message.error));
    } else {
      if (!job || job.id !== message.id) return;
      slot.job = undefined;
      slot.worker.unref();
      if (message.type === 'done') this.finished(job, message.output);
      else this.failed(job, errorFromData(message.error));
    }
    this.next();
  }

  private exited(slot: Slot, code: number): void {
    if (!this.slots.delete(slot)) return;
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      const why = slot.crash ? `: ${slot.crash.message}` : ` (exit code ${code})`;
      const error = new Error(`the thread running training task "${job.run.task}" (input #${job.index}) stopped before it finished${why}`);
      if (slot.crash?.stack) error.stack = `${error.message}\n${slot.crash.stack}`;
      this.failed(job, error);
    } else {
      this.options.logger.warn('an idle training task thread stopped', { code });
    }
    this.next();
  }

  /** After a job settled: the next job, or, while aborting, the end once nothing runs. */
  private next(): void {
    if (!this.aborting) this.dispatch();
    else if (![...this.slots].some((s) => s.job)) void this.stopAll();
  }

  private finished(job: Job, output: unknown): void {
    const run = job.run;
    run.results[job.index] = output;
    run.left -= 1;
    this.settleIfDone(run);
  }

  private failed(job: Job, error: Error): void {
    const run = job.run;
    run.left -= 1;
    // Aborting: the run rejects with TrainingAbortedError once nothing runs (next()).
    if (this.aborting) return;
    if (!run.failure || job.index < run.failure.index) run.failure = { index: job.index, error };
    const at = run.failure.index;
    // Inputs after the failed one are not needed: drop the queued ones, stop the running ones.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.run === run) {
        this.queue.splice(i, 1);
        run.left -= 1;
      }
    }
    for (const slot of this.slots) {
      if (slot.job?.run === run && slot.job.index > at) {
        this.slots.delete(slot);
        slot.job = undefined;
        run.left -= 1;
        void slot.worker.terminate();
      }
    }
    this.settleIfDone(run);
  }

  /** A failed run waits for the inputs before its failure, which may fail first. */
  private settleIfDone(run: Run): void {
    if (run.left > 0 || run.settled || this.aborting) return;
    this.settle(run, run.failure?.error);
  }

  private settle(run: Run, error: Error | undefined): void {
    if (run.settled) return;
    run.settled = true;
    this.runs.delete(run);
    if (error) run.reject(error);
    else run.resolve(run.results);
  }

  private aborted(): void {
    if (this.closed) return;
    this.aborting = true;
    this.queue.length = 0;
    // Tasks see their signal fire and may save a checkpoint; threads still busy after the grace are terminated.
    for (const slot of this.slots) if (slot.job) slot.worker.postMessage({ type: 'abort' } satisfies PoolMessage);
    this.stopTimer = setTimeout(() => void this.stopAll(), this.options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS);
    this.next();
  }

  private async stopAll(): Promise<void> {
    clearTimeout(this.stopTimer);
    await this.terminateAll();
    for (const run of this.runs) this.settle(run, new TrainingAbortedError());
  }

  private async terminateAll(): Promise<void> {
    const slots = [...this.slots];
    this.slots.clear();
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

/** The logger with fields added to every line (the task's name and input index win over the task's own). */
function withFields(logger: Logger, bindings: Record<string, unknown>): Logger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void =>
      logger[level](message, { ...bindings, ...fields, ...bindings });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
