#!/usr/bin/env node
/**
 * SageMaker client for byoc images: train → deploy → invoke, batch transform, automatic model
 * tuning, invoke, cleanup. Region, bucket, role, image and instance types come from flags or
 * environment variables only.
 *
 *   node dist/container/sagemaker-client/cli.js --help
 *   node dist/container/sagemaker-client/cli.js train-and-deploy --help
 *
 * `runCli(argv, deps)` takes the AWS clients factory, environment, clock and output sinks as
 * arguments, so tests run every sub-command against in-process fakes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type AwsClients, createAwsClients, destroyAwsClients } from './clients.js';
import { DEFAULT_DATAWIG_RANGES, loadHyperparameters, mergeRanges, parseKeyValue, parseRange } from './hyperparameters.js';
import { METRIC_NAMES, metricRegex, objectiveType } from './metrics.js';
import { contentTypeOf } from './s3.js';
import { formatCsvTable } from './table.js';
import { type Clock, systemClock } from './wait.js';
import {
  CHECKPOINT_LOCAL_PATH,
  DEFAULT_WAIT,
  type Deps,
  type SpotSettings,
  type WaitSettings,
  batchTransform,
  cleanup,
  invokeEndpoint,
  spotSettingsProblem,
  trainAndDeploy,
  tune,
} from './workflows.js';
import { deploy, deployProblem } from './deploy.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface CliDeps {
  env: Env;
  makeClients: (region: string) => AwsClients;
  clock: Clock;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A problem with the command line or settings: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Defaults for instance types (override with flags or the environment variables named in --help). */
export const DEFAULT_INSTANCE_TYPE = 'ml.m5.large';

// ---------------------------------------------------------------------------------------------
// Option parsing helpers
// ---------------------------------------------------------------------------------------------

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function keyValues(pairs: readonly string[] | undefined, what: string): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    try {
      const [k, v] = parseKeyValue(p, what);
      out[k] = v;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return out;
}

/** `{ [key]: pairs as a record }`, or `{}` when the flag was not given: spread into workflow options. */
function keyValuesAs<K extends string>(key: K, pairs: readonly string[] | undefined, what: string): Partial<Record<K, Record<string, string>>> {
  const record = keyValues(pairs, what);
  return record ? ({ [key]: record } as Record<K, Record<string, string>>) : {};
}

/** Hyperparameters from --hyperparameters/--hp/--algorithm; a bad file or pair is a usage error. */
async function hyperparametersFrom(o: { hyperparameters?: string; hp?: string[]; algorithm?: string }): Promise<Record<string, string>> {
  try {
    return await loadHyperparameters({ file: o.hyperparameters, pairs: o.hp, algorithm: o.algorithm });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** First non-empty of flag value and env variables, or a UsageError naming both. */
function setting(env: Env, flagValue: string | undefined, flag: string, envNames: readonly string[]): string {
  const v = optionalSetting(env, flagValue, envNames);
  if (v === undefined) {
    throw new UsageError(`missing ${flag}${envNames.length > 0 ? ` (or environment variable ${envNames.join(' / ')})` : ''}`);
  }
  return v;
}

function optionalSetting(env: Env, flagValue: string | undefined, envNames: readonly string[]): string | undefined {
  if (flagValue !== undefined && flagValue.trim() !== '') return flagValue.trim();
  for (const name of envNames) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

const ENV = {
  region: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
  bucket: ['SAGEMAKER_BUCKET'],
  prefix: ['SAGEMAKER_PREFIX'],
  role: ['SAGEMAKER_ROLE_ARN'],
  image: ['SAGEMAKER_IMAGE'],
  trainingInstanceType: ['SAGEMAKER_TRAINING_INSTANCE_TYPE'],
  endpointInstanceType: ['SAGEMAKER_ENDPOINT_INSTANCE_TYPE'],
  transformInstanceType: ['SAGEMAKER_TRANSFORM_INSTANCE_TYPE'],
} as const;

function envHint(names: readonly string[]): string {
  return `(env ${names.join(' / ')})`;
}

// Options shared by several sub-commands -------------------------------------------------------

function addRegion(cmd: Command): Command {
  return cmd.option('--region <region>', `AWS region ${envHint(ENV.region)}`);
}

/** Where the resources of a job command (train-and-deploy, batch-transform, tune) go: region, S3, role, image. */
function addPlacement(cmd: Command): Command {
  return addRegion(cmd)
    .option('--bucket <bucket>', `S3 bucket for inputs and outputs ${envHint(ENV.bucket)}`)
    .option('--prefix <prefix>', `S3 key prefix ${envHint(ENV.prefix)}, default "byoc"`)
    .option('--role <arn>', `IAM role SageMaker assumes (needs S3 and ECR read) ${envHint(ENV.role)}`)
    .option('--image <uri>', `ECR image URI from container/image/build_and_push.sh ${envHint(ENV.image)}`);
}

/** Hyperparameters and resources of training jobs (train-and-deploy, tune). */
function addTrainingJob(cmd: Command): Command {
  return cmd
    .option('--hyperparameters <file.json>', 'JSON object of hyperparameters, e.g. test/sagemaker_fs/input/config/hyperparameters.json')
    .option('--hp <key=value>', 'one hyperparameter (repeatable; overrides the file)', collect)
    .option('--algorithm <name>', 'algorithm plugin (sets the "algorithm" hyperparameter; the image defaults to datawig)')
    .option('--training-instance-type <type>', `training instance type ${envHint(ENV.trainingInstanceType)}, default ${DEFAULT_INSTANCE_TYPE}`)
    .option(
      '--instance-count <n>',
      'training instances (ResourceConfig.InstanceCount, default 1); datawig complete mode shares its columns across them, one round (docs/multi-host.md)',
      positiveInt,
    )
    .option('--training-instance-count <n>', 'the same as --instance-count', positiveInt)
    .option('--volume-size <gb>', 'training volume size in GB', positiveInt, 10)
    .option('--max-runtime <seconds>', 'MaxRuntimeInSeconds of each training job', positiveInt, 3600)
    .option('--spot', 'managed spot training (EnableManagedSpotTraining); checkpoints default to s3://BUCKET/PREFIX/checkpoints/JOB/')
    .option(
      '--max-wait-seconds <seconds>',
      'MaxWaitTimeInSeconds with --spot: training plus waiting for spot capacity, >= --max-runtime (default 2 x --max-runtime)',
      positiveInt,
    )
    .option(
      '--checkpoint-s3-uri <s3-uri>',
      `CheckpointConfig.S3Uri, synced with ${CHECKPOINT_LOCAL_PATH} (default with --spot: s3://BUCKET/PREFIX/checkpoints/JOB/)`,
    );
}

/** --instance-count or its older name --training-instance-count (default 1); two different counts are a usage error. */
function trainingInstanceCountOf(o: TrainingJobFlags): number {
  if (o.instanceCount !== undefined && o.trainingInstanceCount !== undefined && o.instanceCount !== o.trainingInstanceCount)
    throw new UsageError(`--instance-count ${o.instanceCount} and --training-instance-count ${o.trainingInstanceCount} disagree: give one`);
  return o.instanceCount ?? o.trainingInstanceCount ?? 1;
}

/** --spot, --max-wait-seconds, --checkpoint-s3-uri as workflow options; invalid combinations are usage errors. */
function spotSettingsOf(o: TrainingJobFlags): SpotSettings {
  const settings: SpotSettings = {
    ...(o.spot ? { spot: true } : {}),
    ...(o.maxWaitSeconds !== undefined ? { maxWaitSeconds: o.maxWaitSeconds } : {}),
    ...(o.checkpointS3Uri !== undefined ? { checkpointS3Uri: o.checkpointS3Uri.trim() } : {}),
  };
  const problem = spotSettingsProblem({ ...settings, maxRuntimeSeconds: o.maxRuntime });
  if (problem) throw new UsageError(problem);
  return settings;
}

/** The last options of a job command: waiting (defaults of `kind`) and tags. */
function addWaitAndTags(cmd: Command, kind: keyof typeof DEFAULT_WAIT): Command {
  const d = DEFAULT_WAIT[kind];
  return cmd
    .option('--no-wait', 'create the job and return without waiting')
    .option('--poll-seconds <s>', `seconds between status checks (default ${d.intervalMs / 1000})`, positiveNumber)
    .option('--timeout-minutes <m>', `give up waiting after this long (default ${d.timeoutMs / 60_000}); the job keeps running`, positiveNumber)
    .option('--tag <key=value>', 'tag for every created resource (repeatable)', collect);
}

function waitSettings(o: { pollSeconds?: number; timeoutMinutes?: number }, kind: keyof typeof DEFAULT_WAIT): WaitSettings {
  return {
    intervalMs: o.pollSeconds !== undefined ? o.pollSeconds * 1000 : DEFAULT_WAIT[kind].intervalMs,
    timeoutMs: o.timeoutMinutes !== undefined ? o.timeoutMinutes * 60_000 : DEFAULT_WAIT[kind].timeoutMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Program
// ---------------------------------------------------------------------------------------------

const EXAMPLES = {
  trainAndDeploy: `
Example:
  export AWS_REGION=eu-west-1 SAGEMAKER_BUCKET=my-bucket \\
         SAGEMAKER_ROLE_ARN=arn:aws:iam::123456789012:role/SageMakerRole \\
         SAGEMAKER_IMAGE=123456789012.dkr.ecr.eu-west-1.amazonaws.com/byoc-imputer:latest
  node dist/container/sagemaker-client/cli.js train-and-deploy \\
    --train test/sagemaker_fs/input/data/train/train.csv \\
    --hyperparameters test/sagemaker_fs/input/config/hyperparameters.json \\
    --test container/local/test.csv --delete-endpoint

Training metrics (MetricDefinitions, one per name, from the container's "METRIC <name>=<value>" lines):
  ${METRIC_NAMES.map((n) => `${n}: ${metricRegex(n)}`).join('\n  ')}
`,
  batch: `
Example:
  node dist/container/sagemaker-client/cli.js batch-transform \\
    --training-job byoc-imputer-20261125-043012 --input container/local/test.csv --out imputed.csv

The input is split into lines (SplitType=Line, BatchStrategy=MultiRecord by default) and the
output assembled line by line (AssembleWith=Line): one output record per input record, in order.
`,
  tune: `
Range syntax (repeatable --range; replaces a default range of the same name):
  name=integer:MIN:MAX[:linear|log|reverselog|auto]
  name=continuous:MIN:MAX[:linear|log|reverselog|auto]
  name=categorical:A,B,C
Default datawig ranges (drop them with --no-default-ranges):
  ${DEFAULT_DATAWIG_RANGES.join('\n  ')}

Example:
  node dist/container/sagemaker-client/cli.js tune \\
    --train test/sagemaker_fs/input/data/train/train.csv \\
    --hyperparameters test/sagemaker_fs/input/config/hyperparameters.json \\
    --objective validation:macro_f1 --max-jobs 12 --max-parallel 3
`,
};

// Flags as commander hands them to the actions (camel case; `--no-x` is `x: boolean`) -----------

interface RegionFlags {
  region?: string;
}

/** addPlacement() */
interface PlacementFlags extends RegionFlags {
  bucket?: string;
  prefix?: string;
  role?: string;
  image?: string;
}

/** addTrainingJob() */
interface TrainingJobFlags {
  hyperparameters?: string;
  hp?: string[];
  algorithm?: string;
  trainingInstanceType?: string;
  instanceCount?: number;
  trainingInstanceCount?: number;
  volumeSize: number;
  maxRuntime: number;
  spot?: boolean;
  maxWaitSeconds?: number;
  checkpointS3Uri?: string;
}

/** addWaitAndTags() */
interface WaitAndTagsFlags {
  wait: boolean;
  pollSeconds?: number;
  timeoutMinutes?: number;
  tag?: string[];
}

interface TrainAndDeployFlags extends PlacementFlags, TrainingJobFlags, WaitAndTagsFlags {
  train: string;
  validation?: string;
  test?: string;
  name: string;
  endpointInstanceType?: string;
  endpointInstanceCount: number;
  env?: string[];
  accept: string;
  raw?: boolean;
  deleteEndpoint?: boolean;
}

interface BatchTransformFlags extends PlacementFlags, WaitAndTagsFlags {
  input: string;
  modelName?: string;
  trainingJob?: string;
  output?: string;
  out?: string;
  name: string;
  instanceType?: string;
  instanceCount: number;
  contentType?: string;
  accept?: string;
  strategy: 'MultiRecord' | 'SingleRecord';
  maxPayloadMb?: number;
  maxConcurrent?: number;
  env?: string[];
  raw?: boolean;
}

interface TuneFlags extends PlacementFlags, TrainingJobFlags, WaitAndTagsFlags {
  train: string;
  validation?: string;
  objective: string;
  strategy: 'Bayesian' | 'Random' | 'Hyperband' | 'Grid';
  maxJobs: number;
  maxParallel: number;
  earlyStopping: 'Off' | 'Auto';
  range?: string[];
  defaultRanges: boolean;
  name: string;
}

interface InvokeFlags extends RegionFlags {
  endpoint: string;
  input: string;
  contentType?: string;
  accept?: string;
  customAttributes?: string;
  targetModel?: string;
  raw?: boolean;
}

/** deploy, deploy-multi-model */
interface DeployFlags extends PlacementFlags {
  modelData?: string;
  modelDataPrefix?: string;
  name: string;
  instanceType?: string;
  instanceCount: number;
  serverlessMemory?: number;
  maxConcurrency?: number;
  env?: string[];
  tag?: string[];
  wait?: boolean;
  pollSeconds?: number;
  timeoutMinutes?: number;
}

interface CleanupFlags extends RegionFlags {
  endpoint: string;
  keepModel?: boolean;
  keepEndpointConfig?: boolean;
}

// What the actions share -----------------------------------------------------------------------

/** Runs `fn` with AWS clients for `region` (destroyed afterwards); progress to stderr, results to stdout. */
async function withClients<T>(deps: CliDeps, region: string, fn: (d: Deps) => Promise<T>): Promise<T> {
  const clients = deps.makeClients(region);
  const io = { info: (m: string) => deps.stderr(`${m}\n`), result: (t: string) => deps.stdout(`${t}\n`) };
  try {
    return await fn({ clients, io, clock: deps.clock });
  } finally {
    destroyAwsClients(clients);
  }
}

function prefixOf(env: Env, o: { prefix?: string }): string {
  return optionalSetting(env, o.prefix, ENV.prefix) ?? 'byoc';
}

function instanceTypeOf(env: Env, flagValue: string | undefined, envNames: readonly string[]): string {
  return optionalSetting(env, flagValue, envNames) ?? DEFAULT_INSTANCE_TYPE;
}

/** What train-and-deploy and tune both need to start training jobs (same flags, same checks, same order). */
function trainingJobBase(env: Env, o: PlacementFlags & { name: string; train: string; validation?: string }) {
  return {
    baseName: o.name,
    bucket: setting(env, o.bucket, '--bucket', ENV.bucket),
    prefix: prefixOf(env, o),
    role: setting(env, o.role, '--role', ENV.role),
    image: setting(env, o.image, '--image', ENV.image),
    train: o.train,
    ...(o.validation ? { validation: o.validation } : {}),
  };
}

function printPrediction(deps: CliDeps, p: { contentType: string; body: string }, raw: boolean): void {
  const csv = /csv/i.test(p.contentType);
  deps.stdout(`${raw || !csv ? p.body : formatCsvTable(p.body)}\n`);
}

// The sub-commands -----------------------------------------------------------------------------

function addTrainAndDeployCommand(program: Command, deps: CliDeps): void {
  const trainCmd = program
    .command('train-and-deploy')
    .summary('train on SageMaker, deploy an endpoint, invoke it with a test CSV')
    .description(
      'Upload the training CSV to S3, run a training job with the image (MetricDefinitions for the METRIC lines), wait, ' +
        'create model, endpoint config and endpoint, wait until InService, invoke it with the test CSV and print the imputed table.',
    )
    .requiredOption('--train <file|s3-uri>', 'training CSV (uploaded) or s3:// prefix (used as is)')
    .option('--validation <file|s3-uri>', 'optional validation channel')
    .option('--test <file>', 'CSV to send to the endpoint once it is in service')
    .option('--name <base>', 'base name of the job, model and endpoint (a UTC time stamp is appended)', 'byoc-imputer');
  addPlacement(trainCmd);
  addTrainingJob(trainCmd);
  trainCmd
    .option('--endpoint-instance-type <type>', `endpoint instance type ${envHint(ENV.endpointInstanceType)}, default ${DEFAULT_INSTANCE_TYPE}`)
    .option('--endpoint-instance-count <n>', 'endpoint instances', positiveInt, 1)
    .option('--env <key=value>', 'environment of the model container, e.g. SAGEMAKER_MODEL_SERVER_WORKERS=2 (repeatable)', collect)
    .option('--accept <type>', 'response type of the test invocation', 'text/csv')
    .option('--raw', 'print the response body as received instead of a table')
    .option('--delete-endpoint', 'delete endpoint, endpoint config and model after the test invocation');
  addWaitAndTags(trainCmd, 'training');
  trainCmd.addHelpText('after', EXAMPLES.trainAndDeploy);
  trainCmd.action(async (o: TrainAndDeployFlags) => {
    const region = setting(deps.env, o.region, '--region', ENV.region);
    const spot = spotSettingsOf(o);
    const hyperparameters = await hyperparametersFrom(o);
    const wait = waitSettings(o, 'training');
    const environment = keyValuesAs('environment', o.env, 'environment variable');
    const tags = keyValuesAs('tags', o.tag, 'tag');
    const result = await withClients(deps, region, (d) =>
      trainAndDeploy(d, {
        ...trainingJobBase(deps.env, o),
        ...(o.test ? { testFile: o.test } : {}),
        hyperparameters,
        trainingInstanceType: instanceTypeOf(deps.env, o.trainingInstanceType, ENV.trainingInstanceType),
        trainingInstanceCount: trainingInstanceCountOf(o),
        volumeSizeGb: o.volumeSize,
        maxRuntimeSeconds: o.maxRuntime,
        ...spot,
        endpointInstanceType: instanceTypeOf(deps.env, o.endpointInstanceType, ENV.endpointInstanceType),
        endpointInstanceCount: o.endpointInstanceCount,
        ...environment,
        accept: o.accept,
        deleteEndpoint: !!o.deleteEndpoint,
        noWait: o.wait === false,
        ...tags,
        // --poll-seconds / --timeout-minutes apply to the endpoint wait too when given
        waits: { training: wait, endpoint: waitSettings(o, 'endpoint') },
      }),
    );
    deps.stdout(`training job: ${result.trainingJobName}\n`);
    if (result.endpointName) deps.stdout(`endpoint: ${result.endpointName}${o.deleteEndpoint ? ' (deleted)' : ''}\n`);
    if (result.prediction) printPrediction(deps, result.prediction, !!o.raw);
  });
}

function addBatchTransformCommand(program: Command, deps: CliDeps): void {
  const batchCmd = program
    .command('batch-transform')
    .summary('batch transform a CSV (SplitType=Line, AssembleWith=Line)')
    .description(
      'Run a batch transform job (SplitType=Line, AssembleWith=Line) over a CSV file or S3 prefix with an existing model ' +
        'or with the model of a completed training job; wait and print (or save) the assembled output.',
    )
    .requiredOption('--input <file|s3-uri>', 'input CSV (uploaded) or s3:// prefix/object')
    .option('--model-name <name>', 'existing SageMaker model')
    .option('--training-job <name>', 'completed training job whose artifacts become a new model (needs --image, --role)')
    .option('--output <s3-uri>', 'S3OutputPath (default s3://BUCKET/PREFIX/transform-output/JOB)')
    .option('--out <file>', 'write the assembled output here instead of printing it (local --input only)')
    .option('--name <base>', 'base name of the job (a UTC time stamp is appended)', 'byoc-transform');
  addPlacement(batchCmd);
  batchCmd
    .option('--instance-type <type>', `transform instance type ${envHint(ENV.transformInstanceType)}, default ${DEFAULT_INSTANCE_TYPE}`)
    .option('--instance-count <n>', 'transform instances', positiveInt, 1)
    .option('--content-type <type>', 'input content type (default from the file name, else text/csv)')
    .option('--accept <type>', 'output content type (default: the input content type)')
    .addOption(new Option('--strategy <s>', 'BatchStrategy').choices(['MultiRecord', 'SingleRecord']).default('MultiRecord'))
    .option('--max-payload-mb <mb>', "MaxPayloadInMB (default: the container's /execution-parameters)", positiveInt)
    .option('--max-concurrent <n>', "MaxConcurrentTransforms (default: the container's /execution-parameters)", positiveInt)
    .option('--env <key=value>', 'environment of the transform container (repeatable)', collect)
    .option('--raw', 'print the output as received instead of a table');
  addWaitAndTags(batchCmd, 'transform');
  batchCmd.addHelpText('after', EXAMPLES.batch);
  batchCmd.action(async (o: BatchTransformFlags) => {
    if (!o.modelName && !o.trainingJob) throw new UsageError('batch-transform needs --model-name or --training-job');
    const region = setting(deps.env, o.region, '--region', ENV.region);
    const result = await withClients(deps, region, (d) =>
      batchTransform(d, {
        baseName: o.name,
        bucket: setting(deps.env, o.bucket, '--bucket', ENV.bucket),
        prefix: prefixOf(deps.env, o),
        ...(o.modelName ? { modelName: o.modelName } : {}),
        ...(o.trainingJob
          ? {
              trainingJobName: o.trainingJob,
              image: setting(deps.env, o.image, '--image', ENV.image),
              role: setting(deps.env, o.role, '--role', ENV.role),
            }
          : {}),
        input: o.input,
        ...(o.output ? { outputS3Uri: o.output } : {}),
        instanceType: instanceTypeOf(deps.env, o.instanceType, ENV.transformInstanceType),
        instanceCount: o.instanceCount,
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.accept ? { accept: o.accept } : {}),
        strategy: o.strategy,
        ...(o.maxPayloadMb !== undefined ? { maxPayloadMb: o.maxPayloadMb } : {}),
        ...(o.maxConcurrent !== undefined ? { maxConcurrentTransforms: o.maxConcurrent } : {}),
        ...keyValuesAs('environment', o.env, 'environment variable'),
        noWait: o.wait === false,
        ...keyValuesAs('tags', o.tag, 'tag'),
        wait: waitSettings(o, 'transform'),
      }),
    );
    deps.stdout(`transform job: ${result.transformJobName}\noutput: ${result.outputS3Uri}\n`);
    if (result.output !== undefined) {
      if (o.out) {
        await writeFile(o.out, result.output);
        deps.stdout(`wrote ${o.out}\n`);
      } else {
        printPrediction(deps, { contentType: o.accept ?? o.contentType ?? contentTypeOf(o.input), body: result.output }, !!o.raw);
      }
    }
  });
}

function addTuneCommand(program: Command, deps: CliDeps): void {
  const tuneCmd = program
    .command('tune')
    .summary('automatic model tuning over the datawig hyperparameters')
    .description(
      'Run an automatic model tuning job over the datawig hyperparameters, optimising a metric the container prints ' +
        `(${METRIC_NAMES.join(', ')}); wait and print the best training job and its hyperparameters.`,
    )
    .requiredOption('--train <file|s3-uri>', 'training CSV (uploaded) or s3:// prefix')
    .option('--validation <file|s3-uri>', 'optional validation channel')
    .option('--objective <metric>', 'objective metric; loss/rmse are minimised, others maximised', 'validation:accuracy')
    .addOption(new Option('--strategy <s>', 'search strategy').choices(['Bayesian', 'Random', 'Hyperband', 'Grid']).default('Bayesian'))
    .option('--max-jobs <n>', 'MaxNumberOfTrainingJobs', positiveInt, 10)
    .option('--max-parallel <n>', 'MaxParallelTrainingJobs', positiveInt, 2)
    .addOption(new Option('--early-stopping <mode>', 'TrainingJobEarlyStoppingType').choices(['Off', 'Auto']).default('Off'))
    .option('--range <spec>', 'hyperparameter range (repeatable), see below', collect)
    .option('--no-default-ranges', 'search only the --range flags, not the default datawig ranges')
    .option('--name <base>', 'base name of the tuning job (<= 32 characters with the time stamp)', 'byoc-tune');
  addPlacement(tuneCmd);
  addTrainingJob(tuneCmd);
  addWaitAndTags(tuneCmd, 'tuning');
  tuneCmd.addHelpText('after', EXAMPLES.tune);
  tuneCmd.action(async (o: TuneFlags) => {
    const region = setting(deps.env, o.region, '--region', ENV.region);
    let ranges;
    try {
      ranges = mergeRanges([...(o.defaultRanges === false ? [] : DEFAULT_DATAWIG_RANGES), ...(o.range ?? [])].map(parseRange));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (ranges.length === 0) throw new UsageError('tune needs at least one --range (or keep the default ranges)');
    const spot = spotSettingsOf(o);
    const staticHyperparameters = await hyperparametersFrom(o);
    const result = await withClients(deps, region, (d) =>
      tune(d, {
        ...trainingJobBase(deps.env, o),
        objective: o.objective,
        strategy: o.strategy,
        maxJobs: o.maxJobs,
        maxParallelJobs: o.maxParallel,
        earlyStopping: o.earlyStopping,
        ranges,
        staticHyperparameters,
        instanceType: instanceTypeOf(deps.env, o.trainingInstanceType, ENV.trainingInstanceType),
        instanceCount: trainingInstanceCountOf(o),
        volumeSizeGb: o.volumeSize,
        maxRuntimeSeconds: o.maxRuntime,
        ...spot,
        noWait: o.wait === false,
        ...keyValuesAs('tags', o.tag, 'tag'),
        wait: waitSettings(o, 'tuning'),
      }),
    );
    deps.stdout(`tuning job: ${result.tuningJobName} (objective ${o.objective}, ${objectiveType(o.objective)})\n`);
    if (result.bestTrainingJob) {
      deps.stdout(`best training job: ${result.bestTrainingJob}\n`);
      if (result.bestObjective) deps.stdout(`best ${result.bestObjective.name}: ${result.bestObjective.value}\n`);
      for (const [k, v] of Object.entries(result.bestHyperparameters ?? {})) deps.stdout(`  ${k} = ${v}\n`);
      deps.stdout(`deploy it with: batch-transform --training-job ${result.bestTrainingJob} ...\n`);
    }
  });
}

function addInvokeCommand(program: Command, deps: CliDeps): void {
  const invokeCmd = program
    .command('invoke')
    .summary('send a file to an endpoint and print the response')
    .description('Send a file to a deployed endpoint (InvokeEndpoint) and print the response (CSV as a table).')
    .requiredOption('--endpoint <name>', 'endpoint name')
    .requiredOption('--input <file>', 'request body (CSV, JSON {"instances": [...]}, or JSON lines)')
    .option('--content-type <type>', 'request Content-Type (default from the file name)')
    .option('--accept <type>', 'wanted response type (default: the request type)')
    .option('--custom-attributes <text>', 'X-Amzn-SageMaker-Custom-Attributes')
    .option('--target-model <key>', 'multi-model endpoint: the model to invoke, its key under the model data prefix (e.g. colour.tar.gz)')
    .option('--raw', 'print the body as received');
  addRegion(invokeCmd);
  invokeCmd.action(async (o: InvokeFlags) => {
    const region = setting(deps.env, o.region, '--region', ENV.region);
    const body = await readFile(o.input);
    const contentType = o.contentType ?? contentTypeOf(o.input);
    const res = await withClients(deps, region, (d) =>
      invokeEndpoint(d, {
        endpointName: o.endpoint,
        body,
        contentType,
        accept: o.accept ?? contentType,
        ...(o.customAttributes ? { customAttributes: o.customAttributes } : {}),
        ...(o.targetModel ? { targetModel: o.targetModel } : {}),
      }),
    );
    printPrediction(deps, res, !!o.raw);
  });
}

/** `deploy` (one model.tar.gz, on instances or serverless) and `deploy-multi-model` (every model under a prefix). */
function addDeployCommands(program: Command, deps: CliDeps): void {
  const single = program
    .command('deploy')
    .summary('deploy a model.tar.gz to an endpoint (instances or serverless)')
    .description('Create model, endpoint config and endpoint from a model.tar.gz in S3 and wait until InService.')
    .requiredOption('--model-data <s3-uri>', "the model.tar.gz (e.g. a training job's ModelArtifacts)")
    .option('--name <base>', 'base name of the model and endpoint (a UTC time stamp is appended)', 'byoc-imputer')
    .option('--serverless-memory <mb>', 'serverless inference with this much memory (1024-6144 in steps of 1024; docs/hosting.md)', positiveInt)
    .option('--max-concurrency <n>', 'serverless inference: concurrent invocations (1-200, default 5)', positiveInt);
  const multi = program
    .command('deploy-multi-model')
    .summary('deploy a multi-model endpoint over the models under an S3 prefix')
    .description(
      'Create a model with Mode=MultiModel over an S3 prefix of model.tar.gz files, its endpoint config and endpoint; invoke one with `invoke --target-model KEY`.',
    )
    .requiredOption('--model-data-prefix <s3-uri>', 'the S3 prefix (ending in /) the model.tar.gz files are under')
    .option('--name <base>', 'base name of the model and endpoint (a UTC time stamp is appended)', 'byoc-mme');
  for (const cmd of [single, multi]) {
    addPlacement(cmd)
      .option('--instance-type <type>', `endpoint instance type ${envHint(ENV.endpointInstanceType)}, default ${DEFAULT_INSTANCE_TYPE}`)
      .option('--instance-count <n>', 'endpoint instances', positiveInt, 1)
      .option('--env <key=value>', 'environment of the model container (repeatable)', collect);
    addWaitAndTags(cmd, 'endpoint');
  }
  const run = (multiModel: boolean) => async (o: DeployFlags) => {
    const region = setting(deps.env, o.region, '--region', ENV.region);
    if (!multiModel && o.maxConcurrency !== undefined && o.serverlessMemory === undefined) throw new UsageError('--max-concurrency needs --serverless-memory');
    const options = {
      baseName: o.name,
      image: setting(deps.env, o.image, '--image', ENV.image),
      role: setting(deps.env, o.role, '--role', ENV.role),
      modelData: (multiModel ? o.modelDataPrefix : o.modelData)!,
      multiModel,
      instanceType: instanceTypeOf(deps.env, o.instanceType, ENV.endpointInstanceType),
      instanceCount: o.instanceCount,
      ...(o.serverlessMemory !== undefined ? { serverless: { memoryMb: o.serverlessMemory, maxConcurrency: o.maxConcurrency ?? 5 } } : {}),
      ...keyValuesAs('environment', o.env, 'environment variable'),
      ...keyValuesAs('tags', o.tag, 'tag'),
      noWait: o.wait === false,
      waits: { endpoint: waitSettings(o, 'endpoint') },
    };
    const problem = deployProblem(options);
    if (problem) throw new UsageError(problem);
    const result = await withClients(deps, region, (d) => deploy(d, options));
    deps.stdout(`endpoint: ${result.endpointName}\n`);
  };
  single.action(run(false));
  multi.action(run(true));
}

function addCleanupCommand(program: Command, deps: CliDeps): void {
  const cleanupCmd = program
    .command('cleanup')
    .summary('delete an endpoint, its endpoint config and models')
    .description('Delete an endpoint, its endpoint config and the models it serves (S3 objects are kept).')
    .requiredOption('--endpoint <name>', 'endpoint name')
    .option('--keep-model', 'keep the model(s)')
    .option('--keep-endpoint-config', 'keep the endpoint config');
  addRegion(cleanupCmd);
  cleanupCmd.action(async (o: CleanupFlags) => {
    const region = setting(deps.env, o.region, '--region', ENV.region);
    const deleted = await withClients(deps, region, (d) =>
      cleanup(d, { endpointName: o.endpoint, keepModel: !!o.keepModel, keepEndpointConfig: !!o.keepEndpointConfig }),
    );
    deps.stdout(`deleted: ${deleted.join(', ')}\n`);
  });
}

export function buildProgram(deps: CliDeps): Command {
  const program = new Command('sagemaker-byoc');
  program
    .description(
      'Drive Amazon SageMaker with a byoc container image: train and deploy, batch transform, tune, invoke, clean up.\n' +
        'Credentials come from the AWS SDK default chain (environment, AWS_PROFILE, SSO, instance role).',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .exitOverride();
  addTrainAndDeployCommand(program, deps);
  addBatchTransformCommand(program, deps);
  addTuneCommand(program, deps);
  addDeployCommands(program, deps);
  addInvokeCommand(program, deps);
  addCleanupCommand(program, deps);
  // every sub-command reports bad options through the program's output and exit override
  for (const cmd of program.commands) {
    cmd.configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr }).exitOverride().showHelpAfterError('(add --help for usage)');
  }
  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 AWS/job failure, 2 usage). */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const program = buildProgram(deps);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version end here with code 0; parse errors were already printed
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      deps.stderr(`error: ${err.message}\n`);
      return 2;
    }
    const e = err as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
    const meta = e.$metadata?.requestId ? ` (request id ${e.$metadata.requestId})` : '';
    deps.stderr(`error: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}${meta}\n`);
    return 1;
  }
}

export function defaultCliDeps(): CliDeps {
  return {
    env: process.env,
    makeClients: createAwsClients,
    clock: systemClock,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  };
}

function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // `... --help | head` closes the pipe early: not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  runCli(process.argv.slice(2), defaultCliDeps()).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
