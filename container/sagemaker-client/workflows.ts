/**
 * The SageMaker workflows behind the CLI: train → model → endpoint → invoke, batch transform,
 * automatic model tuning, invoke, cleanup. Every function takes its AWS clients, output sink
 * and clock as arguments (see Deps), and the request builders are pure, so tests check the
 * exact requests against in-process fakes.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateHyperParameterTuningJobCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  type Channel,
  type CreateEndpointConfigCommandInput,
  type CreateHyperParameterTuningJobCommandInput,
  type CreateModelCommandInput,
  type CreateTrainingJobCommandInput,
  type CreateTransformJobCommandInput,
  type DescribeEndpointCommandOutput,
  type DescribeHyperParameterTuningJobCommandOutput,
  type DescribeTrainingJobCommandOutput,
  type DescribeTransformJobCommandOutput,
  type ProductionVariantInstanceType,
  type TrainingInstanceType,
  type TransformInstanceType,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { AwsClients } from './clients.js';
import { metricDefinitions, objectiveType } from './metrics.js';
import { type RangeSpec, toParameterRanges } from './hyperparameters.js';
import { TUNING_JOB_NAME_MAX, uniqueName } from './naming.js';
import { bodyToString, checkS3Uri, contentTypeOf, isS3Uri, parseS3Uri, readObjectText, s3Uri, uploadFile } from './s3.js';
import { type Clock, formatDuration, pollUntil } from './wait.js';

/** Progress goes to `info` (stderr in the CLI); results (tables, names) to `result` (stdout). */
export interface Io {
  info(message: string): void;
  result(text: string): void;
}

export interface Deps {
  clients: AwsClients;
  io: Io;
  clock: Clock;
}

export interface WaitSettings {
  /** Poll interval in ms. */
  intervalMs: number;
  /** Give up after this many ms. */
  timeoutMs: number;
}

export const DEFAULT_WAIT: Readonly<Record<'training' | 'endpoint' | 'transform' | 'tuning', WaitSettings>> = {
  training: { intervalMs: 15_000, timeoutMs: 6 * 3600_000 },
  endpoint: { intervalMs: 20_000, timeoutMs: 3600_000 },
  transform: { intervalMs: 15_000, timeoutMs: 6 * 3600_000 },
  tuning: { intervalMs: 30_000, timeoutMs: 24 * 3600_000 },
};

/** Error for a SageMaker resource that ended in Failed/Stopped, carrying its FailureReason. */
export class SageMakerJobError extends Error {
  constructor(
    readonly resource: string,
    readonly status: string,
    readonly failureReason: string | undefined,
  ) {
    super(`${resource} ended with status ${status}: ${failureReason?.trim() || 'no FailureReason given'}`);
    this.name = 'SageMakerJobError';
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting: one poll loop, one row per kind of resource
// ---------------------------------------------------------------------------------------------

/** How to wait for one kind of SageMaker resource. */
interface Waitable<T extends { FailureReason?: string | undefined }> {
  /** Names the resource in messages: "<kind> <name>: ...". */
  kind: string;
  describe(deps: Deps, name: string): Promise<T>;
  status(d: T): string | undefined;
  /** The status that ends the wait. */
  done: string;
  /** The statuses that fail it (SageMakerJobError with the FailureReason). */
  failed: readonly string[];
  /** The progress after "<kind> <name>: ", printed whenever it changes. Default: the status. */
  progress?(d: T): string;
  /** The status a timeout names. Default: the status. */
  pending?(d: T): string;
  /** More output, per wait: sees every description before its progress line. */
  observe?(deps: Deps): (d: T, elapsedMs: number) => void;
  /** Output once the status is `done`. */
  finished?(deps: Deps, d: T): void;
}

interface Described {
  training: DescribeTrainingJobCommandOutput;
  endpoint: DescribeEndpointCommandOutput;
  transform: DescribeTransformJobCommandOutput;
  tuning: DescribeHyperParameterTuningJobCommandOutput;
}

const WAITABLE: { [K in keyof Described]: Waitable<Described[K]> } = {
  training: {
    kind: 'training job',
    describe: (deps, name) => deps.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
    status: (d) => d.TrainingJobStatus,
    done: 'Completed',
    failed: ['Failed', 'Stopped'],
    progress: (d) => `${d.TrainingJobStatus}/${d.SecondaryStatus ?? '-'}`,
    pending: (d) => `${d.TrainingJobStatus ?? 'unknown'}/${d.SecondaryStatus ?? '-'}`,
    // the status messages (SecondaryStatusTransitions), each once
    observe: (deps) => {
      let seenTransitions = 0;
      return (d, elapsed) => {
        const transitions = d.SecondaryStatusTransitions ?? [];
        for (const t of transitions.slice(seenTransitions)) {
          deps.io.info(`  [${formatDuration(elapsed)}] ${t.Status}${t.StatusMessage ? `: ${t.StatusMessage}` : ''}`);
        }
        seenTransitions = Math.max(seenTransitions, transitions.length);
      };
    },
    finished: (deps, d) => {
      for (const m of d.FinalMetricDataList ?? []) deps.io.info(`  final ${m.MetricName} = ${m.Value}`);
      if (d.EnableManagedSpotTraining && d.TrainingTimeInSeconds && d.BillableTimeInSeconds !== undefined) {
        const saved = Math.round((1 - d.BillableTimeInSeconds / d.TrainingTimeInSeconds) * 100);
        deps.io.info(`  managed spot: billable ${d.BillableTimeInSeconds}s of ${d.TrainingTimeInSeconds}s training (${saved}% saved)`);
      }
    },
  },
  endpoint: {
    kind: 'endpoint',
    describe: (deps, name) => deps.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name })),
    status: (d) => d.EndpointStatus,
    done: 'InService',
    failed: ['Failed', 'OutOfService'],
  },
  transform: {
    kind: 'transform job',
    describe: (deps, name) => deps.clients.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name })),
    status: (d) => d.TransformJobStatus,
    done: 'Completed',
    failed: ['Failed', 'Stopped'],
  },
  tuning: {
    kind: 'tuning job',
    describe: (deps, name) => deps.clients.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })),
    status: (d) => d.HyperParameterTuningJobStatus,
    done: 'Completed',
    failed: ['Failed', 'Stopped'],
    progress: (d) => {
      const c = d.TrainingJobStatusCounters ?? {};
      const best = d.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric;
      return (
        `${d.HyperParameterTuningJobStatus} — completed ${c.Completed ?? 0}, ` +
        `in progress ${c.InProgress ?? 0}, failed ${(c.NonRetryableError ?? 0) + (c.RetryableError ?? 0)}, stopped ${c.Stopped ?? 0}` +
        (best ? `; best ${best.MetricName} = ${best.Value}` : '')
      );
    },
  },
};

/**
 * Waits for a training job, endpoint, transform job or tuning job (`kind`) until its `done`
 * status, printing its progress whenever it changes; throws SageMakerJobError (with the
 * FailureReason) on a failed status and WaitTimeoutError after `wait.timeoutMs`.
 */
export async function waitFor<K extends keyof Described>(deps: Deps, kind: K, name: string, wait: WaitSettings = DEFAULT_WAIT[kind]): Promise<Described[K]> {
  const w: Waitable<Described[K]> = WAITABLE[kind];
  const what = `${w.kind} ${name}`;
  const observe = w.observe?.(deps);
  let last = '';
  const result = await pollUntil({
    what,
    clock: deps.clock,
    ...wait,
    describe: () => w.describe(deps, name),
    onState: (d, elapsed) => {
      observe?.(d, elapsed);
      const line = w.progress ? w.progress(d) : `${w.status(d)}`;
      if (line !== last) {
        deps.io.info(`${what}: ${line} (${formatDuration(elapsed)})`);
        last = line;
      }
    },
    check: (d) => {
      const status = w.status(d);
      if (status === w.done) return { done: true, result: d };
      if (status !== undefined && w.failed.includes(status)) throw new SageMakerJobError(what, status, d.FailureReason);
      return { done: false, status: w.pending ? w.pending(d) : (status ?? 'unknown') };
    },
  });
  w.finished?.(deps, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

export interface ChannelSpec {
  name: string;
  s3Uri: string;
  contentType?: string;
}

/** Where the container reads and writes checkpoints; SageMaker syncs it with CheckpointConfig.S3Uri. */
export const CHECKPOINT_LOCAL_PATH = '/opt/ml/checkpoints';

/** Managed spot training and checkpoints of training jobs (train-and-deploy, tune). */
export interface SpotSettings {
  /** EnableManagedSpotTraining: run on spot capacity, waiting for it up to maxWaitSeconds. */
  spot?: boolean;
  /** StoppingCondition.MaxWaitTimeInSeconds (spot only): >= maxRuntimeSeconds; default 2 x maxRuntimeSeconds. */
  maxWaitSeconds?: number;
  /** CheckpointConfig.S3Uri, synced with CHECKPOINT_LOCAL_PATH. The workflows default it with `spot`. */
  checkpointS3Uri?: string;
}

/** MaxWaitTimeInSeconds when --spot is given without --max-wait-seconds. */
export function defaultMaxWaitSeconds(maxRuntimeSeconds: number): number {
  return 2 * maxRuntimeSeconds;
}

/** What is wrong with spot/checkpoint settings (a message naming the CLI flags), or undefined. */
export function spotSettingsProblem(s: SpotSettings & { maxRuntimeSeconds: number }): string | undefined {
  if (s.maxWaitSeconds !== undefined) {
    if (!s.spot) return '--max-wait-seconds needs --spot (MaxWaitTimeInSeconds is only valid for managed spot training)';
    if (!Number.isInteger(s.maxWaitSeconds) || s.maxWaitSeconds < s.maxRuntimeSeconds) {
      return `--max-wait-seconds (${s.maxWaitSeconds}) must be a whole number >= --max-runtime (${s.maxRuntimeSeconds}): it includes the training time`;
    }
  }
  if (s.checkpointS3Uri !== undefined) {
    const problem = checkS3Uri(s.checkpointS3Uri);
    if (problem) return `--checkpoint-s3-uri: ${problem}`;
  }
  return undefined;
}

/** The checkpoint prefix of job `jobName` when spot is on and none was given: s3://BUCKET/PREFIX/checkpoints/JOB/. */
function checkpointUriOf(o: SpotSettings & Pick<AwsPlacement, 'bucket' | 'prefix'>, jobName: string): string | undefined {
  if (o.checkpointS3Uri !== undefined) return o.checkpointS3Uri;
  return o.spot ? s3Uri(o.bucket, o.prefix, 'checkpoints', jobName) + '/' : undefined;
}

/** The spot settings of the options with the defaults filled in; throws on invalid settings (before anything is sent). */
function resolvedSpot(o: SpotSettings & Pick<AwsPlacement, 'bucket' | 'prefix'> & { maxRuntimeSeconds: number }, jobName: string): SpotSettings {
  const problem = spotSettingsProblem(o);
  if (problem) throw new Error(problem);
  const checkpointS3Uri = checkpointUriOf(o, jobName);
  return {
    ...(o.spot ? { spot: true, maxWaitSeconds: o.maxWaitSeconds ?? defaultMaxWaitSeconds(o.maxRuntimeSeconds) } : {}),
    ...(checkpointS3Uri ? { checkpointS3Uri } : {}),
  };
}

/** StoppingCondition, EnableManagedSpotTraining and CheckpointConfig, shared by training and tuning job requests. */
function stoppingAndSpot(
  spec: SpotSettings & { maxRuntimeSeconds: number },
): Required<Pick<CreateTrainingJobCommandInput, 'StoppingCondition'>> & Pick<CreateTrainingJobCommandInput, 'EnableManagedSpotTraining' | 'CheckpointConfig'> {
  return {
    StoppingCondition: {
      MaxRuntimeInSeconds: spec.maxRuntimeSeconds,
      ...(spec.spot ? { MaxWaitTimeInSeconds: spec.maxWaitSeconds ?? defaultMaxWaitSeconds(spec.maxRuntimeSeconds) } : {}),
    },
    ...(spec.spot ? { EnableManagedSpotTraining: true } : {}),
    ...(spec.checkpointS3Uri ? { CheckpointConfig: { S3Uri: spec.checkpointS3Uri, LocalPath: CHECKPOINT_LOCAL_PATH } } : {}),
  };
}

function spotInfo(spec: SpotSettings): string {
  return [spec.spot ? `managed spot, max wait ${spec.maxWaitSeconds}s` : '', spec.checkpointS3Uri ? `checkpoints ${spec.checkpointS3Uri}` : '']
    .filter((p) => p !== '')
    .join(', ');
}

export interface TrainingSpec extends SpotSettings {
  jobName: string;
  image: string;
  role: string;
  instanceType: string;
  instanceCount: number;
  volumeSizeGb: number;
  maxRuntimeSeconds: number;
  hyperparameters: Record<string, string>;
  channels: ChannelSpec[];
  outputS3Uri: string;
  metricNames?: readonly string[];
  tags?: Record<string, string>;
}

function channels(specs: readonly ChannelSpec[]): Channel[] {
  return specs.map((c) => ({
    ChannelName: c.name,
    DataSource: {
      S3DataSource: { S3DataType: 'S3Prefix', S3Uri: c.s3Uri, S3DataDistributionType: 'FullyReplicated' },
    },
    ContentType: c.contentType ?? 'text/csv',
    CompressionType: 'None',
  }));
}

function tagList(tags?: Record<string, string>): { Key: string; Value: string }[] | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function trainingJobRequest(spec: TrainingSpec): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: spec.jobName,
    AlgorithmSpecification: {
      TrainingImage: spec.image,
      TrainingInputMode: 'File',
      MetricDefinitions: metricDefinitions(spec.metricNames),
      EnableSageMakerMetricsTimeSeries: true,
    },
    RoleArn: spec.role,
    HyperParameters: { ...spec.hyperparameters },
    InputDataConfig: channels(spec.channels),
    OutputDataConfig: { S3OutputPath: spec.outputS3Uri },
    ResourceConfig: {
      InstanceType: spec.instanceType as TrainingInstanceType,
      InstanceCount: spec.instanceCount,
      VolumeSizeInGB: spec.volumeSizeGb,
    },
    ...stoppingAndSpot(spec),
    Tags: tagList(spec.tags),
  };
}

export async function startTrainingJob(deps: Deps, spec: TrainingSpec): Promise<string> {
  const res = await deps.clients.sagemaker.send(new CreateTrainingJobCommand(trainingJobRequest(spec)));
  deps.io.info(`training job ${spec.jobName} created${res.TrainingJobArn ? ` (${res.TrainingJobArn})` : ''}`);
  const spot = spotInfo(spec);
  if (spot) deps.io.info(`  ${spot}`);
  return spec.jobName;
}

// ---------------------------------------------------------------------------------------------
// Model, endpoint, invocation
// ---------------------------------------------------------------------------------------------

export interface ModelSpec {
  modelName: string;
  image: string;
  /** A model.tar.gz; for a multi-model endpoint, the S3 prefix its models are under. */
  modelDataUrl: string;
  role: string;
  environment?: Record<string, string>;
  /** MultiModel: the container loads the models under `modelDataUrl` on demand (docs/multi-model.md). */
  mode?: 'SingleModel' | 'MultiModel';
  tags?: Record<string, string>;
}

export function modelRequest(spec: ModelSpec): CreateModelCommandInput {
  return {
    ModelName: spec.modelName,
    PrimaryContainer: {
      Image: spec.image,
      ModelDataUrl: spec.modelDataUrl,
      ...(spec.mode ? { Mode: spec.mode } : {}),
      Environment: spec.environment && Object.keys(spec.environment).length > 0 ? { ...spec.environment } : undefined,
    },
    ExecutionRoleArn: spec.role,
    Tags: tagList(spec.tags),
  };
}

export interface EndpointSpec {
  endpointName: string;
  endpointConfigName: string;
  modelName: string;
  instanceType: string;
  instanceCount: number;
  /** Serverless inference instead of instances (MemorySizeInMB 1024-6144, MaxConcurrency 1-200). */
  serverless?: { memoryMb: number; maxConcurrency: number };
  tags?: Record<string, string>;
}

export function endpointConfigRequest(spec: EndpointSpec): CreateEndpointConfigCommandInput {
  const capacity = spec.serverless
    ? { ServerlessConfig: { MemorySizeInMB: spec.serverless.memoryMb, MaxConcurrency: spec.serverless.maxConcurrency } }
    : { InitialInstanceCount: spec.instanceCount, InstanceType: spec.instanceType as ProductionVariantInstanceType };
  return {
    EndpointConfigName: spec.endpointConfigName,
    ProductionVariants: [
      {
        VariantName: 'AllTraffic',
        ModelName: spec.modelName,
        ...capacity,
        InitialVariantWeight: 1,
      },
    ],
    Tags: tagList(spec.tags),
  };
}

export async function createModel(deps: Deps, spec: ModelSpec): Promise<string> {
  await deps.clients.sagemaker.send(new CreateModelCommand(modelRequest(spec)));
  deps.io.info(`model ${spec.modelName} created from ${spec.modelDataUrl}`);
  return spec.modelName;
}

export async function createEndpoint(deps: Deps, spec: EndpointSpec): Promise<string> {
  await deps.clients.sagemaker.send(new CreateEndpointConfigCommand(endpointConfigRequest(spec)));
  const capacity = spec.serverless
    ? `serverless, ${spec.serverless.memoryMb} MB, up to ${spec.serverless.maxConcurrency} concurrent`
    : `${spec.instanceCount} x ${spec.instanceType}`;
  deps.io.info(`endpoint config ${spec.endpointConfigName} created (${capacity})`);
  await deps.clients.sagemaker.send(
    new CreateEndpointCommand({
      EndpointName: spec.endpointName,
      EndpointConfigName: spec.endpointConfigName,
      Tags: tagList(spec.tags),
    }),
  );
  deps.io.info(`endpoint ${spec.endpointName} creating`);
  return spec.endpointName;
}

export interface InvokeSpec {
  endpointName: string;
  body: Uint8Array | string;
  contentType: string;
  accept?: string;
  customAttributes?: string;
  /** Multi-model endpoint: the model (its key under the endpoint's S3 prefix, e.g. `m.tar.gz`). */
  targetModel?: string;
}

export async function invokeEndpoint(deps: Deps, spec: InvokeSpec): Promise<{ contentType: string; body: string }> {
  const body = typeof spec.body === 'string' ? new TextEncoder().encode(spec.body) : spec.body;
  const res = await deps.clients.runtime.send(
    new InvokeEndpointCommand({
      EndpointName: spec.endpointName,
      ContentType: spec.contentType,
      Accept: spec.accept ?? spec.contentType,
      Body: body,
      CustomAttributes: spec.customAttributes,
      ...(spec.targetModel ? { TargetModel: spec.targetModel } : {}),
    }),
  );
  return { contentType: res.ContentType ?? spec.accept ?? spec.contentType, body: await bodyToString(res.Body) };
}

// ---------------------------------------------------------------------------------------------
// train-and-deploy
// ---------------------------------------------------------------------------------------------

export interface AwsPlacement {
  bucket: string;
  /** Key prefix under which all objects of this tool go. */
  prefix: string;
  role: string;
  image: string;
}

export interface TrainAndDeployOptions extends AwsPlacement, SpotSettings {
  baseName: string;
  /** Local CSV file (uploaded) or s3:// URI (used as is). */
  train: string;
  validation?: string;
  /** Local CSV to invoke the endpoint with once it is in service. */
  testFile?: string;
  hyperparameters: Record<string, string>;
  trainingInstanceType: string;
  trainingInstanceCount: number;
  volumeSizeGb: number;
  maxRuntimeSeconds: number;
  endpointInstanceType: string;
  endpointInstanceCount: number;
  environment?: Record<string, string>;
  accept?: string;
  /** Delete endpoint, endpoint config and model after the test invocation. */
  deleteEndpoint?: boolean;
  /** Stop after creating the training job. */
  noWait?: boolean;
  tags?: Record<string, string>;
  waits?: Partial<typeof DEFAULT_WAIT>;
}

export interface TrainAndDeployResult {
  trainingJobName: string;
  modelName?: string;
  endpointConfigName?: string;
  endpointName?: string;
  modelDataUrl?: string;
  prediction?: { contentType: string; body: string };
}

/** Uploads a local file under `prefix/input/<job>/<channel>/` or passes an s3:// URI through; returns the channel URI. */
export async function stageChannel(
  deps: Deps,
  source: string,
  placement: Pick<AwsPlacement, 'bucket' | 'prefix'>,
  jobName: string,
  channel: string,
): Promise<string> {
  if (isS3Uri(source)) return source;
  const key = s3Uri(placement.bucket, placement.prefix, 'input', jobName, channel, path.basename(source));
  await uploadFile(deps.clients.s3, source, parseS3Uri(key), {
    onProgress: (sent, total) => {
      if (sent === total) deps.io.info(`uploaded ${source} (${total} bytes) to ${key}`);
    },
  });
  return s3Uri(placement.bucket, placement.prefix, 'input', jobName, channel) + '/';
}

export async function trainAndDeploy(deps: Deps, o: TrainAndDeployOptions): Promise<TrainAndDeployResult> {
  const jobName = uniqueName(o.baseName, new Date(deps.clock.now()));
  const spot = resolvedSpot(o, jobName);
  const channelSpecs: ChannelSpec[] = [{ name: 'train', s3Uri: await stageChannel(deps, o.train, o, jobName, 'train') }];
  if (o.validation) {
    channelSpecs.push({ name: 'validation', s3Uri: await stageChannel(deps, o.validation, o, jobName, 'validation') });
  }
  await startTrainingJob(deps, {
    jobName,
    image: o.image,
    role: o.role,
    instanceType: o.trainingInstanceType,
    instanceCount: o.trainingInstanceCount,
    volumeSizeGb: o.volumeSizeGb,
    maxRuntimeSeconds: o.maxRuntimeSeconds,
    hyperparameters: o.hyperparameters,
    channels: channelSpecs,
    outputS3Uri: s3Uri(o.bucket, o.prefix, 'training-output'),
    ...spot,
    ...(o.tags ? { tags: o.tags } : {}),
  });
  if (o.noWait) return { trainingJobName: jobName };

  const trained = await waitFor(deps, 'training', jobName, { ...DEFAULT_WAIT.training, ...o.waits?.training });
  const modelDataUrl = trained.ModelArtifacts?.S3ModelArtifacts;
  if (!modelDataUrl) throw new Error(`training job ${jobName} completed without ModelArtifacts.S3ModelArtifacts`);
  deps.io.info(`model artifacts: ${modelDataUrl}`);

  const modelName = jobName;
  const endpointName = jobName;
  const endpointConfigName = jobName;
  await createModel(deps, {
    modelName,
    image: o.image,
    modelDataUrl,
    role: o.role,
    ...(o.environment ? { environment: o.environment } : {}),
    ...(o.tags ? { tags: o.tags } : {}),
  });
  await createEndpoint(deps, {
    endpointName,
    endpointConfigName,
    modelName,
    instanceType: o.endpointInstanceType,
    instanceCount: o.endpointInstanceCount,
    ...(o.tags ? { tags: o.tags } : {}),
  });
  await waitFor(deps, 'endpoint', endpointName, { ...DEFAULT_WAIT.endpoint, ...o.waits?.endpoint });
  deps.io.result(`endpoint ${endpointName} is InService`);

  const result: TrainAndDeployResult = { trainingJobName: jobName, modelName, endpointConfigName, endpointName, modelDataUrl };
  try {
    if (o.testFile) {
      const body = await readFile(o.testFile);
      result.prediction = await invokeEndpoint(deps, {
        endpointName,
        body,
        contentType: contentTypeOf(o.testFile),
        accept: o.accept ?? 'text/csv',
      });
    }
  } finally {
    if (o.deleteEndpoint) await cleanup(deps, { endpointName });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Batch transform
// ---------------------------------------------------------------------------------------------

export interface TransformSpec {
  jobName: string;
  modelName: string;
  inputS3Uri: string;
  outputS3Uri: string;
  instanceType: string;
  instanceCount: number;
  contentType: string;
  accept: string;
  strategy: 'MultiRecord' | 'SingleRecord';
  maxPayloadMb?: number;
  maxConcurrentTransforms?: number;
  environment?: Record<string, string>;
  tags?: Record<string, string>;
}

export function transformJobRequest(spec: TransformSpec): CreateTransformJobCommandInput {
  return {
    TransformJobName: spec.jobName,
    ModelName: spec.modelName,
    BatchStrategy: spec.strategy,
    MaxPayloadInMB: spec.maxPayloadMb,
    MaxConcurrentTransforms: spec.maxConcurrentTransforms,
    Environment: spec.environment && Object.keys(spec.environment).length > 0 ? { ...spec.environment } : undefined,
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: spec.inputS3Uri } },
      ContentType: spec.contentType,
      CompressionType: 'None',
      SplitType: 'Line',
    },
    TransformOutput: {
      S3OutputPath: spec.outputS3Uri,
      Accept: spec.accept,
      AssembleWith: 'Line',
    },
    TransformResources: { InstanceType: spec.instanceType as TransformInstanceType, InstanceCount: spec.instanceCount },
    Tags: tagList(spec.tags),
  };
}

export interface BatchTransformOptions {
  bucket: string;
  prefix: string;
  baseName: string;
  /** Existing model, or: */
  modelName?: string;
  /** …a completed training job whose artifacts become a new model (needs image and role). */
  trainingJobName?: string;
  image?: string;
  role?: string;
  /** Local file (uploaded) or s3:// prefix/object. */
  input: string;
  outputS3Uri?: string;
  instanceType: string;
  instanceCount: number;
  contentType?: string;
  accept?: string;
  strategy?: 'MultiRecord' | 'SingleRecord';
  maxPayloadMb?: number;
  maxConcurrentTransforms?: number;
  environment?: Record<string, string>;
  noWait?: boolean;
  tags?: Record<string, string>;
  wait?: Partial<WaitSettings>;
}

export interface BatchTransformResult {
  transformJobName: string;
  modelName: string;
  outputS3Uri: string;
  /** When the input was one local file: the assembled output (`<file>.out`). */
  output?: string;
}

export async function batchTransform(deps: Deps, o: BatchTransformOptions): Promise<BatchTransformResult> {
  const jobName = uniqueName(o.baseName, new Date(deps.clock.now()));
  let modelName = o.modelName;
  if (!modelName) {
    if (!o.trainingJobName) throw new Error('batch-transform needs --model-name or --training-job');
    if (!o.image || !o.role) throw new Error('creating a model from --training-job needs --image and --role');
    const job = await deps.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: o.trainingJobName }));
    if (job.TrainingJobStatus !== 'Completed' || !job.ModelArtifacts?.S3ModelArtifacts) {
      throw new SageMakerJobError(
        `training job ${o.trainingJobName}`,
        job.TrainingJobStatus ?? 'unknown',
        job.FailureReason ?? 'it has no model artifacts (not Completed)',
      );
    }
    modelName = jobName;
    await createModel(deps, {
      modelName,
      image: o.image,
      role: o.role,
      modelDataUrl: job.ModelArtifacts.S3ModelArtifacts,
      ...(o.tags ? { tags: o.tags } : {}),
    });
  }
  const local = !isS3Uri(o.input);
  let inputS3Uri = o.input;
  if (local) {
    const uri = s3Uri(o.bucket, o.prefix, 'transform-input', jobName, path.basename(o.input));
    await uploadFile(deps.clients.s3, o.input, parseS3Uri(uri));
    deps.io.info(`uploaded ${o.input} to ${uri}`);
    inputS3Uri = uri;
  }
  const outputS3Uri = o.outputS3Uri ?? s3Uri(o.bucket, o.prefix, 'transform-output', jobName);
  const contentType = o.contentType ?? (local ? contentTypeOf(o.input) : 'text/csv');
  await deps.clients.sagemaker.send(
    new CreateTransformJobCommand(
      transformJobRequest({
        jobName,
        modelName,
        inputS3Uri,
        outputS3Uri,
        instanceType: o.instanceType,
        instanceCount: o.instanceCount,
        contentType,
        accept: o.accept ?? contentType,
        strategy: o.strategy ?? 'MultiRecord',
        ...(o.maxPayloadMb !== undefined ? { maxPayloadMb: o.maxPayloadMb } : {}),
        ...(o.maxConcurrentTransforms !== undefined ? { maxConcurrentTransforms: o.maxConcurrentTransforms } : {}),
        ...(o.environment ? { environment: o.environment } : {}),
        ...(o.tags ? { tags: o.tags } : {}),
      }),
    ),
  );
  deps.io.info(`transform job ${jobName} created (model ${modelName}, output ${outputS3Uri})`);
  const result: BatchTransformResult = { transformJobName: jobName, modelName, outputS3Uri };
  if (o.noWait) return result;
  await waitFor(deps, 'transform', jobName, { ...DEFAULT_WAIT.transform, ...o.wait });
  if (local) {
    // SageMaker writes the output of input object `name` as `<S3OutputPath>/name.out`.
    const out = parseS3Uri(`${outputS3Uri.replace(/\/+$/, '')}/${path.basename(o.input)}.out`);
    result.output = await readObjectText(deps.clients.s3, out);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Automatic model tuning
// ---------------------------------------------------------------------------------------------

export interface TuningSpec extends SpotSettings {
  jobName: string;
  image: string;
  role: string;
  objective: string;
  strategy: 'Bayesian' | 'Random' | 'Hyperband' | 'Grid';
  maxJobs: number;
  maxParallelJobs: number;
  earlyStopping: 'Off' | 'Auto';
  ranges: readonly RangeSpec[];
  staticHyperparameters: Record<string, string>;
  channels: ChannelSpec[];
  outputS3Uri: string;
  instanceType: string;
  instanceCount: number;
  volumeSizeGb: number;
  maxRuntimeSeconds: number;
  tags?: Record<string, string>;
}

export function tuningJobRequest(spec: TuningSpec): CreateHyperParameterTuningJobCommandInput {
  const tuned = new Set(spec.ranges.map((r) => r.name));
  const staticHps = Object.fromEntries(Object.entries(spec.staticHyperparameters).filter(([k]) => !tuned.has(k)));
  const metricNames = metricDefinitions().some((m) => m.Name === spec.objective) ? undefined : [...metricDefinitions().map((m) => m.Name!), spec.objective];
  return {
    HyperParameterTuningJobName: spec.jobName,
    HyperParameterTuningJobConfig: {
      Strategy: spec.strategy,
      HyperParameterTuningJobObjective: { Type: objectiveType(spec.objective), MetricName: spec.objective },
      ResourceLimits: { MaxNumberOfTrainingJobs: spec.maxJobs, MaxParallelTrainingJobs: spec.maxParallelJobs },
      ParameterRanges: toParameterRanges(spec.ranges),
      TrainingJobEarlyStoppingType: spec.strategy === 'Hyperband' ? undefined : spec.earlyStopping,
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: {
        TrainingImage: spec.image,
        TrainingInputMode: 'File',
        MetricDefinitions: metricDefinitions(metricNames),
      },
      RoleArn: spec.role,
      StaticHyperParameters: staticHps,
      InputDataConfig: channels(spec.channels),
      OutputDataConfig: { S3OutputPath: spec.outputS3Uri },
      ResourceConfig: {
        InstanceType: spec.instanceType as TrainingInstanceType,
        InstanceCount: spec.instanceCount,
        VolumeSizeInGB: spec.volumeSizeGb,
      },
      ...stoppingAndSpot(spec),
    },
    Tags: tagList(spec.tags),
  };
}

export interface TuneOptions extends AwsPlacement, SpotSettings {
  baseName: string;
  train: string;
  validation?: string;
  objective: string;
  strategy: TuningSpec['strategy'];
  maxJobs: number;
  maxParallelJobs: number;
  earlyStopping: TuningSpec['earlyStopping'];
  ranges: readonly RangeSpec[];
  staticHyperparameters: Record<string, string>;
  instanceType: string;
  instanceCount: number;
  volumeSizeGb: number;
  maxRuntimeSeconds: number;
  noWait?: boolean;
  tags?: Record<string, string>;
  wait?: Partial<WaitSettings>;
}

export interface TuneResult {
  tuningJobName: string;
  bestTrainingJob?: string;
  bestObjective?: { name: string; value: number };
  bestHyperparameters?: Record<string, string>;
}

export async function tune(deps: Deps, o: TuneOptions): Promise<TuneResult> {
  const jobName = uniqueName(o.baseName, new Date(deps.clock.now()), TUNING_JOB_NAME_MAX);
  // the training jobs are named by SageMaker: their checkpoints default to the tuning job's prefix
  const spot = resolvedSpot(o, jobName);
  const channelSpecs: ChannelSpec[] = [{ name: 'train', s3Uri: await stageChannel(deps, o.train, o, jobName, 'train') }];
  if (o.validation) {
    channelSpecs.push({ name: 'validation', s3Uri: await stageChannel(deps, o.validation, o, jobName, 'validation') });
  }
  await deps.clients.sagemaker.send(
    new CreateHyperParameterTuningJobCommand(
      tuningJobRequest({
        jobName,
        image: o.image,
        role: o.role,
        objective: o.objective,
        strategy: o.strategy,
        maxJobs: o.maxJobs,
        maxParallelJobs: o.maxParallelJobs,
        earlyStopping: o.earlyStopping,
        ranges: o.ranges,
        staticHyperparameters: o.staticHyperparameters,
        channels: channelSpecs,
        outputS3Uri: s3Uri(o.bucket, o.prefix, 'tuning-output'),
        instanceType: o.instanceType,
        instanceCount: o.instanceCount,
        volumeSizeGb: o.volumeSizeGb,
        maxRuntimeSeconds: o.maxRuntimeSeconds,
        ...spot,
        ...(o.tags ? { tags: o.tags } : {}),
      }),
    ),
  );
  const spotText = spotInfo(spot);
  if (spotText) deps.io.info(`  ${spotText}`);
  deps.io.info(
    `tuning job ${jobName} created: ${o.strategy}, ${o.objective} (${objectiveType(o.objective)}), ${o.maxJobs} jobs, ${o.maxParallelJobs} in parallel`,
  );
  if (o.noWait) return { tuningJobName: jobName };
  const d = await waitFor(deps, 'tuning', jobName, { ...DEFAULT_WAIT.tuning, ...o.wait });
  const best = d.BestTrainingJob;
  const result: TuneResult = { tuningJobName: jobName };
  if (best?.TrainingJobName) result.bestTrainingJob = best.TrainingJobName;
  const metric = best?.FinalHyperParameterTuningJobObjectiveMetric;
  if (metric?.MetricName !== undefined && metric.Value !== undefined) result.bestObjective = { name: metric.MetricName, value: metric.Value };
  if (best?.TunedHyperParameters) result.bestHyperparameters = { ...best.TunedHyperParameters };
  return result;
}

// ---------------------------------------------------------------------------------------------
// Cleanup
// ---------------------------------------------------------------------------------------------

export interface CleanupOptions {
  endpointName: string;
  keepModel?: boolean;
  keepEndpointConfig?: boolean;
}

/** Deletes an endpoint, then its endpoint config and the models it served. */
export async function cleanup(deps: Deps, o: CleanupOptions): Promise<string[]> {
  const sm = deps.clients.sagemaker;
  const deleted: string[] = [];
  const endpoint = await sm.send(new DescribeEndpointCommand({ EndpointName: o.endpointName }));
  const configName = endpoint.EndpointConfigName;
  let models: string[] = [];
  if (configName) {
    const config = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
    models = (config.ProductionVariants ?? []).map((v) => v.ModelName).filter((m): m is string => !!m);
  }
  await sm.send(new DeleteEndpointCommand({ EndpointName: o.endpointName }));
  deleted.push(`endpoint ${o.endpointName}`);
  if (configName && !o.keepEndpointConfig) {
    await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: configName }));
    deleted.push(`endpoint config ${configName}`);
  }
  if (!o.keepModel) {
    for (const m of new Set(models)) {
      await sm.send(new DeleteModelCommand({ ModelName: m }));
      deleted.push(`model ${m}`);
    }
  }
  for (const d of deleted) deps.io.info(`deleted ${d}`);
  return deleted;
}
