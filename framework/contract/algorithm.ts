/**
 * The algorithm plugin contract: the only framework types an algorithm needs.
 *
 * It follows the SageMaker handler pattern (train; load model; predict on decoded records), with
 * decoding/encoding, presentation, HTTP, file layout and SageMaker specifics on the framework's side.
 */
import type { AttributeSchema, AttributesOf, HyperparameterSchema, HyperparametersOf } from './parameters.js';
import type { OutputStructure, PredictionBatch, PredictionDetail, Presenter, RecordPrediction } from './prediction.js';
import type { InputSchema, RecordBatch, Table, InputRecord } from './records.js';
import type { Logger } from './logger.js';
import type { ReportDocument, TrainingRecord } from './report.js';
import type { ProgressReporter } from './progress.js';

export type { Logger } from './logger.js';

/**
 * Emits one metric line per call in the framework's documented format
 * (`METRIC <name>=<value>`, see README) so that SageMaker `MetricDefinitions` can match it.
 * Names use `<split>:<metric>`, e.g. `validation:accuracy`, `train:loss`.
 */
export interface MetricEmitter {
  emit(name: string, value: number, context?: { epoch?: number; step?: number }): void;
}

/**
 * A flat folder of named artifacts (model dir, output data dir, checkpoint dir). Names are plain
 * relative file names (`weights.bin`, `sub/part.json`); anything resolving outside the folder is refused.
 */
export interface ArtifactStore {
  writeFile(name: string, data: Uint8Array | string): Promise<void>;
  writeJson(name: string, value: unknown): Promise<void>;
  /**
   * Reads an artifact: only a regular file (a folder store refuses symbolic links, FIFOs, devices
   * and sockets), of at most `maxBytes` (default 1 GiB; refused before reading when larger). A
   * model directory is untrusted input: pass the size the caller expects as `maxBytes`.
   */
  readFile(name: string, maxBytes?: number): Promise<Uint8Array>;
  /** As readFile, decoded as UTF-8; `maxBytes` defaults to 64 MiB. */
  readText(name: string, maxBytes?: number): Promise<string>;
  /**
   * As readText, parsed. A parse error names the artifact and a position, never the file's text
   * (JSON.parse's own messages quote it).
   */
  readJson<T = unknown>(name: string, maxBytes?: number): Promise<T>;
  exists(name: string): Promise<boolean>;
  /** Relative names of every file, recursively, sorted. */
  list(): Promise<string[]>;
}

/** Reads the training job's input channels (`train`, `validation`, ...). */
export interface ChannelReader {
  /** Names of the channels that are present (folders or configured channels). */
  names(): string[];
  has(channel: string): boolean;
  /**
   * Reads every CSV file of the channel, recursively, `.gz` included, skipping hidden and marker
   * files (`.DS_Store`, `_SUCCESS`), into one table. Fails with a clear message when the channel is
   * missing or empty, a file is unreadable, or headers differ between files, and when the channel
   * passes the job's bounds (decompressed bytes, rows, heap: config `training.*`); stops with
   * `TrainingAbortedError` soon after the job's abort signal fires.
   */
  readTable(channel: string): Promise<Table>;
  /** Relative paths of the data files of a channel (what `readTable` would read), sorted. */
  files(channel: string): Promise<string[]>;
}

export interface TrainContext<H = Record<string, unknown>> {
  /** Parsed, typed and validated hyperparameters (defaults applied, aliases resolved). */
  hyperparameters: H;
  channels: ChannelReader;
  /** Where the model goes (SageMaker tars it into model.tar.gz). */
  model: ArtifactStore;
  /** Extra outputs such as reports (tarred into output.tar.gz). */
  outputData: ArtifactStore;
  /** Synced with S3 on spot training; a restarted job finds its last checkpoints here. */
  checkpoints: ArtifactStore;
  logger: Logger;
  metrics: MetricEmitter;
  /** Live progress for a terminal (epochs, ETA); goes nowhere without one. Not a record: log and emit metrics too. */
  progress: ProgressReporter;
  /** Aborted on SIGTERM (job stopped, spot interruption): stop soon, optionally checkpoint, then throw or return. */
  signal: AbortSignal;
  /**
   * Hosts of a distributed job and this one's name (single host: `['algo-1']`, `'algo-1'`). On
   * several hosts an algorithm with `distributed` set trains its share here (`assignToHosts`), the
   * designated host (`isDesignatedHost`) writes the files that name every host's work, and only
   * the designated host's manifest is written (see docs/multi-host.md).
   */
  hosts: { current: string; all: string[] };
  /**
   * The hyperparameters the job set (canonical names); the others hold their defaults. Absent when
   * not known (test contexts).
   */
  givenHyperparameters?: ReadonlySet<string>;
  /** Runs the algorithm's declared `tasks` on every core (config `training.threads`). */
  tasks: TaskPool;
}

/**
 * Runs independent pieces of training (an algorithm's `tasks`) side by side on worker threads.
 * Results depend only on the inputs: never on the number of threads or on timing.
 */
export interface TaskPool {
  /** Threads tasks run on; 1: in-process on the calling thread, one after the other. */
  readonly threads: number;
  /**
   * Runs task `task` once per input and resolves with the outputs in input order. Inputs and
   * outputs are structured-cloned (plain data, typed arrays; no functions or class instances).
   * Rejects with the error of the lowest-indexed input that failed (its message and class name;
   * a `TrainingError` stays one), or with `TrainingAbortedError` once the job's signal aborts
   * (threads still running are terminated).
   */
  run<O = unknown>(task: string, inputs: readonly unknown[]): Promise<O[]>;
  /**
   * Starts up to `count` threads (default: all) now, so that a run soon after does not wait for
   * them to load the algorithm; in-process (threads 1), nothing. Idle threads keep no process alive.
   */
  prestart(count?: number): void;
}

/** What one task invocation gets. It may run on another thread: it holds no state of `train`'s. */
export interface TaskContext<H = Record<string, unknown>> {
  /** Lines carry the task name and input index, and reach the job's log. */
  logger: Logger;
  /** The job's live progress display (see TrainContext.progress), from whichever thread. */
  progress: ProgressReporter;
  /**
   * Aborted when the job is stopped: stop soon (optionally checkpoint), then throw. A task on a
   * thread that has not stopped a few seconds later is terminated: keep progress in `checkpoints`
   * as you go rather than only on abort.
   */
  signal: AbortSignal;
  /** The job's hyperparameters, parsed as in TrainContext. */
  hyperparameters: H;
  /** The job's checkpoint store (the same folder as TrainContext.checkpoints). */
  checkpoints: ArtifactStore;
}

/** One named, independent piece of training; run through `TrainContext.tasks.run(name, inputs)`. */
export type TrainingTask<H = Record<string, unknown>> = (input: unknown, ctx: TaskContext<H>) => Promise<unknown>;

export interface TrainResult {
  /** The columns the model was trained on; stored in the manifest and used to decode header-less CSV. */
  inputSchema: InputSchema;
  /**
   * Final metrics, stored in the manifest for reference (single-host jobs only: on several hosts
   * each host knows its own share's, so the manifest holds none). On a host other than the
   * designated one of a multi-host job nothing of the result is written.
   */
  metrics?: Record<string, number>;
}

export interface PredictOptions<A = Record<string, unknown>> {
  /**
   * `X-Amzn-SageMaker-Custom-Attributes`, parsed and validated against `Algorithm.attributes`
   * (defaults applied; unknown keys were refused with a 400 before predict is called).
   */
  attributes: A;
  /** The header as received. */
  rawCustomAttributes: string;
  /** What the chosen presenter shows: compute candidates or explanations only when asked. */
  detail: PredictionDetail;
  /** Aborted when the request times out or the client goes away. */
  signal: AbortSignal;
  requestId: string;
  logger: Logger;
}

/** The result of loading a model: answers decoded batches with predictions. */
export interface Predictor<A = Record<string, unknown>, P extends RecordPrediction = RecordPrediction> {
  /** The columns this model predicts, in order (presenters lay out their output by it). */
  readonly targets: readonly string[];
  /**
   * Returns exactly one prediction per input record, in input order. Throw `RequestError`
   * (exported by the framework) for bad input, e.g. a missing column. Records hold the columns of
   * the model's input schema that the request sent (and, from JSON bodies, any other key too).
   */
  predict(batch: RecordBatch<InputRecord>, options: PredictOptions<A>): Promise<PredictionBatch<P>> | PredictionBatch<P>;
  /** Presenters of this model's own, beside the framework's (`columns`, `fill`). */
  readonly presenters?: readonly Presenter<A, P>[];
  /** The presenter a request gets when its `output` attribute names none, per output structure. */
  readonly defaultPresenters?: Partial<Record<OutputStructure, string>>;
  /** Releases resources (tensors, workers) on shutdown. */
  dispose?(): void | Promise<void>;
}

export interface LoadContext {
  /** The trained model's artifacts, read-only by convention. */
  model: ArtifactStore;
  /** The schema recorded at training time. */
  inputSchema: InputSchema;
  logger: Logger;
}

export interface ReportContext {
  /** The trained model's artifacts: untrusted, read them through validating loaders. */
  model: ArtifactStore;
  trained: TrainingRecord;
  logger: Logger;
}

/**
 * An algorithm plugin, generic in its hyperparameter schema `H` and request attribute schema `A`
 * (declare both `as const satisfies ...Schema`): `train` and `predict` receive typed values.
 */
export interface Algorithm<H extends HyperparameterSchema = HyperparameterSchema, A extends AttributeSchema = AttributeSchema> {
  /** Selected by the `algorithm` hyperparameter; lowercase letters, digits, `-` and `_`. */
  readonly name: string;
  /** Semantic version, recorded in the manifest. */
  readonly version: string;
  readonly description: string;
  readonly hyperparameters: H;
  /** Custom attributes a request may carry; anything else is refused. Default: none. */
  readonly attributes?: A;
  /** Media types this algorithm can answer. Defaults: every codec the framework has. */
  readonly contentTypes?: { accepts?: readonly string[]; produces?: readonly string[] };
  /**
   * Tasks `train` may spread over threads with `ctx.tasks.run(name, inputs)`. A thread finds them
   * on the algorithm it composes by name, so they must not depend on state set up by `train`.
   */
  readonly tasks?: Readonly<Record<string, TrainingTask<HyperparametersOf<H>>>>;
  /**
   * True: on a multi-host job `train` runs on every host, each training its share and writing only
   * model files no other host writes (SageMaker merges the hosts' model folders; a clash is an
   * error). Absent: only the designated host trains, the others exit 0 at once.
   */
  readonly distributed?: boolean;
  train(ctx: TrainContext<HyperparametersOf<H>>): Promise<TrainResult>;
  load(ctx: LoadContext): Promise<Predictor<AttributesOf<A>>>;
  /**
   * Describes a trained model for people (`byoc report`, and `output/data/report.html` after each
   * training job). Absent: the algorithm has no report. Read the model as untrusted input.
   */
  report?(ctx: ReportContext): Promise<ReportDocument>;
}

/** An algorithm of any schema, as the framework holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAlgorithm = Algorithm<any, any>;
