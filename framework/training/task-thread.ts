/**
 * The thread side of the training task pool: runs the tasks the job sends, one at a time, and
 * posts back their outputs, errors and log lines. Composing the algorithm is the caller's
 * (commands/training-task.ts), so that this module knows no registry or configuration file.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AnyAlgorithm, ArtifactStore, Logger } from '../contract/algorithm.js';
import type { ProgressReporter } from '../contract/progress.js';
import { TrainingAbortedError } from '../contract/errors.js';
import { errorToData, type LogLevel, type PoolMessage, type TaskThreadMessage } from './task-protocol.js';

export interface TaskThreadSetup {
  algorithm: string;
  tasks: NonNullable<AnyAlgorithm['tasks']>;
  hyperparameters: Record<string, unknown>;
  checkpoints: ArtifactStore;
  /** Lines below this level are not posted at all. */
  logLevel: LogLevel | 'silent';
}

const LEVELS: readonly (LogLevel | 'silent')[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** The thread's message loop; `setup` composes the algorithm (a failure is posted, then the thread ends). */
export async function serveTasks(port: MessagePort, setup: () => Promise<TaskThreadSetup>): Promise<void> {
  let ready: TaskThreadSetup;
  try {
    ready = await setup();
  } catch (error) {
    post(port, { type: 'failed', error: errorToData(error) });
    port.close();
    return;
  }
  const abort = new AbortController();
  port.on('message', (message: PoolMessage) => {
    if (message.type === 'abort') abort.abort(new TrainingAbortedError());
    else void runOne(port, ready, abort.signal, message);
  });
}

async function runOne(port: MessagePort, setup: TaskThreadSetup, signal: AbortSignal, message: Extract<PoolMessage, { type: 'run' }>): Promise<void> {
  const { id, task: name, index } = message;
  let output: unknown;
  try {
    const task = Object.hasOwn(setup.tasks, name) ? setup.tasks[name] : undefined;
    if (!task) throw new Error(unknownTaskMessage(setup.algorithm, name, setup.tasks));
    const logger = postingLogger(port, setup.logLevel, { task: name, index });
    const progress = postingProgress(port);
    output = await task(message.input, { logger, progress, signal, hyperparameters: setup.hyperparameters, checkpoints: setup.checkpoints });
  } catch (error) {
    post(port, { type: 'error', id, error: errorToData(error) });
    return;
  }
  try {
    port.postMessage({ type: 'done', id, output } satisfies TaskThreadMessage);
  } catch (error) {
    // A function or class instance in the result: say so rather than lose the task.
    const reason = `the result of training task "${name}" (input #${index}) cannot be sent back from its thread: ${(error as Error).message}`;
    post(port, { type: 'error', id, error: { kind: 'other', name: 'Error', message: reason } });
  }
}

export function unknownTaskMessage(algorithm: string, name: string, tasks: Readonly<Record<string, unknown>> | undefined): string {
  const known = Object.keys(tasks ?? {}).sort();
  return `algorithm "${algorithm}" declares no training task "${name}" (${known.length ? `it declares: ${known.join(', ')}` : 'it declares none'})`;
}

function post(port: MessagePort, message: TaskThreadMessage): void {
  port.postMessage(message);
}

/** Posts each line with the task's own fields; the job's logger writes it. */
function postingLogger(port: MessagePort, minLevel: LogLevel | 'silent', bindings: Record<string, unknown>): Logger {
  const min = LEVELS.indexOf(minLevel);
  const log =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (LEVELS.indexOf(level) < min) return;
      const all = { ...bindings, ...fields, ...bindings };
      try {
        post(port, { type: 'log', level, message, fields: all });
      } catch {
        post(port, { type: 'log', level, message, fields: loggable(all, bindings) });
      }
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Progress goes to the job's display as it is (plain data). */
function postingProgress(port: MessagePort): ProgressReporter {
  return {
    update: (progress) => post(port, { type: 'progress', progress }),
    finish: (unit, summary) => post(port, { type: 'progress-finished', unit, ...(summary === undefined ? {} : { summary }) }),
  };
}

/** Fields that cannot be cloned (functions, ...): their JSON form, which is what the log would show anyway. */
function loggable(fields: Record<string, unknown>, bindings: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  } catch {
    return { ...bindings, fields: '(not serialisable)' };
  }
}
