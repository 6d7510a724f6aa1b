/**
 * The SageMaker client's hosting commands against mocked AWS clients: `deploy` on instances or
 * serverless inference, `deploy-multi-model` (Mode=MultiModel over an S3 prefix), `invoke
 * --target-model`, and their usage errors (exit 2, nothing sent).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as SM from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { runCli, type CliDeps } from '../../container/sagemaker-client/cli.js';
import { FakeClock, IMPUTED_CSV, fakeClients, sdkBody, sentCommands, useSampleFiles } from './fakes.js';

const ENV = {
  AWS_REGION: 'eu-west-1',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/FromEnv',
  SAGEMAKER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/byoc:env',
};

function client() {
  const f = fakeClients();
  let out = '';
  let err = '';
  const deps: CliDeps = {
    env: ENV,
    makeClients: () => f.clients,
    clock: new FakeClock(),
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
  };
  f.sm.on(SM.CreateModelCommand).resolves({});
  f.sm.on(SM.CreateEndpointConfigCommand).resolves({});
  f.sm.on(SM.CreateEndpointCommand).resolves({});
  f.sm.on(SM.DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' } as never);
  return { ...f, deps, out: () => out, err: () => err };
}

const only = <T>(calls: { args: readonly [{ input: T }] }[]): T => {
  assert.equal(calls.length, 1);
  return calls[0]!.args[0].input;
};

const files = useSampleFiles();

describe('sagemaker client: deploy, deploy-multi-model, invoke --target-model', () => {
  it('deploy --serverless-memory 2048 --max-concurrency 5: a ServerlessConfig instead of instances', async () => {
    const c = client();
    const code = await runCli(['deploy', '--model-data', 's3://b/jobs/m/model.tar.gz', '--serverless-memory', '2048', '--max-concurrency', '5'], c.deps);
    assert.equal(code, 0, c.err());
    const model = only(c.sm.commandCalls(SM.CreateModelCommand));
    assert.equal(model.PrimaryContainer?.ModelDataUrl, 's3://b/jobs/m/model.tar.gz');
    assert.equal(model.PrimaryContainer?.Mode, undefined);
    const variant = only(c.sm.commandCalls(SM.CreateEndpointConfigCommand)).ProductionVariants![0]!;
    assert.deepEqual(variant.ServerlessConfig, { MemorySizeInMB: 2048, MaxConcurrency: 5 });
    assert.equal(variant.InstanceType, undefined);
    assert.equal(variant.InitialInstanceCount, undefined);
    assert.match(c.out(), /endpoint: byoc-imputer-\d{8}-\d{6}/);
  });

  it('deploy on instances: the instance type and count', async () => {
    const c = client();
    assert.equal(await runCli(['deploy', '--model-data', 's3://b/m.tar.gz', '--instance-type', 'ml.c5.xlarge', '--instance-count', '2'], c.deps), 0, c.err());
    const variant = only(c.sm.commandCalls(SM.CreateEndpointConfigCommand)).ProductionVariants![0]!;
    assert.equal(variant.InstanceType, 'ml.c5.xlarge');
    assert.equal(variant.InitialInstanceCount, 2);
    assert.equal(variant.ServerlessConfig, undefined);
  });

  it('deploy-multi-model: Mode=MultiModel over the prefix, SAGEMAKER_MULTI_MODEL set; invoke --target-model sends TargetModel', async () => {
    const c = client();
    assert.equal(await runCli(['deploy-multi-model', '--model-data-prefix', 's3://b/models/', '--env', 'BYOC_MULTI_MODEL_MEMORY_MB=512'], c.deps), 0, c.err());
    const container = only(c.sm.commandCalls(SM.CreateModelCommand)).PrimaryContainer!;
    assert.equal(container.Mode, 'MultiModel');
    assert.equal(container.ModelDataUrl, 's3://b/models/');
    assert.deepEqual(container.Environment, { SAGEMAKER_MULTI_MODEL: 'true', BYOC_MULTI_MODEL_MEMORY_MB: '512' });
    c.rt.on(InvokeEndpointCommand).resolves({ ContentType: 'text/csv', Body: sdkBody(IMPUTED_CSV) });
    assert.equal(await runCli(['invoke', '--endpoint', 'ep', '--input', files.test, '--target-model', 'colour.tar.gz', '--raw'], c.deps), 0, c.err());
    assert.equal(only(c.rt.commandCalls(InvokeEndpointCommand)).TargetModel, 'colour.tar.gz');
  });

  it('usage errors exit 2 and send nothing', async () => {
    const cases: { argv: string[]; error: RegExp }[] = [
      { argv: ['deploy', '--model-data', 'model.tar.gz'], error: /must be an s3:\/\/ URI/ },
      { argv: ['deploy', '--model-data', 's3://b/m.tar.gz', '--serverless-memory', '1500'], error: /--serverless-memory must be one of 1024, 2048/ },
      {
        argv: ['deploy', '--model-data', 's3://b/m.tar.gz', '--serverless-memory', '1024', '--max-concurrency', '500'],
        error: /--max-concurrency must be an integer from 1 to 200/,
      },
      { argv: ['deploy', '--model-data', 's3://b/m.tar.gz', '--max-concurrency', '5'], error: /--max-concurrency needs --serverless-memory/ },
      { argv: ['deploy-multi-model', '--model-data-prefix', 's3://b/models'], error: /takes an S3 prefix ending in "\/"/ },
    ];
    for (const { argv, error } of cases) {
      const c = client();
      assert.equal(await runCli(argv, c.deps), 2, argv.join(' '));
      assert.match(c.err(), error);
      assert.deepEqual(sentCommands(c.sm), [], `${argv.join(' ')}: nothing sent`);
    }
  });
});
