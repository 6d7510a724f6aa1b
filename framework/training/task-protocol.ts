/**
 * The messages between a training job and its task threads, the marker by which a process entry
 * point knows it was started as one, and how a task's error crosses the thread boundary.
 */
import { TrainingAbortedError, TrainingError } from '../contract/errors.js';
import type { Progress } from '../contract/progress.js';
import type { FrameworkConfig } from '../runtime/config.js';

/** `workerData` of a training-task thread: it composes the same framework as its job. */
export interface TaskThreadData {
  readonly byocRole: 'training-task';
  readonly config: FrameworkConfig;
  /** The algorithm whose `tasks` the thread runs (found in the thread's own registry). */
  readonly algorithm: string;
  /**
   * The job's hyperparameters as the main thread parsed them: cloned rather than parsed again, so
   * that both sides hold the same values by construction.
   */
  readonly hyperparameters: Record<string, unknown>;
  /** The job's checkpoint folder; none: each thread gets an empty in-memory store (tests). */
  readonly checkpointsDir?: string;
}

export function isTaskThreadData(value: unknown): value is TaskThreadData {
  return typeof value === 'object' && value !== null && (value as { byocRole?: unknown }).byocRole === 'training-task';
}

/** A task's error, as plain data. */
export interface TaskErrorData {
  /** Which class comes back: the job's exit code and failure text depend on it. */
  kind: 'training' | 'aborted' | 'other';
  name: string;
  message: string;
  stack?: string;
  /** A TrainingError's cause, shown in output/failure. */
  cause?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Job → thread. */
export type PoolMessage = { type: 'run'; id: number; task: string; index: number; input: unknown } | { type: 'abort' };

/** Thread → job. */
export type TaskThreadMessage =
  /** The thread could not compose its algorithm; it exits. */
  | { type: 'failed'; error: TaskErrorData }
  | { type: 'log'; level: LogLevel; message: string; fields: Record<string, unknown> }
  | { type: 'progress'; progress: Progress }
  | { type: 'progress-finished'; unit: string; summary?: string }
  | { type: 'done'; id: number; output: unknown }
  | { type: 'error'; id: number; error: TaskErrorData };

export function errorToData(error: unknown): TaskErrorData {
  if (!(error instanceof Error)) return { kind: 'other', name: 'Error', message: String(error) };
  const kind = error instanceof TrainingAbortedError ? 'aborted' : error instanceof TrainingError ? 'training' : 'other';
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return { kind, name: error.name, message: error.message, stack: error.stack, ...(cause === undefined ? {} : { cause }) };
}

/** The error again, of the class that decides the job's outcome; an unexpected one keeps its name and the thread's stack. */
export function errorFromData(data: TaskErrorData): Error {
  if (data.kind === 'aborted') return new TrainingAbortedError(data.message);
  if (data.kind === 'training') return new TrainingError(data.message, data.cause === undefined ? undefined : { cause: new Error(data.cause) });
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}
