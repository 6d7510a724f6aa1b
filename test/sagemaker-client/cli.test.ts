import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import * as SM from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { runCli, type CliDeps } from '../../container/sagemaker-client/cli.js';
import { formatMetricLine } from '../../framework/training/metrics.js';
import { METRIC_NAMES, metricDefinitions } from '../../container/sagemaker-client/metrics.js';
import { FakeClock, IMPUTED_CSV, fakeClients, sdkBody, useSampleFiles } from './fakes.js';

const exec = promisify(execFile);
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'container', 'sagemaker-client', 'cli.js');

const ENV = {
  AWS_REGION: 'eu-west-1',
  SAGEMAKER_BUCKET: 'env-bucket',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/FromEnv',
  SAGEMAKER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/byoc:env',
};

function harness(env: Record<string, string> = ENV) {
  const f = fakeClients();
  const regions: string[] = [];
  let out = '';
  let err = '';
  const deps: CliDeps = {
    env,
    makeClients: (region) => {
      regions.push(region);
      return f.clients;
    },
    clock: new FakeClock(),
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  };
  return { ...f, deps, regions, out: () => out, err: () => err };
}

const files = useSampleFiles();

describe('sagemaker CLI --help', () => {
  const expectations: Record<string, RegExp[]> = {
    '': [/train-and-deploy/, /batch-transform/, /tune/, /invoke/, /cleanup/, /AWS SDK default chain/],
    'train-and-deploy': [
      /--train <file\|s3-uri>/,
      /--hyperparameters <file\.json>/,
      /--test <file>/,
      /--image <uri>/,
      /SAGEMAKER_IMAGE/,
      /SAGEMAKER_ROLE_ARN/,
      /SAGEMAKER_BUCKET/,
      /AWS_REGION/,
      /--training-instance-type/,
      /--instance-count <n>/,
      /--endpoint-instance-type/,
      /--delete-endpoint/,
      /METRIC validation:accuracy=\(\[-\+0-9\.eE\]\+\)/,
      /Example:/,
    ],
    'batch-transform': [/SplitType=Line/, /AssembleWith=Line/, /--model-name/, /--training-job/, /--strategy/, /MultiRecord/, /--max-payload-mb/, /Example:/],
    tune: [
      /--objective <metric>/,
      /validation:accuracy/,
      /validation:macro_f1/,
      /--range <spec>/,
      /categorical:A,B,C/,
      /learning_rate=continuous/,
      /--max-jobs/,
      /--max-parallel/,
      /--instance-count <n>/,
      /Example:/,
    ],
    invoke: [/--endpoint <name>/, /--input <file>/, /--content-type/, /--accept/],
    cleanup: [/--endpoint <name>/, /--keep-model/],
  };
  for (const [cmd, patterns] of Object.entries(expectations)) {
    it(`${cmd || '(program)'} --help describes its options and exits 0`, async () => {
      const h = harness();
      const code = await runCli(cmd ? [cmd, '--help'] : ['--help'], h.deps);
      assert.equal(code, 0);
      for (const p of patterns) assert.match(h.out(), p);
      assert.equal(h.regions.length, 0, 'help must not create AWS clients');
    });
  }

  it('the compiled entry prints help as a process (node dist/container/sagemaker-client/cli.js tune --help)', async () => {
    const { stdout } = await exec(process.execPath, [CLI, 'tune', '--help'], { timeout: 20_000 });
    assert.match(stdout, /Usage: sagemaker-byoc tune/);
    await assert.rejects(exec(process.execPath, [CLI, 'invoke'], { timeout: 20_000 }), (e: { code?: number; stderr?: string }) => {
      assert.equal(e.code, 2);
      assert.match(e.stderr ?? '', /required option '--endpoint <name>' not specified/);
      return true;
    });
  });
});

describe('sagemaker CLI settings', () => {
  it('a missing setting names both the flag and the environment variable (exit 2, no AWS call)', async () => {
    const h = harness({ AWS_REGION: 'eu-west-1' });
    const code = await runCli(['train-and-deploy', '--train', files.train], h.deps);
    assert.equal(code, 2);
    assert.match(h.err(), /missing --bucket \(or environment variable SAGEMAKER_BUCKET\)/);
    assert.equal(h.sm.calls().length + h.s3.calls().length, 0);

    const noRegion = harness({});
    assert.equal(await runCli(['cleanup', '--endpoint', 'x'], noRegion.deps), 2);
    assert.match(noRegion.err(), /missing --region \(or environment variable AWS_REGION \/ AWS_DEFAULT_REGION\)/);
  });

  it('bad option values are rejected before anything is sent', async () => {
    const h = harness();
    assert.equal(await runCli(['tune', '--train', 'x.csv', '--max-jobs', 'zero'], h.deps), 2);
    assert.match(h.err(), /--max-jobs.*must be a whole number/);
    assert.equal(await runCli(['tune', '--train', 'x.csv', '--range', 'lr=continuous:1'], h.deps), 2);
    assert.match(h.err(), /range lr: expected continuous:MIN:MAX/);
    assert.equal(await runCli(['train-and-deploy', '--train', 'x.csv', '--hp', 'num_epochs'], h.deps), 2);
    assert.match(h.err(), /hyperparameter must look like key=value, got 'num_epochs'/);
    assert.equal(await runCli(['train-and-deploy', '--train', 'x.csv', '--hyperparameters', '/nonexistent/hps.json'], h.deps), 2);
    assert.match(h.err(), /cannot read hyperparameters from \/nonexistent\/hps\.json/);
    assert.equal(await runCli(['train-and-deploy', '--train', 'x.csv', '--env', 'WORKERS'], h.deps), 2);
    assert.match(h.err(), /environment variable must look like key=value/);
    assert.equal(await runCli(['batch-transform', '--input', 'x.csv'], h.deps), 2);
    assert.match(h.err(), /needs --model-name or --training-job/);
    assert.equal(h.sm.calls().length, 0);
  });
});

describe('sagemaker CLI sub-commands against fakes', () => {
  it('train-and-deploy: env settings, flags win over env, prints the imputed table', async () => {
    const h = harness();
    const job = 'imdb-20261125-043012';
    h.s3.on(PutObjectCommand).resolves({});
    h.sm.on(SM.CreateTrainingJobCommand).resolves({});
    h.sm.on(SM.DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: 's3://env-bucket/m.tar.gz' } });
    h.sm.on(SM.CreateModelCommand).resolves({});
    h.sm.on(SM.CreateEndpointConfigCommand).resolves({});
    h.sm.on(SM.CreateEndpointCommand).resolves({});
    h.sm.on(SM.DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', EndpointConfigName: job } as never);
    h.sm.on(SM.DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: job }] } as never);
    h.sm.on(SM.DeleteEndpointCommand).resolves({});
    h.sm.on(SM.DeleteEndpointConfigCommand).resolves({});
    h.sm.on(SM.DeleteModelCommand).resolves({});
    h.rt.on(InvokeEndpointCommand).resolves({ ContentType: 'text/csv', Body: sdkBody(IMPUTED_CSV) });

    const code = await runCli(
      [
        'train-and-deploy',
        '--train',
        files.train,
        '--test',
        files.test,
        '--hyperparameters',
        files.hps,
        '--hp',
        'num_epochs=3',
        '--algorithm',
        'datawig',
        '--name',
        'imdb',
        '--role',
        'arn:aws:iam::123456789012:role/FromFlag',
        '--training-instance-type',
        'ml.c5.2xlarge',
        '--env',
        'SAGEMAKER_MODEL_SERVER_WORKERS=2',
        '--tag',
        'project=byoc',
        '--delete-endpoint',
        '--poll-seconds',
        '5',
      ],
      h.deps,
    );
    assert.equal(code, 0, h.err());
    assert.deepEqual(h.regions, ['eu-west-1']);
    const tj = h.sm.commandCalls(SM.CreateTrainingJobCommand)[0]!.args[0].input;
    assert.equal(tj.TrainingJobName, job);
    assert.equal(tj.RoleArn, 'arn:aws:iam::123456789012:role/FromFlag');
    assert.equal(tj.AlgorithmSpecification?.TrainingImage, ENV.SAGEMAKER_IMAGE);
    assert.equal(tj.ResourceConfig?.InstanceType, 'ml.c5.2xlarge');
    assert.deepEqual(tj.HyperParameters, { feature_columns: 'review', label_column: 'rating_binary', num_epochs: '3', algorithm: 'datawig' });
    assert.deepEqual(tj.Tags, [{ Key: 'project', Value: 'byoc' }]);
    assert.equal(h.s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket, 'env-bucket');
    assert.equal(h.s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Key, `byoc/input/${job}/train/train.csv`);
    assert.deepEqual(h.sm.commandCalls(SM.CreateModelCommand)[0]!.args[0].input.PrimaryContainer?.Environment, { SAGEMAKER_MODEL_SERVER_WORKERS: '2' });
    assert.equal(h.sm.commandCalls(SM.CreateEndpointConfigCommand)[0]!.args[0].input.ProductionVariants?.[0]?.InstanceType, 'ml.m5.large');
    assert.equal(h.sm.commandCalls(SM.DeleteEndpointCommand).length, 1);

    const out = h.out();
    assert.match(out, /training job: imdb-20261125-043012/);
    assert.match(out, /endpoint: imdb-20261125-043012 \(deleted\)/);
    // the imputed table, aligned
    assert.match(out, /rating_binary +review +rating_binary_imputed +rating_binary_imputed_proba/);
    assert.match(out, / +what a film +positive +0\.91/);
    assert.match(h.err(), /training job imdb-20261125-043012 created/);
  });

  it('train-and-deploy: a failed job exits 1 with the FailureReason', async () => {
    const h = harness();
    h.s3.on(PutObjectCommand).resolves({});
    h.sm.on(SM.CreateTrainingJobCommand).resolves({});
    h.sm.on(SM.DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'Failed', FailureReason: "unknown hyperparameter 'num_epoch'" });
    const code = await runCli(['train-and-deploy', '--train', files.train], h.deps);
    assert.equal(code, 1);
    assert.match(h.err(), /error: SageMakerJobError: training job byoc-imputer-20261125-043012 ended with status Failed: unknown hyperparameter 'num_epoch'/);
  });

  it('batch-transform --training-job writes the assembled output to --out', async () => {
    const h = harness();
    h.s3.on(PutObjectCommand).resolves({});
    h.sm.on(SM.DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: 's3://b/m.tar.gz' } });
    h.sm.on(SM.CreateModelCommand).resolves({});
    h.sm.on(SM.CreateTransformJobCommand).resolves({});
    h.sm.on(SM.DescribeTransformJobCommand).resolves({ TransformJobStatus: 'Completed' } as never);
    h.s3.on(GetObjectCommand).resolves({ Body: sdkBody(IMPUTED_CSV) });
    const out = path.join(files.dir, 'imputed.csv');
    const code = await runCli(['batch-transform', '--training-job', 'job-1', '--input', files.test, '--out', out, '--max-payload-mb', '50'], h.deps);
    assert.equal(code, 0, h.err());
    const req = h.sm.commandCalls(SM.CreateTransformJobCommand)[0]!.args[0].input;
    assert.equal(req.TransformInput?.SplitType, 'Line');
    assert.equal(req.TransformInput?.ContentType, 'text/csv');
    assert.equal(req.TransformOutput?.AssembleWith, 'Line');
    assert.equal(req.MaxPayloadInMB, 50);
    assert.equal(await readFile(out, 'utf8'), IMPUTED_CSV);
  });

  it('tune: default datawig ranges plus --range overrides, static hyperparameters from the file', async () => {
    const h = harness();
    h.s3.on(PutObjectCommand).resolves({});
    h.sm.on(SM.CreateHyperParameterTuningJobCommand).resolves({});
    h.sm.on(SM.DescribeHyperParameterTuningJobCommand).resolves({
      HyperParameterTuningJobStatus: 'Completed',
      BestTrainingJob: {
        TrainingJobName: 'best-1',
        FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:accuracy', Value: 0.9 },
        TunedHyperParameters: { learning_rate: '0.003' },
      },
    } as never);
    const code = await runCli(
      ['tune', '--train', files.train, '--hyperparameters', files.hps, '--range', 'num_epochs=integer:5:30', '--max-jobs', '6', '--max-parallel', '3'],
      h.deps,
    );
    assert.equal(code, 0, h.err());
    const req = h.sm.commandCalls(SM.CreateHyperParameterTuningJobCommand)[0]!.args[0].input;
    const ranges = req.HyperParameterTuningJobConfig?.ParameterRanges;
    assert.deepEqual(
      ranges?.IntegerParameterRanges?.map((r) => r.Name),
      ['batch_size', 'num_hash_buckets', 'latent_dim', 'num_epochs'],
    );
    assert.deepEqual(
      ranges?.ContinuousParameterRanges?.map((r) => r.Name),
      ['learning_rate'],
    );
    assert.deepEqual(
      ranges?.CategoricalParameterRanges?.map((r) => r.Name),
      ['tokens'],
    );
    assert.deepEqual(req.TrainingJobDefinition?.StaticHyperParameters, { feature_columns: 'review', label_column: 'rating_binary' });
    assert.deepEqual(req.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective, { Type: 'Maximize', MetricName: 'validation:accuracy' });
    assert.deepEqual(req.HyperParameterTuningJobConfig?.ResourceLimits, { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 3 });
    assert.match(h.out(), /best training job: best-1/);
    assert.match(h.out(), /learning_rate = 0\.003/);
  });

  it('invoke sends the file with its content type; cleanup deletes the endpoint', async () => {
    const h = harness();
    h.rt.on(InvokeEndpointCommand).resolves({ ContentType: 'text/csv', Body: sdkBody(IMPUTED_CSV) });
    assert.equal(await runCli(['invoke', '--endpoint', 'ep', '--input', files.test, '--raw', '--custom-attributes', 'trace=1'], h.deps), 0);
    const req = h.rt.commandCalls(InvokeEndpointCommand)[0]!.args[0].input;
    assert.equal(req.EndpointName, 'ep');
    assert.equal(req.ContentType, 'text/csv');
    assert.equal(req.CustomAttributes, 'trace=1');
    assert.equal(h.out(), `${IMPUTED_CSV}\n`);

    h.sm.on(SM.DescribeEndpointCommand).resolves({ EndpointConfigName: 'cfg' } as never);
    h.sm.on(SM.DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'A', ModelName: 'm' }] } as never);
    assert.equal(await runCli(['cleanup', '--endpoint', 'ep'], h.deps), 0);
    assert.match(h.out(), /deleted: endpoint ep, endpoint config cfg, model m/);
  });
});

describe('sagemaker CLI training resources: instance count, managed spot training and checkpoints', () => {
  const JOB = 'byoc-imputer-20261125-043012';
  const TUNING_JOB = 'byoc-tune-20261125-043012';

  function trainingJobInput(h: ReturnType<typeof harness>) {
    const calls = h.sm.commandCalls(SM.CreateTrainingJobCommand);
    assert.equal(calls.length, 1);
    return calls[0]!.args[0].input;
  }

  function tuningJobDefinition(h: ReturnType<typeof harness>) {
    const calls = h.sm.commandCalls(SM.CreateHyperParameterTuningJobCommand);
    assert.equal(calls.length, 1);
    return calls[0]!.args[0].input.TrainingJobDefinition!;
  }

  function mocked() {
    const h = harness();
    h.s3.on(PutObjectCommand).resolves({});
    h.sm.on(SM.CreateTrainingJobCommand).resolves({});
    h.sm.on(SM.CreateHyperParameterTuningJobCommand).resolves({});
    return h;
  }

  it('train-and-deploy and tune --instance-count N: ResourceConfig.InstanceCount N (the endpoint keeps its own count); default 1', async () => {
    const h = mocked();
    assert.equal(await runCli(['train-and-deploy', '--train', files.train, '--instance-count', '3', '--no-wait'], h.deps), 0, h.err());
    assert.deepEqual(trainingJobInput(h).ResourceConfig, { InstanceType: 'ml.m5.large', InstanceCount: 3, VolumeSizeInGB: 10 });
    assert.equal(await runCli(['tune', '--train', files.train, '--instance-count', '2', '--no-wait'], h.deps), 0, h.err());
    assert.equal(tuningJobDefinition(h).ResourceConfig?.InstanceCount, 2);
    const older = mocked();
    assert.equal(await runCli(['tune', '--train', files.train, '--training-instance-count', '4', '--no-wait'], older.deps), 0, older.err());
    assert.equal(tuningJobDefinition(older).ResourceConfig?.InstanceCount, 4);
    const plain = mocked();
    assert.equal(await runCli(['train-and-deploy', '--train', files.train, '--no-wait'], plain.deps), 0, plain.err());
    assert.equal(trainingJobInput(plain).ResourceConfig?.InstanceCount, 1);
  });

  it('--instance-count 0, or disagreeing with --training-instance-count, is a usage error (exit 2, nothing sent)', async () => {
    const cases: { argv: string[]; error: RegExp }[] = [
      { argv: ['train-and-deploy', '--train', 'x.csv', '--instance-count', '0'], error: /--instance-count/ },
      {
        argv: ['tune', '--train', 'x.csv', '--instance-count', '2', '--training-instance-count', '3'],
        error: /--instance-count 2 and --training-instance-count 3 disagree/,
      },
    ];
    for (const c of cases) {
      const h = harness();
      assert.equal(await runCli(c.argv, h.deps), 2, c.argv.join(' '));
      assert.match(h.err(), c.error);
      assert.equal(h.sm.calls().length + h.s3.calls().length, 0);
    }
  });

  it('train-and-deploy --spot: EnableManagedSpotTraining, max wait 2 x max runtime, checkpoints under the job name', async () => {
    const h = mocked();
    const code = await runCli(['train-and-deploy', '--train', files.train, '--spot', '--max-runtime', '1200', '--no-wait'], h.deps);
    assert.equal(code, 0, h.err());
    const tj = trainingJobInput(h);
    assert.equal(tj.EnableManagedSpotTraining, true);
    assert.deepEqual(tj.StoppingCondition, { MaxRuntimeInSeconds: 1200, MaxWaitTimeInSeconds: 2400 });
    assert.deepEqual(tj.CheckpointConfig, { S3Uri: `s3://env-bucket/byoc/checkpoints/${JOB}/`, LocalPath: '/opt/ml/checkpoints' });
    assert.match(h.err(), /managed spot, max wait 2400s, checkpoints s3:\/\/env-bucket\/byoc\/checkpoints\//);
  });

  it('train-and-deploy --checkpoint-s3-uri and --max-wait-seconds are sent as given; without the flags nothing is added', async () => {
    const h = mocked();
    const uri = 's3://ckpt-bucket/runs/imdb';
    const code = await runCli(
      ['train-and-deploy', '--train', files.train, '--spot', '--max-wait-seconds', '3600', '--checkpoint-s3-uri', uri, '--no-wait'],
      h.deps,
    );
    assert.equal(code, 0, h.err());
    const tj = trainingJobInput(h);
    assert.equal(tj.EnableManagedSpotTraining, true);
    assert.deepEqual(tj.StoppingCondition, { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 3600 });
    assert.deepEqual(tj.CheckpointConfig, { S3Uri: uri, LocalPath: '/opt/ml/checkpoints' });

    // checkpoints without spot: on-demand, no MaxWaitTimeInSeconds
    const onDemand = mocked();
    assert.equal(await runCli(['train-and-deploy', '--train', files.train, '--checkpoint-s3-uri', uri, '--no-wait'], onDemand.deps), 0, onDemand.err());
    const od = trainingJobInput(onDemand);
    assert.equal('EnableManagedSpotTraining' in od, false);
    assert.deepEqual(od.StoppingCondition, { MaxRuntimeInSeconds: 3600 });
    assert.deepEqual(od.CheckpointConfig, { S3Uri: uri, LocalPath: '/opt/ml/checkpoints' });

    const plain = mocked();
    assert.equal(await runCli(['train-and-deploy', '--train', files.train, '--no-wait'], plain.deps), 0, plain.err());
    const p = trainingJobInput(plain);
    assert.equal('EnableManagedSpotTraining' in p, false);
    assert.equal('CheckpointConfig' in p, false);
    assert.deepEqual(p.StoppingCondition, { MaxRuntimeInSeconds: 3600 });
  });

  it('tune --spot puts the fields into the TrainingJobDefinition, checkpoints under the tuning job name', async () => {
    const h = mocked();
    assert.equal(await runCli(['tune', '--train', files.train, '--spot', '--max-runtime', '900', '--no-wait'], h.deps), 0, h.err());
    const def = tuningJobDefinition(h);
    assert.equal(def.EnableManagedSpotTraining, true);
    assert.deepEqual(def.StoppingCondition, { MaxRuntimeInSeconds: 900, MaxWaitTimeInSeconds: 1800 });
    assert.deepEqual(def.CheckpointConfig, { S3Uri: `s3://env-bucket/byoc/checkpoints/${TUNING_JOB}/`, LocalPath: '/opt/ml/checkpoints' });

    const explicit = mocked();
    const uri = 's3://ckpt-bucket/tuning/';
    assert.equal(
      await runCli(['tune', '--train', files.train, '--spot', '--max-wait-seconds', '7200', '--checkpoint-s3-uri', uri, '--no-wait'], explicit.deps),
      0,
      explicit.err(),
    );
    const e = tuningJobDefinition(explicit);
    assert.deepEqual(e.StoppingCondition, { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
    assert.deepEqual(e.CheckpointConfig, { S3Uri: uri, LocalPath: '/opt/ml/checkpoints' });

    const plain = mocked();
    assert.equal(await runCli(['tune', '--train', files.train, '--no-wait'], plain.deps), 0, plain.err());
    const p = tuningJobDefinition(plain);
    assert.equal('EnableManagedSpotTraining' in p, false);
    assert.equal('CheckpointConfig' in p, false);
    assert.deepEqual(p.StoppingCondition, { MaxRuntimeInSeconds: 3600 });
  });

  it('a max wait below the max runtime, a max wait without --spot and a bad checkpoint URI are usage errors (exit 2, nothing sent)', async () => {
    const cases: { argv: string[]; error: RegExp }[] = [
      {
        argv: ['train-and-deploy', '--train', 'x.csv', '--spot', '--max-runtime', '3600', '--max-wait-seconds', '1800'],
        error: /--max-wait-seconds \(1800\) must be a whole number >= --max-runtime \(3600\)/,
      },
      {
        argv: ['tune', '--train', 'x.csv', '--spot', '--max-wait-seconds', '60'],
        error: /--max-wait-seconds \(60\) must be a whole number >= --max-runtime \(3600\)/,
      },
      { argv: ['train-and-deploy', '--train', 'x.csv', '--max-wait-seconds', '7200'], error: /--max-wait-seconds needs --spot/ },
      {
        argv: ['train-and-deploy', '--train', 'x.csv', '--spot', '--checkpoint-s3-uri', 'ckpt-bucket/prefix'],
        error: /--checkpoint-s3-uri: expected s3:\/\/bucket\/prefix/,
      },
      {
        argv: ['tune', '--train', 'x.csv', '--checkpoint-s3-uri', 's3://Bad_Bucket/x'],
        error: /--checkpoint-s3-uri: 'Bad_Bucket' .* is not a valid S3 bucket name/,
      },
      { argv: ['tune', '--train', 'x.csv', '--checkpoint-s3-uri', 's3://bucket//x'], error: /--checkpoint-s3-uri: the key prefix .* empty path segments/ },
      { argv: ['train-and-deploy', '--train', 'x.csv', '--spot', '--max-wait-seconds', '0'], error: /--max-wait-seconds.*must be a whole number >= 1/ },
    ];
    for (const c of cases) {
      const h = harness();
      assert.equal(await runCli(c.argv, h.deps), 2, c.argv.join(' '));
      assert.match(h.err(), c.error);
      assert.equal(h.sm.calls().length + h.s3.calls().length, 0);
    }
  });

  it('--help lists the spot options', async () => {
    for (const cmd of ['train-and-deploy', 'tune']) {
      const h = harness();
      assert.equal(await runCli([cmd, '--help'], h.deps), 0);
      assert.match(h.out(), /--spot/);
      assert.match(h.out(), /--max-wait-seconds <seconds>/);
      assert.match(h.out(), /--checkpoint-s3-uri <s3-uri>/);
    }
  });
});

describe('MetricDefinitions match the framework metric lines', () => {
  it('every regex extracts the value the framework prints', () => {
    for (const def of metricDefinitions()) {
      const re = new RegExp(def.Regex!);
      for (const value of [0.9125, 1, 0, -3.5, 1e-7, 123456.789]) {
        const line = formatMetricLine(def.Name!, value, { epoch: 3 });
        const m = re.exec(`{"level":"info"}\n${line}\n`);
        assert.ok(m, `${def.Regex} did not match ${line}`);
        assert.equal(Number(m[1]), Number(value.toPrecision(8)), line);
      }
      // a metric whose name merely starts with this one must not match (e.g. validation:loss vs validation:loss_x)
    }
    assert.deepEqual(METRIC_NAMES, ['train:loss', 'validation:loss', 'validation:accuracy', 'validation:macro_f1', 'validation:rmse']);
    assert.equal(new RegExp(metricDefinitions(['train:loss'])[0]!.Regex!).exec('METRIC validation:loss=0.5'), null);
  });
});
