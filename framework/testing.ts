/**
 * Helpers for testing algorithm plugins without files, HTTP or SageMaker: an in-memory channel
 * reader, a recording metric emitter and logger, and a ready TrainContext / LoadContext.
 * Exported from the package as `sagemaker-byoc/testing`.
 */
import type {
  ChannelReader,
  LoadContext,
  Logger,
  MetricEmitter,
  PredictOptions,
  TrainContext,
} from './contract/algorithm.js';
import type { InputSchema, Table } from './contract/records.js';
import { TrainingError } from './contract/errors.js';
import { MemoryArtifactStore } from './storage/artifact-store.js';

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

export interface TestTrainContext<H> extends TrainContext<H> {
  model: MemoryArtifactStore;
  outputData: MemoryArtifactStore;
  checkpoints: MemoryArtifactStore;
  metrics: RecordingMetrics;
  logger: RecordingLogger;
  abort: AbortController;
}

/** A TrainContext over in-memory channels; `hyperparameters` are taken as already parsed. */
export function createTestTrainContext<H = Record<string, unknown>>(
  channels: Record<string, Table>,
  hyperparameters: H,
): TestTrainContext<H> {
  const abort = new AbortController();
  return {
    hyperparameters,
    channels: new MemoryChannelReader(channels),
    model: new MemoryArtifactStore(),
    outputData: new MemoryArtifactStore(),
    checkpoints: new MemoryArtifactStore(),
    logger: new RecordingLogger(),
    metrics: new RecordingMetrics(),
    signal: abort.signal,
    abort,
    hosts: { current: 'algo-1', all: ['algo-1'] },
  };
}

export function createTestLoadContext(model: MemoryArtifactStore, inputSchema: InputSchema): LoadContext {
  return { model, inputSchema, logger: new RecordingLogger() };
}

export function createTestPredictOptions(overrides: Partial<PredictOptions> = {}): PredictOptions {
  return {
    accept: 'application/json',
    customAttributes: {},
    rawCustomAttributes: '',
    signal: new AbortController().signal,
    requestId: 'test',
    logger: new RecordingLogger(),
    ...overrides,
  };
}

export { MemoryArtifactStore } from './storage/artifact-store.js';
