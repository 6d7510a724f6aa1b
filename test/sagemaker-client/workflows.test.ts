import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as S3 from '@aws-sdk/client-s3';
import * as SM from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { loadHyperparameters, parseRange, DEFAULT_DATAWIG_RANGES } from '../../container/sagemaker-client/hyperparameters.js';
import { uploadFile } from '../../container/sagemaker-client/s3.js';
import { WaitTimeoutError } from '../../container/sagemaker-client/wait.js';
import {
  SageMakerJobError,
  batchTransform,
  cleanup,
  trainAndDeploy,
  tune,
  waitFor,
  type TrainAndDeployOptions,
} from '../../container/sagemaker-client/workflows.js';
import { IMPUTED_CSV, TEST_CSV, TRAIN_CSV, fakeDeps, sdkBody, sentCommands, useSampleFiles } from './fakes.js';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/byoc-imputer:latest';
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
const JOB = 'byoc-imputer-20261125-043012';
const MODEL_TAR = `s3://my-bucket/byoc/training-output/${JOB}/output/model.tar.gz`;

const EXPECTED_METRICS = [
  { Name: 'train:loss', Regex: 'METRIC train:loss=([-+0-9.eE]+)' },
  { Name: 'validation:loss', Regex: 'METRIC validation:loss=([-+0-9.eE]+)' },
  { Name: 'validation:accuracy', Regex: 'METRIC validation:accuracy=([-+0-9.eE]+)' },
  { Name: 'validation:macro_f1', Regex: 'METRIC validation:macro_f1=([-+0-9.eE]+)' },
  { Name: 'validation:rmse', Regex: 'METRIC validation:rmse=([-+0-9.eE]+)' },
];

const files = useSampleFiles();

async function baseOptions(): Promise<TrainAndDeployOptions> {
  return {
    baseName: 'byoc-imputer',
    bucket: 'my-bucket',
    prefix: 'byoc',
    role: ROLE,
    image: IMAGE,
    train: files.train,
    testFile: files.test,
    hyperparameters: await loadHyperparameters({ file: files.hps }),
    trainingInstanceType: 'ml.m5.large',
    trainingInstanceCount: 1,
    volumeSizeGb: 10,
    maxRuntimeSeconds: 3600,
    endpointInstanceType: 'ml.c5.xlarge',
    endpointInstanceCount: 1,
    waits: { training: { intervalMs: 15_000, timeoutMs: 3600_000 }, endpoint: { intervalMs: 20_000, timeoutMs: 3600_000 } },
  };
}

function happyPath(f: ReturnType<typeof fakeDeps>): void {
  f.s3.on(S3.PutObjectCommand).resolves({ ETag: '"abc"' });
  f.sm.on(SM.CreateTrainingJobCommand).resolves({ TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${JOB}` });
  f.sm
    .on(SM.DescribeTrainingJobCommand)
    .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Starting' })
    .resolvesOnce({
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Training',
      SecondaryStatusTransitions: [
        { Status: 'Starting', StatusMessage: 'Preparing the instances for training', StartTime: new Date() },
        { Status: 'Training', StatusMessage: 'Training image download completed.', StartTime: new Date() },
      ],
    })
    .resolves({
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: MODEL_TAR },
      FinalMetricDataList: [{ MetricName: 'validation:accuracy', Value: 0.86, Timestamp: new Date() }],
    });
  f.sm.on(SM.CreateModelCommand).resolves({ ModelArn: 'arn:model' });
  f.sm.on(SM.CreateEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:config' });
  f.sm.on(SM.CreateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
  f.sm
    .on(SM.DescribeEndpointCommand)
    .resolvesOnce({ EndpointStatus: 'Creating', EndpointName: JOB } as never)
    .resolves({ EndpointStatus: 'InService', EndpointName: JOB, EndpointConfigName: JOB } as never);
  f.rt.on(InvokeEndpointCommand).resolves({ ContentType: 'text/csv', Body: sdkBody(IMPUTED_CSV) });
}

describe('train-and-deploy workflow', () => {
  it('sends the exact S3, training, model, endpoint and invocation requests in order', async () => {
    const f = fakeDeps();
    happyPath(f);
    const result = await trainAndDeploy(f.deps, await baseOptions());

    // S3 upload of the training CSV
    const puts = f.s3.commandCalls(S3.PutObjectCommand);
    assert.equal(puts.length, 1);
    const put = puts[0]!.args[0].input;
    assert.equal(put.Bucket, 'my-bucket');
    assert.equal(put.Key, `byoc/input/${JOB}/train/train.csv`);
    assert.equal(put.ContentType, 'text/csv');
    assert.equal(Buffer.from(put.Body as Uint8Array).toString('utf8'), TRAIN_CSV);

    // training job
    const created = f.sm.commandCalls(SM.CreateTrainingJobCommand);
    assert.equal(created.length, 1);
    const tj = created[0]!.args[0].input;
    assert.equal(tj.TrainingJobName, JOB);
    assert.equal(tj.AlgorithmSpecification?.TrainingImage, IMAGE);
    assert.equal(tj.AlgorithmSpecification?.TrainingInputMode, 'File');
    assert.deepEqual(tj.AlgorithmSpecification?.MetricDefinitions, EXPECTED_METRICS);
    assert.deepEqual(tj.HyperParameters, { feature_columns: 'review', label_column: 'rating_binary', num_epochs: '10' });
    for (const v of Object.values(tj.HyperParameters ?? {})) assert.equal(typeof v, 'string');
    assert.equal(tj.RoleArn, ROLE);
    assert.deepEqual(tj.InputDataConfig, [
      {
        ChannelName: 'train',
        DataSource: {
          S3DataSource: {
            S3DataType: 'S3Prefix',
            S3Uri: `s3://my-bucket/byoc/input/${JOB}/train/`,
            S3DataDistributionType: 'FullyReplicated',
          },
        },
        ContentType: 'text/csv',
        CompressionType: 'None',
      },
    ]);
    assert.deepEqual(tj.OutputDataConfig, { S3OutputPath: 's3://my-bucket/byoc/training-output' });
    assert.deepEqual(tj.ResourceConfig, { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 });
    assert.deepEqual(tj.StoppingCondition, { MaxRuntimeInSeconds: 3600 });
    // on-demand without checkpoints unless asked for
    assert.equal('EnableManagedSpotTraining' in tj, false);
    assert.equal('CheckpointConfig' in tj, false);

    // model, endpoint config, endpoint
    const model = f.sm.commandCalls(SM.CreateModelCommand)[0]!.args[0].input;
    assert.deepEqual(model, {
      ModelName: JOB,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: MODEL_TAR, Environment: undefined },
      ExecutionRoleArn: ROLE,
      Tags: undefined,
    });
    const config = f.sm.commandCalls(SM.CreateEndpointConfigCommand)[0]!.args[0].input;
    assert.equal(config.EndpointConfigName, JOB);
    assert.deepEqual(config.ProductionVariants, [
      { VariantName: 'AllTraffic', ModelName: JOB, InitialInstanceCount: 1, InstanceType: 'ml.c5.xlarge', InitialVariantWeight: 1 },
    ]);
    const endpoint = f.sm.commandCalls(SM.CreateEndpointCommand)[0]!.args[0].input;
    assert.equal(endpoint.EndpointName, JOB);
    assert.equal(endpoint.EndpointConfigName, JOB);

    // invocation with the test CSV
    const inv = f.rt.commandCalls(InvokeEndpointCommand);
    assert.equal(inv.length, 1);
    const req = inv[0]!.args[0].input;
    assert.equal(req.EndpointName, JOB);
    assert.equal(req.ContentType, 'text/csv');
    assert.equal(req.Accept, 'text/csv');
    assert.equal(Buffer.from(req.Body as Uint8Array).toString('utf8'), TEST_CSV);
    assert.deepEqual(result.prediction, { contentType: 'text/csv', body: IMPUTED_CSV });

    // order of the SageMaker calls
    assert.deepEqual(sentCommands(f.sm), [
      'CreateTrainingJobCommand',
      'DescribeTrainingJobCommand',
      'DescribeTrainingJobCommand',
      'DescribeTrainingJobCommand',
      'CreateModelCommand',
      'CreateEndpointConfigCommand',
      'CreateEndpointCommand',
      'DescribeEndpointCommand',
      'DescribeEndpointCommand',
    ]);
    // no endpoint deleted unless asked
    assert.equal(f.sm.commandCalls(SM.DeleteEndpointCommand).length, 0);
  });

  it('reports progress: status changes, status messages, final metrics; polls at the configured interval', async () => {
    const f = fakeDeps();
    happyPath(f);
    await trainAndDeploy(f.deps, await baseOptions());
    const log = f.io.infos.join('\n');
    assert.match(log, /training job byoc-imputer-20261125-043012: InProgress\/Starting \(0s\)/);
    assert.match(log, /InProgress\/Training \(15s\)/);
    assert.match(log, /Training: Training image download completed\./);
    assert.match(log, /Completed\/Completed \(30s\)/);
    assert.match(log, /final validation:accuracy = 0\.86/);
    assert.match(log, /endpoint byoc-imputer-20261125-043012: Creating/);
    assert.match(log, /endpoint byoc-imputer-20261125-043012: InService \(20s\)/);
    // each status line once, not once per poll
    assert.equal(log.split('Preparing the instances for training').length - 1, 1);
    assert.deepEqual(f.clock.sleeps, [15_000, 15_000, 20_000]);
  });

  // Happy path but for one resource that fails: the workflow stops there with its FailureReason.
  const failures: { what: string; fail: (f: ReturnType<typeof fakeDeps>) => void; lastCall: string; message: RegExp }[] = [
    {
      what: 'training job',
      fail: (f) =>
        f.sm.on(SM.DescribeTrainingJobCommand).resolves({
          TrainingJobStatus: 'Failed',
          SecondaryStatus: 'Failed',
          FailureReason: "AlgorithmError: hyperparameter 'num_epochs': expected an integer >= 1, got 'ten'",
        }),
      lastCall: 'DescribeTrainingJobCommand',
      message: /training job byoc-imputer-20261125-043012 ended with status Failed: AlgorithmError: hyperparameter 'num_epochs'/,
    },
    {
      what: 'endpoint',
      fail: (f) =>
        f.sm.on(SM.DescribeEndpointCommand).resolves({
          EndpointStatus: 'Failed',
          FailureReason: 'The primary container for production variant AllTraffic did not pass the ping health check.',
        } as never),
      lastCall: 'DescribeEndpointCommand',
      message: /endpoint byoc-imputer-20261125-043012 ended with status Failed: The primary container .* ping health check/,
    },
  ];
  for (const c of failures) {
    it(`a failed ${c.what} stops the workflow with its FailureReason, nothing after it is sent`, async () => {
      const f = fakeDeps();
      happyPath(f);
      c.fail(f);
      await assert.rejects(trainAndDeploy(f.deps, await baseOptions()), (err: unknown) => {
        assert.ok(err instanceof SageMakerJobError);
        assert.equal(err.status, 'Failed');
        assert.match(err.message, c.message);
        return true;
      });
      // a failed training job: no model, no endpoint; a failed endpoint: no invocation
      assert.equal(sentCommands(f.sm).at(-1), c.lastCall);
      assert.equal(f.rt.commandCalls(InvokeEndpointCommand).length, 0);
    });
  }

  it('waiting is bounded: a job that never finishes times out after the configured time', async () => {
    const f = fakeDeps();
    f.sm.on(SM.DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training' });
    await assert.rejects(waitFor(f.deps, 'training', 'slow-job', { intervalMs: 60_000, timeoutMs: 300_000 }), (err: unknown) => {
      assert.ok(err instanceof WaitTimeoutError);
      assert.match(err.message, /timed out after 300 s waiting for training job slow-job \(last status: InProgress\/Training\)/);
      return true;
    });
    const polls = f.sm.commandCalls(SM.DescribeTrainingJobCommand).length;
    assert.ok(polls >= 5 && polls <= 6, `polled ${polls} times`);
  });

  it('--delete-endpoint deletes endpoint, endpoint config and model after invoking, even when invoking fails', async () => {
    const f = fakeDeps();
    happyPath(f);
    f.rt.on(InvokeEndpointCommand).rejects(new Error('ModelError: boom'));
    f.sm.on(SM.DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: JOB }] } as never);
    f.sm.on(SM.DeleteEndpointCommand).resolves({});
    f.sm.on(SM.DeleteEndpointConfigCommand).resolves({});
    f.sm.on(SM.DeleteModelCommand).resolves({});
    await assert.rejects(trainAndDeploy(f.deps, { ...(await baseOptions()), deleteEndpoint: true }), /ModelError: boom/);
    assert.deepEqual(f.sm.commandCalls(SM.DeleteEndpointCommand)[0]!.args[0].input, { EndpointName: JOB });
    assert.deepEqual(f.sm.commandCalls(SM.DeleteEndpointConfigCommand)[0]!.args[0].input, { EndpointConfigName: JOB });
    assert.deepEqual(f.sm.commandCalls(SM.DeleteModelCommand)[0]!.args[0].input, { ModelName: JOB });
  });

  it('an s3:// training input is used as is (no upload); a validation channel is added', async () => {
    const f = fakeDeps();
    happyPath(f);
    await trainAndDeploy(f.deps, {
      ...(await baseOptions()),
      train: 's3://data-bucket/imdb/train/',
      validation: 's3://data-bucket/imdb/validation/',
      noWait: true,
    });
    assert.equal(f.s3.commandCalls(S3.PutObjectCommand).length, 0);
    const tj = f.sm.commandCalls(SM.CreateTrainingJobCommand)[0]!.args[0].input;
    assert.deepEqual(
      tj.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri]),
      [
        ['train', 's3://data-bucket/imdb/train/'],
        ['validation', 's3://data-bucket/imdb/validation/'],
      ],
    );
    // --no-wait: nothing after CreateTrainingJob
    assert.equal(f.sm.commandCalls(SM.DescribeTrainingJobCommand).length, 0);
  });
});

describe('managed spot training in the workflows', () => {
  it('invalid spot settings throw before anything is sent; a finished spot job reports its billable time', async () => {
    const f = fakeDeps();
    await assert.rejects(
      trainAndDeploy(f.deps, { ...(await baseOptions()), spot: true, maxWaitSeconds: 60 }),
      /--max-wait-seconds \(60\) must be a whole number >= --max-runtime \(3600\)/,
    );
    await assert.rejects(
      trainAndDeploy(f.deps, { ...(await baseOptions()), checkpointS3Uri: 'https://example.com/x' }),
      /--checkpoint-s3-uri: expected s3:\/\/bucket\/prefix/,
    );
    assert.equal(f.sm.calls().length + f.s3.calls().length, 0);

    f.sm.on(SM.DescribeTrainingJobCommand).resolves({
      TrainingJobStatus: 'Completed',
      EnableManagedSpotTraining: true,
      TrainingTimeInSeconds: 1000,
      BillableTimeInSeconds: 300,
    });
    await waitFor(f.deps, 'training', JOB, { intervalMs: 1000, timeoutMs: 60_000 });
    assert.match(f.io.infos.join('\n'), /managed spot: billable 300s of 1000s training \(70% saved\)/);
  });
});

describe('batch transform workflow', () => {
  it('creates a model from a training job and a transform job with SplitType=Line, AssembleWith=Line, text/csv', async () => {
    const f = fakeDeps();
    f.s3.on(S3.PutObjectCommand).resolves({});
    f.sm.on(SM.DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: MODEL_TAR } });
    f.sm.on(SM.CreateModelCommand).resolves({});
    f.sm.on(SM.CreateTransformJobCommand).resolves({ TransformJobArn: 'arn:transform' });
    f.sm
      .on(SM.DescribeTransformJobCommand)
      .resolvesOnce({ TransformJobStatus: 'InProgress' } as never)
      .resolves({ TransformJobStatus: 'Completed' } as never);
    f.s3.on(S3.GetObjectCommand).resolves({ Body: sdkBody(IMPUTED_CSV) });

    const result = await batchTransform(f.deps, {
      baseName: 'byoc-transform',
      bucket: 'my-bucket',
      prefix: 'byoc',
      trainingJobName: JOB,
      image: IMAGE,
      role: ROLE,
      input: files.test,
      instanceType: 'ml.m5.xlarge',
      instanceCount: 2,
      wait: { intervalMs: 1000, timeoutMs: 60_000 },
    });
    const name = 'byoc-transform-20261125-043012';
    const put = f.s3.commandCalls(S3.PutObjectCommand)[0]!.args[0].input;
    assert.equal(put.Key, `byoc/transform-input/${name}/test.csv`);
    const model = f.sm.commandCalls(SM.CreateModelCommand)[0]!.args[0].input;
    assert.equal(model.PrimaryContainer?.ModelDataUrl, MODEL_TAR);
    assert.equal(model.PrimaryContainer?.Image, IMAGE);

    const tj = f.sm.commandCalls(SM.CreateTransformJobCommand)[0]!.args[0].input;
    assert.deepEqual(tj, {
      TransformJobName: name,
      ModelName: name,
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: undefined,
      MaxConcurrentTransforms: undefined,
      Environment: undefined,
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://my-bucket/byoc/transform-input/${name}/test.csv` } },
        ContentType: 'text/csv',
        CompressionType: 'None',
        SplitType: 'Line',
      },
      TransformOutput: { S3OutputPath: `s3://my-bucket/byoc/transform-output/${name}`, Accept: 'text/csv', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2 },
      Tags: undefined,
    });
    // the assembled output of test.csv is test.csv.out
    assert.deepEqual(f.s3.commandCalls(S3.GetObjectCommand)[0]!.args[0].input, {
      Bucket: 'my-bucket',
      Key: `byoc/transform-output/${name}/test.csv.out`,
    });
    assert.equal(result.output, IMPUTED_CSV);
  });

  it('uses an existing model and S3 input as given; a failed job reports its FailureReason', async () => {
    const f = fakeDeps();
    f.sm.on(SM.CreateTransformJobCommand).resolves({});
    f.sm.on(SM.DescribeTransformJobCommand).resolves({
      TransformJobStatus: 'Failed',
      FailureReason: 'ClientError: See job logs for more information',
    } as never);
    await assert.rejects(
      batchTransform(f.deps, {
        baseName: 't',
        bucket: 'b',
        prefix: 'p',
        modelName: 'existing-model',
        input: 's3://in/data/',
        outputS3Uri: 's3://out/x/',
        instanceType: 'ml.m5.large',
        instanceCount: 1,
        maxPayloadMb: 20,
        maxConcurrentTransforms: 4,
        strategy: 'SingleRecord',
      }),
      /transform job t-20261125-043012 ended with status Failed: ClientError: See job logs/,
    );
    const tj = f.sm.commandCalls(SM.CreateTransformJobCommand)[0]!.args[0].input;
    assert.equal(tj.ModelName, 'existing-model');
    assert.equal(tj.TransformInput?.DataSource?.S3DataSource?.S3Uri, 's3://in/data/');
    assert.equal(tj.TransformInput?.SplitType, 'Line');
    assert.equal(tj.TransformOutput?.AssembleWith, 'Line');
    assert.equal(tj.BatchStrategy, 'SingleRecord');
    assert.equal(tj.MaxPayloadInMB, 20);
    assert.equal(tj.MaxConcurrentTransforms, 4);
    assert.equal(f.sm.commandCalls(SM.CreateModelCommand).length, 0);
    assert.equal(f.s3.commandCalls(S3.PutObjectCommand).length, 0);
  });
});

describe('tuning workflow', () => {
  it('creates a tuning job with the datawig ranges, the objective and string static hyperparameters', async () => {
    const f = fakeDeps();
    f.s3.on(S3.PutObjectCommand).resolves({});
    f.sm.on(SM.CreateHyperParameterTuningJobCommand).resolves({ HyperParameterTuningJobArn: 'arn:tuning' });
    f.sm
      .on(SM.DescribeHyperParameterTuningJobCommand)
      .resolvesOnce({ HyperParameterTuningJobStatus: 'InProgress', TrainingJobStatusCounters: { InProgress: 2 } } as never)
      .resolves({
        HyperParameterTuningJobStatus: 'Completed',
        TrainingJobStatusCounters: { Completed: 4 },
        BestTrainingJob: {
          TrainingJobName: 'byoc-tune-20261125-043012-003-abc',
          FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:macro_f1', Value: 0.81 },
          TunedHyperParameters: { learning_rate: '0.004', batch_size: '32' },
        },
      } as never);

    const ranges = [...DEFAULT_DATAWIG_RANGES, 'final_fc_hidden_units=categorical:[],[100]', 'batch_size=integer:8:64:linear'].map(parseRange);
    const result = await tune(f.deps, {
      baseName: 'byoc-tune',
      bucket: 'my-bucket',
      prefix: 'byoc',
      role: ROLE,
      image: IMAGE,
      train: files.train,
      objective: 'validation:macro_f1',
      strategy: 'Bayesian',
      maxJobs: 4,
      maxParallelJobs: 2,
      earlyStopping: 'Off',
      ranges: [...new Map(ranges.map((r) => [r.name, r])).values()],
      staticHyperparameters: { label_column: 'rating_binary', feature_columns: 'review', num_epochs: '10', batch_size: '16' },
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      volumeSizeGb: 10,
      maxRuntimeSeconds: 1800,
      wait: { intervalMs: 30_000, timeoutMs: 3600_000 },
    });
    const req = f.sm.commandCalls(SM.CreateHyperParameterTuningJobCommand)[0]!.args[0].input;
    assert.equal(req.HyperParameterTuningJobName, 'byoc-tune-20261125-043012');
    assert.ok(req.HyperParameterTuningJobName!.length <= 32);
    const cfg = req.HyperParameterTuningJobConfig!;
    assert.deepEqual(cfg.HyperParameterTuningJobObjective, { Type: 'Maximize', MetricName: 'validation:macro_f1' });
    assert.deepEqual(cfg.ResourceLimits, { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 });
    assert.equal(cfg.Strategy, 'Bayesian');
    assert.deepEqual(cfg.ParameterRanges, {
      IntegerParameterRanges: [
        { Name: 'batch_size', MinValue: '8', MaxValue: '64', ScalingType: 'Linear' },
        { Name: 'num_hash_buckets', MinValue: '4096', MaxValue: '262144', ScalingType: 'Logarithmic' },
        { Name: 'latent_dim', MinValue: '16', MaxValue: '256', ScalingType: 'Logarithmic' },
      ],
      ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.0001', MaxValue: '0.05', ScalingType: 'Logarithmic' }],
      CategoricalParameterRanges: [
        { Name: 'tokens', Values: ['words', 'chars', 'both'] },
        { Name: 'final_fc_hidden_units', Values: ['[]', '[100]'] },
      ],
    });
    const def = req.TrainingJobDefinition!;
    assert.equal(def.AlgorithmSpecification?.TrainingImage, IMAGE);
    assert.deepEqual(def.AlgorithmSpecification?.MetricDefinitions, EXPECTED_METRICS);
    // tuned names are not static; all static values are strings
    assert.deepEqual(def.StaticHyperParameters, { label_column: 'rating_binary', feature_columns: 'review', num_epochs: '10' });
    assert.equal(def.RoleArn, ROLE);
    assert.equal(def.InputDataConfig?.[0]?.DataSource?.S3DataSource?.S3Uri, 's3://my-bucket/byoc/input/byoc-tune-20261125-043012/train/');
    assert.deepEqual(def.StoppingCondition, { MaxRuntimeInSeconds: 1800 });
    assert.equal('EnableManagedSpotTraining' in def, false);
    assert.equal('CheckpointConfig' in def, false);

    assert.deepEqual(result, {
      tuningJobName: 'byoc-tune-20261125-043012',
      bestTrainingJob: 'byoc-tune-20261125-043012-003-abc',
      bestObjective: { name: 'validation:macro_f1', value: 0.81 },
      bestHyperparameters: { learning_rate: '0.004', batch_size: '32' },
    });
    assert.match(f.io.infos.join('\n'), /completed 4, in progress 0, failed 0, stopped 0; best validation:macro_f1 = 0\.81/);
  });

  it('minimises loss objectives and fails clearly when the tuning job fails', async () => {
    const f = fakeDeps();
    f.sm.on(SM.CreateHyperParameterTuningJobCommand).resolves({});
    f.sm
      .on(SM.DescribeHyperParameterTuningJobCommand)
      .resolves({ HyperParameterTuningJobStatus: 'Failed', FailureReason: 'All training jobs failed' } as never);
    await assert.rejects(
      tune(f.deps, {
        baseName: 'a-very-long-base-name-for-a-tuning-job',
        bucket: 'b',
        prefix: 'p',
        role: ROLE,
        image: IMAGE,
        train: 's3://b/p/train/',
        objective: 'validation:loss',
        strategy: 'Random',
        maxJobs: 2,
        maxParallelJobs: 1,
        earlyStopping: 'Auto',
        ranges: [parseRange('learning_rate=continuous:0.001:0.1')],
        staticHyperparameters: {},
        instanceType: 'ml.m5.large',
        instanceCount: 1,
        volumeSizeGb: 10,
        maxRuntimeSeconds: 600,
      }),
      /tuning job .* ended with status Failed: All training jobs failed/,
    );
    const req = f.sm.commandCalls(SM.CreateHyperParameterTuningJobCommand)[0]!.args[0].input;
    assert.ok(req.HyperParameterTuningJobName!.length <= 32, req.HyperParameterTuningJobName);
    assert.deepEqual(req.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective, { Type: 'Minimize', MetricName: 'validation:loss' });
    assert.equal(req.HyperParameterTuningJobConfig?.TrainingJobEarlyStoppingType, 'Auto');
  });
});

describe('cleanup and S3 upload', () => {
  it('cleanup deletes endpoint, its config and its models', async () => {
    const f = fakeDeps();
    f.sm.on(SM.DescribeEndpointCommand).resolves({ EndpointName: 'ep', EndpointConfigName: 'cfg' } as never);
    f.sm.on(SM.DescribeEndpointConfigCommand).resolves({
      ProductionVariants: [
        { VariantName: 'A', ModelName: 'm1' },
        { VariantName: 'B', ModelName: 'm2' },
      ],
    } as never);
    const deleted = await cleanup(f.deps, { endpointName: 'ep' });
    assert.deepEqual(deleted, ['endpoint ep', 'endpoint config cfg', 'model m1', 'model m2']);
    const kept = fakeDeps();
    kept.sm.on(SM.DescribeEndpointCommand).resolves({ EndpointName: 'ep', EndpointConfigName: 'cfg' } as never);
    kept.sm.on(SM.DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'A', ModelName: 'm1' }] } as never);
    assert.deepEqual(await cleanup(kept.deps, { endpointName: 'ep', keepModel: true }), ['endpoint ep', 'endpoint config cfg']);
    assert.equal(kept.sm.commandCalls(SM.DeleteModelCommand).length, 0);
  });

  it('large files go up as a multipart upload whose parts join to the file', async () => {
    const f = fakeDeps();
    const big = path.join(files.dir, 'big.csv');
    const content = Buffer.alloc(12 * 1024 * 1024 + 123, 'a');
    await writeFile(big, content);
    f.s3.on(S3.CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    let n = 0;
    f.s3.on(S3.UploadPartCommand).callsFake(async () => ({ ETag: `"e${++n}"` }));
    f.s3.on(S3.CompleteMultipartUploadCommand).resolves({});
    const uri = await uploadFile(f.clients.s3, big, { bucket: 'b', key: 'k/big.csv' }, { multipartThreshold: 1024, partSize: 5 * 1024 * 1024 });
    assert.equal(uri, 's3://b/k/big.csv');
    const parts = f.s3.commandCalls(S3.UploadPartCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      parts.map((p) => p.PartNumber),
      [1, 2, 3],
    );
    assert.deepEqual(Buffer.concat(parts.map((p) => Buffer.from(p.Body as Uint8Array))), content);
    const done = f.s3.commandCalls(S3.CompleteMultipartUploadCommand)[0]!.args[0].input;
    assert.deepEqual(done.MultipartUpload?.Parts, [
      { ETag: '"e1"', PartNumber: 1 },
      { ETag: '"e2"', PartNumber: 2 },
      { ETag: '"e3"', PartNumber: 3 },
    ]);
    assert.equal(f.s3.commandCalls(S3.PutObjectCommand).length, 0);
  });

  it('a failed part aborts the multipart upload', async () => {
    const f = fakeDeps();
    const big = path.join(files.dir, 'big2.csv');
    await writeFile(big, Buffer.alloc(6 * 1024 * 1024, 'b'));
    f.s3.on(S3.CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    f.s3.on(S3.UploadPartCommand).rejects(new Error('SlowDown'));
    f.s3.on(S3.AbortMultipartUploadCommand).resolves({});
    await assert.rejects(uploadFile(f.clients.s3, big, { bucket: 'b', key: 'k' }, { multipartThreshold: 1024 }), /SlowDown/);
    assert.deepEqual(f.s3.commandCalls(S3.AbortMultipartUploadCommand)[0]!.args[0].input, { Bucket: 'b', Key: 'k', UploadId: 'up-2' });
  });

  it('the checked-in sample hyperparameters load as strings', async () => {
    const hps = await loadHyperparameters({
      file: path.resolve('test/sagemaker_fs/input/config/hyperparameters.json'),
      pairs: ['num_epochs=3', 'final_fc_hidden_units=[100]'],
      algorithm: 'datawig',
    });
    assert.deepEqual(hps, {
      feature_columns: 'review',
      label_column: 'rating_binary',
      num_epochs: '3',
      final_fc_hidden_units: '[100]',
      algorithm: 'datawig',
    });
    assert.ok((await readFile('test/sagemaker_fs/input/data/train/train.csv', 'utf8')).startsWith('rating_binary,review\n'));
  });
});
