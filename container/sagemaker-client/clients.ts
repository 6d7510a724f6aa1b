/**
 * The three AWS SDK v3 clients the SageMaker client uses. Every workflow receives them as an
 * argument (never constructs them itself), so tests pass clients whose `send` is faked
 * in-process (aws-sdk-client-mock) and no request leaves the machine.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

export interface AwsClients {
  s3: S3Client;
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
}

/**
 * Real clients for one region. Credentials come from the SDK's default chain (environment,
 * shared config/SSO profile, instance or container role); nothing is read here.
 */
export function createAwsClients(region: string): AwsClients {
  return {
    s3: new S3Client({ region }),
    sagemaker: new SageMakerClient({ region }),
    runtime: new SageMakerRuntimeClient({ region }),
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.s3.destroy();
  clients.sagemaker.destroy();
  clients.runtime.destroy();
}
