/**
 * Helpers for testing algorithm plugins without files, HTTP or SageMaker: an in-memory channel
 * reader, a recording metric emitter and logger, a ready TrainContext / LoadContext, and
 * `invokeInProcess`, which runs a batch through the real invocation pipeline (attributes,
 * predict, present) as the server would, minus the wire format.
 * Exported from the package as `sagemaker-byoc/testing`.
 */
import { Worker } from 'node:worker_threads';
import type { Progress, ProgressReporter } from './contract/progress.js';
import type { AnyAlgorithm, ChannelReader, LoadContext, Logger, MetricEmitter, PredictOptions, Predictor, TrainContext } from './contract/algorithm.js';
import { outputRecords, type DataRecord, type InputRecord, type InputSchema, type RecordBatch, type Table } from './contract/records.js';
import { TrainingError } from './contract/errors.js';
import { CodecRegistry } from './codecs/index.js';
import { RequestCancellation } from './invocation/cancellation.js';
import { InvocationPipeline } from './invocation/pipeline.js';
import { PresenterCatalog } from './invocation/presenters.js';
import { createManifest } from './model/manifest.js';
import { loadConfig } from './runtime/config.js';
import { MemoryArtifactStore } from './storage/artifact-store.js';
import { TrainingTaskPool } from './training/task-pool.js';
import type { TaskThreadData } from './training/task-protocol.js';

export class MemoryChannelReader implements ChannelReader {
  constructor(private readonly tables: Record<string, Table>) {}
  names(): string[] {
    return Object.keys(this.tables).sort();
  }
  has(channel: string): boolean {
    return Object.hasOwn(this.tables, channel);
  }
  async readTable(channel: string): Promise<Table> {
    const table = this.tables[channel];
    if (!table) throw new TrainingError(`channel "${channel}" is missing`);
    return { columns: [...table.columns], records: table.records.map((r) => ({ ...r })) };
  }
  async files(channel: string): Promise<string[]> {
    return this.has(channel) ? [`${channel}.csv`] : [];
  }
}

export interface RecordedMetric {
  name: string;
  value: number;
  epoch?: number;
  step?: number;
}

export class RecordingMetrics implements MetricEmitter {
  readonly lines: RecordedMetric[] = [];
  emit(name: string, value: number, context?: { epoch?: number; step?: number }): void {
    this.lines.push({ name, value, ...context });
  }
}

export class RecordingLogger implements Logger {
  readonly entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  debug(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'debug', message, fields });
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, fields });
  }
}

/** Keeps every progress report, so that a test can check what a terminal would show. */
export class RecordingProgress implements ProgressReporter {
  readonly updates: Progress[] = [];
  readonly finished: { unit: string; summary?: string }[] = [];
  update(progress: Progress): void {
    this.updates.push(progress);
  }
  finish(unit: string, summary?: string): void {
    this.finished.push({ unit, ...(summary === undefined ? {} : { summary }) });
  }
}

export interface TestTrainContext<H> extends TrainContext<H> {
  model: MemoryArtifactStore;
  outputData: MemoryArtifactStore;
  checkpoints: MemoryArtifactStore;
  metrics: RecordingMetrics;
  logger: RecordingLogger;
  progress: RecordingProgress;
  abort: AbortController;
  /** `close()` it after a test with real threads (idle threads never hold the process, though). */
  tasks: TrainingTaskPool;
}

/** How `ctx.tasks` runs an algorithm's tasks in a test context. */
export interface TestTaskOptions {
  /** The algorithm whose `tasks` `ctx.tasks.run` runs; none: every task name is unknown. */
  algorithm?: AnyAlgorithm;
  /** Default 1: in-process, one task after the other. More needs `entry`. */
  threads?: number;
  /**
   * The script each thread starts on: a module that calls `runCli([...algorithms])` with this
   * algorithm among them (it hands a task thread over to the task loop). The thread receives the
   * configuration of `loadConfig()`, the hyperparameters as given here, and an empty in-memory
   * checkpoint store of its own (in-process tasks get `ctx.checkpoints`).
   */
  entry?: string | URL;
  /** After an abort, how long tasks on threads may take to stop before their threads are terminated. */
  abortGraceMs?: number;
}

/**
 * A TrainContext over in-memory channels; `hyperparameters` are taken as already parsed.
 * `ctx.tasks` runs `tasks.algorithm`'s tasks, in-process unless `tasks.threads` says otherwise.
 */
export function createTestTrainContext<H = Record<string, unknown>>(
  channels: Record<string, Table>,
  hyperparameters: H,
  tasks: TestTaskOptions = {},
): TestTrainContext<H> {
  const abort = new AbortController();
  const logger = new RecordingLogger();
  const progress = new RecordingProgress();
  const checkpoints = new MemoryArtifactStore();
  const threads = tasks.threads ?? 1;
  if (threads > 1 && (!tasks.entry || !tasks.algorithm)) throw new Error('createTestTrainContext: threads > 1 needs an algorithm and an entry script');
  const threadData = (): TaskThreadData => ({
    byocRole: 'training-task',
    config: loadConfig(),
    algorithm: tasks.algorithm!.name,
    hyperparameters: hyperparameters as Record<string, unknown>,
  });
  const pool = new TrainingTaskPool({
    algorithm: tasks.algorithm?.name ?? '(none given to createTestTrainContext)',
    tasks: tasks.algorithm?.tasks,
    hyperparameters: hyperparameters as Record<string, unknown>,
    checkpoints,
    logger,
    progress,
    signal: abort.signal,
    threads,
    spawn: threads > 1 ? spawner(tasks.entry!, threadData) : undefined,
    abortGraceMs: tasks.abortGraceMs,
  });
  return {
    hyperparameters,
    channels: new MemoryChannelReader(channels),
    model: new MemoryArtifactStore(),
    outputData: new MemoryArtifactStore(),
    checkpoints,
    logger,
    metrics: new RecordingMetrics(),
    progress,
    signal: abort.signal,
    abort,
    hosts: { current: 'algo-1', all: ['algo-1'] },
    tasks: pool,
  };
}

/** Starts threads with workerData built once, on the first thread. */
function spawner(entry: string | URL, data: () => TaskThreadData): () => Worker {
  let workerData: TaskThreadData | undefined;
  return () => new Worker(entry, { workerData: (workerData ??= data()) });
}

export function createTestLoadContext(model: MemoryArtifactStore, inputSchema: InputSchema): LoadContext {
  return { model, inputSchema, logger: new RecordingLogger() };
}

/** Options for calling `predict` directly (no attributes, no candidates or explanations asked). */
export function createTestPredictOptions<A = Record<string, unknown>>(overrides: Partial<PredictOptions<A>> = {}): PredictOptions<A> {
  return {
    attributes: {} as A,
    rawCustomAttributes: '',
    detail: { candidates: false, explanations: false },
    signal: new AbortController().signal,
    requestId: 'test',
    logger: new RecordingLogger(),
    ...overrides,
  };
}

export { MemoryArtifactStore } from './storage/artifact-store.js';

export interface InProcessRequest {
  /** The response media type, which picks the output structure (default application/json). */
  accept?: string;
  /** Custom attributes: the header text (`k=v,k=v`) or its pairs. */
  attributes?: string | Readonly<Record<string, string>>;
  logger?: Logger;
}

/**
 * The output records the server would encode for `batch`: custom attributes parsed and validated,
 * predict, then the presenter the request selects (`output=` or the model's default).
 */
export async function invokeInProcess(
  model: { algorithm: AnyAlgorithm; predictor: Predictor; inputSchema?: InputSchema },
  batch: RecordBatch<InputRecord>,
  request: InProcessRequest = {},
): Promise<RecordBatch<DataRecord>> {
  const logger = request.logger ?? new RecordingLogger();
  const pipeline = new InvocationPipeline(new CodecRegistry(), new PresenterCatalog(), loadConfig({ env: {} }), logger);
  const inputSchema = model.inputSchema ?? { columns: batch.columns.map((name) => ({ name })), requiredColumns: [] };
  const manifest = createManifest({
    algorithm: { name: model.algorithm.name, version: model.algorithm.version },
    framework: { name: 'test', version: '0' },
    inputSchema,
    hyperparameters: {},
  });
  const attributes =
    typeof request.attributes === 'string' || request.attributes === undefined
      ? request.attributes
      : Object.entries(request.attributes)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
  const prepared = pipeline.prepare(
    { algorithm: model.algorithm, predictor: model.predictor, manifest },
    { contentType: 'application/json', accept: request.accept ?? 'application/json', customAttributes: attributes },
  );
  const output = await prepared.run(batch, { requestId: 'test', cancellation: new RequestCancellation(undefined, '') });
  return { columns: output.columns, records: outputRecords(output) };
}
