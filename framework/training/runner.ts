/**
 * Runs one training job: reads the job config, selects the algorithm by the `algorithm`
 * hyperparameter, parses the rest against the plugin's schema, trains, writes the manifest.
 * Any failure ends in output/failure (reason first, details after) and a non-zero exit code.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { inject, injectable } from 'inversify';
import type { AnyAlgorithm, ArtifactStore, Logger, MetricEmitter, ReportContext, TrainContext } from '../contract/algorithm.js';
import { TrainingAbortedError, TrainingError } from '../contract/errors.js';
import type { HyperparameterSchema } from '../contract/parameters.js';
import type { ReportDocument } from '../contract/report.js';
import { NO_PROGRESS, type ProgressReporter } from '../contract/progress.js';
import { TOKENS } from '../contract/services.js';
import { designatedHost, isDesignatedHost } from '../contract/hosts.js';
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import { UnknownAlgorithmError } from '../algorithms/registry.js';
import { createManifest, MANIFEST_FILE, trainingRecord, writeManifest } from '../model/manifest.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { frameworkInfo } from '../runtime/version.js';
import { readJobConfig } from '../ml-root/job-config.js';
import type { SageMakerPaths } from '../ml-root/paths.js';
import { DirectoryArtifactStore } from '../storage/artifact-store.js';
import { FileChannelReader } from './channels.js';
import { givenParameters, parseHyperparameters } from '../parameters/parse.js';
import { defuseMetricPlainText } from '../runtime/logger.js';
import { TrainingTaskPool, trainingThreads } from './task-pool.js';
import type { TaskThreadData } from './task-protocol.js';

export const EXIT_SUCCESS = 0;
/** The original container exited 255 on failure; kept for compatibility. */
export const EXIT_FAILURE = 255;
/** 128 + SIGTERM, the conventional code of a process stopped by SIGTERM. */
export const EXIT_STOPPED = 143;

export interface TrainingRunOptions {
  /**
   * The script task threads start on (the process's entry point, which hands over to the task loop
   * when it sees its workerData). None: the algorithm's tasks run in-process.
   */
  taskEntry?: string | URL;
  /** Called with the model's report once it is written to the output data folder (`byoc train` shows its summary on a terminal). */
  onReport?: (report: ReportDocument) => void;
  /** Where the algorithm's live progress goes (`byoc train` on a terminal draws it); default nowhere. */
  progress?: ProgressReporter;
  /**
   * Shows the failure text to a person once, instead of the "training failed" log line and its copy
   * on stderr (which a log reader wants both of); output/failure is written all the same.
   */
  showFailure?: (text: string) => void;
}

/** Longest failure text written to output/failure and stderr; SageMaker reads only its first ~1 KB. */
export const MAX_FAILURE_CHARS = 64 * 1024;
/** Longest reason in the "training failed" log line. */
const MAX_LOGGED_REASON_CHARS = 1024;

/** SageMaker uses the first ~1 KB of output/failure as FailureReason: the reason comes first, the text is capped. */
export function formatFailure(error: unknown, maxChars = MAX_FAILURE_CHARS): string {
  return capText(fullFailure(error), maxChars);
}

function fullFailure(error: unknown): string {
  if (error instanceof TrainingError || error instanceof TrainingAbortedError || error instanceof UnknownAlgorithmError) {
    const cause = error.cause instanceof Error ? `\n\nCaused by: ${error.cause.message}` : '';
    return `${error.message}${cause}\n`;
  }
  if (error instanceof Error) {
    return `${error.message || error.name}\n\nDetails (unexpected error, please report):\n${error.stack ?? ''}\n`;
  }
  return `${String(error)}\n`;
}

/** The text's start, at most `maxChars` characters in all, with a note of how much was cut. */
function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = (cut: number): string => `\n… (${cut} more characters not shown)\n`;
  let keep = Math.max(0, maxChars - note(text.length).length);
  // Do not split a surrogate pair.
  if (keep > 0 && (text.charCodeAt(keep - 1) & 0xfc00) === 0xd800) keep -= 1;
  return `${text.slice(0, keep)}${note(text.length - keep)}`;
}

@injectable()
export class TrainingRunner {
  constructor(
    @inject(TOKENS.Config) private readonly config: FrameworkConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.Paths) private readonly paths: SageMakerPaths,
    @inject(TOKENS.Metrics) private readonly metrics: MetricEmitter,
    @inject(TOKENS.AlgorithmRegistry) private readonly registry: AlgorithmRegistry,
  ) {}

  /** Resolves with the process exit code; never throws. */
  async run(options: TrainingRunOptions = {}): Promise<number> {
    const abort = new AbortController();
    const started = Date.now();
    const onTerm = (): void => {
      if (abort.signal.aborted) return;
      this.logger.warn('SIGTERM received: asking the algorithm to stop', {
        graceSeconds: this.config.training.abortGraceSeconds,
      });
      abort.abort(new TrainingAbortedError());
      // An algorithm that ignores the signal must not keep the job alive past SageMaker's SIGKILL.
      setTimeout(() => {
        void this.fail(
          new TrainingAbortedError(`training was stopped by SIGTERM and the algorithm did not stop within ${this.config.training.abortGraceSeconds} s`),
        ).then(() => process.exit(EXIT_STOPPED));
      }, this.config.training.abortGraceSeconds * 1000).unref();
    };
    process.on('SIGTERM', onTerm);
    try {
      await this.train(abort.signal, options);
      if (abort.signal.aborted) {
        throw new TrainingAbortedError('training was stopped by SIGTERM; the model trained until then was saved');
      }
      await rm(this.paths.failureFile, { force: true });
      this.logger.info('training complete', { seconds: (Date.now() - started) / 1000, modelDir: this.paths.modelDir });
      return EXIT_SUCCESS;
    } catch (error) {
      const stopped = abort.signal.aborted || error instanceof TrainingAbortedError;
      await this.fail(stopped && !(error instanceof TrainingAbortedError) ? new TrainingAbortedError() : error, options.showFailure);
      return stopped ? EXIT_STOPPED : EXIT_FAILURE;
    } finally {
      process.off('SIGTERM', onTerm);
    }
  }

  private async train(signal: AbortSignal, options: TrainingRunOptions): Promise<void> {
    const { taskEntry } = options;
    const progress = options.progress ?? NO_PROGRESS;
    const job = await readJobConfig(this.paths);
    const raw = { ...job.hyperparameters };
    const requested = raw.algorithm ?? this.config.algorithm.default;
    delete raw.algorithm;
    if (typeof requested !== 'string') throw new TrainingError('hyperparameter "algorithm" must be a string');
    const algorithm = this.registry.get(requested.trim(), 'hyperparameter "algorithm"');
    const hyperparameters = parseHyperparameters(algorithm.hyperparameters, raw);
    this.logger.info('training started', {
      algorithm: algorithm.name,
      version: algorithm.version,
      hyperparameters,
      hosts: job.resourceConfig.hosts,
    });
    const hosts = { current: job.resourceConfig.current_host, all: job.resourceConfig.hosts };
    const multiHost = hosts.all.length > 1;
    const designated = isDesignatedHost(hosts);
    if (multiHost && !designated && !algorithm.distributed) {
      this.logger.info(`training runs on host ${designatedHost(hosts)} alone: algorithm "${algorithm.name}" does not share its work across hosts`, {
        host: hosts.current,
      });
      return;
    }

    await Promise.all([this.paths.modelDir, this.paths.outputDataDir, this.paths.checkpointsDir].map((d) => mkdir(d, { recursive: true })));
    const model = new DirectoryArtifactStore(this.paths.modelDir);
    const channels = await FileChannelReader.open(this.paths, job.inputDataConfig, {
      signal,
      limits: {
        maxBytes: this.config.training.maxChannelMb * 1024 * 1024,
        maxRows: this.config.training.maxChannelRows,
        maxHeapShare: this.config.training.maxTableHeapShare,
      },
    });
    const checkpoints = new DirectoryArtifactStore(this.paths.checkpointsDir);
    const threadData: TaskThreadData = {
      byocRole: 'training-task',
      config: this.config,
      algorithm: algorithm.name,
      hyperparameters,
      checkpointsDir: this.paths.checkpointsDir,
    };
    const tasks = new TrainingTaskPool({
      algorithm: algorithm.name,
      tasks: algorithm.tasks,
      hyperparameters,
      checkpoints,
      logger: this.logger,
      progress,
      signal,
      threads: trainingThreads(this.config),
      spawn: taskEntry ? () => new Worker(taskEntry, { workerData: threadData }) : undefined,
    });
    // SageMaker merges every host's output data too: a folder per host keeps their file names apart
    const outputData = new DirectoryArtifactStore(multiHost ? path.join(this.paths.outputDataDir, hosts.current) : this.paths.outputDataDir);
    const ctx: TrainContext = {
      hyperparameters,
      channels,
      model,
      outputData,
      checkpoints,
      logger: this.logger,
      metrics: this.metrics,
      progress,
      signal,
      hosts,
      givenHyperparameters: givenParameters(algorithm.hyperparameters as HyperparameterSchema, raw),
      tasks,
    };
    let result;
    try {
      result = await algorithm.train(ctx);
    } finally {
      // Live threads would keep the job's process running.
      await tasks.close();
    }
    if (!result || !result.inputSchema || !Array.isArray(result.inputSchema.columns)) {
      throw new Error(`algorithm "${algorithm.name}" returned no input schema from train()`);
    }
    if (!designated) {
      // the merged model folder gets one manifest: two hosts writing it would clash in model.tar.gz
      this.logger.info(`${MANIFEST_FILE} is written by host ${designatedHost(hosts)}`, { host: hosts.current });
      return;
    }
    const manifest = createManifest({
      algorithm: { name: algorithm.name, version: algorithm.version },
      framework: frameworkInfo(),
      inputSchema: result.inputSchema,
      hyperparameters: { algorithm: algorithm.name, ...hyperparameters },
      metrics: result.metrics,
      multiHost,
    });
    await writeManifest(model, manifest);
    if (multiHost) this.logger.info('training report not written on a multi-host job (this host sees only its share): run byoc report on the merged model');
    else if (!signal.aborted)
      await this.writeReport(algorithm, { model, trained: trainingRecord(manifest), logger: this.logger }, outputData, options.onReport);
  }

  /** The algorithm's report of the new model into output data; a report that fails is a warning, never a failed job. */
  private async writeReport(algorithm: AnyAlgorithm, ctx: ReportContext, outputData: ArtifactStore, onReport: TrainingRunOptions['onReport']): Promise<void> {
    if (!algorithm.report) return;
    const started = Date.now();
    try {
      // vega is loaded only now, and only for an algorithm with a report
      const { buildReportPage, REPORT_FILE } = await import('../report/report-page.js');
      const page = await buildReportPage(algorithm, ctx);
      if (!page) return;
      await outputData.writeFile(REPORT_FILE, page.html);
      this.logger.info('training report written', { file: path.join(this.paths.outputDataDir, REPORT_FILE), seconds: (Date.now() - started) / 1000 });
      onReport?.(page.document);
    } catch (error) {
      this.logger.warn('training report not written', { error: (error as Error).message });
    }
  }

  private async fail(error: unknown, show?: (text: string) => void): Promise<void> {
    const text = formatFailure(error);
    const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
    if (show) show(defuseMetricPlainText(text));
    else {
      this.logger.error('training failed', { reason: capText(firstLine, MAX_LOGGED_REASON_CHARS) });
      // stderr reaches the same log stream as the METRIC lines: data in the text must not forge one.
      process.stderr.write(defuseMetricPlainText(text));
    }
    try {
      await mkdir(path.dirname(this.paths.failureFile), { recursive: true });
      await writeFile(this.paths.failureFile, text);
    } catch (writeError) {
      this.logger.error('could not write the failure file', {
        file: this.paths.failureFile,
        error: (writeError as Error).message,
      });
    }
  }
}
