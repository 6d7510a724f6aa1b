/**
 * Deploying a model that exists already: one model.tar.gz on instances or on serverless
 * inference (`deploy`), or every model under an S3 prefix on a multi-model endpoint
 * (`deploy-multi-model`).
 */
import { isS3Uri } from './s3.js';
import { uniqueName } from './naming.js';
import { DEFAULT_WAIT, createEndpoint, createModel, waitFor, type Deps, type EndpointSpec } from './workflows.js';

/** SageMaker Serverless Inference's bounds. */
export const SERVERLESS_MEMORY_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;
export const MAX_SERVERLESS_CONCURRENCY = 200;

export interface DeployOptions {
  baseName: string;
  image: string;
  role: string;
  /** s3://.../model.tar.gz; for a multi-model endpoint, the prefix (ending in `/`) its models are under. */
  modelData: string;
  multiModel?: boolean;
  instanceType: string;
  instanceCount: number;
  serverless?: EndpointSpec['serverless'];
  environment?: Record<string, string>;
  tags?: Record<string, string>;
  noWait?: boolean;
  waits?: Partial<typeof DEFAULT_WAIT>;
}

/** What is wrong with the options, if anything (checked before anything is created). */
export function deployProblem(o: Pick<DeployOptions, 'modelData' | 'multiModel' | 'serverless'>): string | undefined {
  if (!isS3Uri(o.modelData)) return `model data "${o.modelData}" must be an s3:// URI`;
  if (o.multiModel && !o.modelData.endsWith('/')) return `a multi-model endpoint takes an S3 prefix ending in "/" (got ${o.modelData})`;
  if (o.multiModel && o.serverless) return 'serverless inference does not host multi-model endpoints';
  if (o.serverless) {
    if (!(SERVERLESS_MEMORY_MB as readonly number[]).includes(o.serverless.memoryMb))
      return `--serverless-memory must be one of ${SERVERLESS_MEMORY_MB.join(', ')} MB`;
    const c = o.serverless.maxConcurrency;
    if (!Number.isInteger(c) || c < 1 || c > MAX_SERVERLESS_CONCURRENCY) return `--max-concurrency must be an integer from 1 to ${MAX_SERVERLESS_CONCURRENCY}`;
  }
  return undefined;
}

export interface DeployResult {
  modelName: string;
  endpointConfigName: string;
  endpointName: string;
}

export async function deploy(deps: Deps, o: DeployOptions): Promise<DeployResult> {
  const problem = deployProblem(o);
  if (problem) throw new Error(problem);
  const name = uniqueName(o.baseName, new Date(deps.clock.now()));
  // the container's own switch, in case the endpoint does not set it
  const environment = o.multiModel ? { SAGEMAKER_MULTI_MODEL: 'true', ...o.environment } : o.environment;
  await createModel(deps, {
    modelName: name,
    image: o.image,
    modelDataUrl: o.modelData,
    role: o.role,
    ...(o.multiModel ? { mode: 'MultiModel' as const } : {}),
    ...(environment ? { environment } : {}),
    ...(o.tags ? { tags: o.tags } : {}),
  });
  await createEndpoint(deps, {
    endpointName: name,
    endpointConfigName: name,
    modelName: name,
    instanceType: o.instanceType,
    instanceCount: o.instanceCount,
    ...(o.serverless ? { serverless: o.serverless } : {}),
    ...(o.tags ? { tags: o.tags } : {}),
  });
  if (!o.noWait) {
    await waitFor(deps, 'endpoint', name, { ...DEFAULT_WAIT.endpoint, ...o.waits?.endpoint });
    deps.io.result(`endpoint ${name} is InService`);
  }
  return { modelName: name, endpointConfigName: name, endpointName: name };
}
