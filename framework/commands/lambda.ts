/**
 * The inference API as an AWS Lambda handler: the same hono app and invocation pipeline as
 * `byoc serve`, answered through hono's Lambda adapter. Composed once per execution environment
 * (the cold start, begun when the handler is created, so during Lambda's init phase): config,
 * logger, plugins, the model (a folder in the image, or MODEL_TARBALL unpacked once to /tmp),
 * then every invocation reuses it. One process, one request at a time: workers=1, no inference
 * thread. Event shapes, limits and deployment: docs/lambda.md.
 */
import type { Writable } from 'node:stream';
import { handle, type LambdaContext } from 'hono/aws-lambda';
import type { Logger } from '../contract/algorithm.js';
import { TOKENS, type AlgorithmProvider } from '../contract/services.js';
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import type { InvocationPipeline } from '../invocation/pipeline.js';
import { ModelHost, type ModelState } from '../model/host.js';
import { locateModel } from '../model/model-location.js';
import { loadConfig } from '../runtime/config.js';
import { createApp, type AppDependencies } from '../serving/app.js';
import {
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  classifyEvent,
  errorResult,
  fitResponse,
  isContentTypeBinary,
  withRequestId,
  type EventKind,
  type LambdaResult,
} from '../serving/lambda-events.js';
import { createCommandContext } from './context.js';

export type { DirectInvocationEvent, LambdaResult } from '../serving/lambda-events.js';

export interface LambdaHandlerOptions {
  /** Configuration and model location variables (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the JSON log lines go (default: stdout, which CloudWatch collects). */
  logStream?: Writable;
  /** The response cap (default: Lambda's 6 MB); lower only in tests. */
  maxResponseBytes?: number;
}

/** The execution environment's composition: what every invocation reuses. */
export interface LambdaEnvironment {
  /** What the app was built with: a test builds another app from them to compare answers. */
  deps: AppDependencies;
  modelDir: string | undefined;
  /** The MODEL_TARBALL unpacked for this environment, if any. */
  unpackedFrom: string | undefined;
  /** Milliseconds from the handler's creation to a loaded (or failed) model. */
  coldStartMs: number;
}

export interface LambdaHandler {
  (event: unknown, context?: Partial<LambdaContext>): Promise<LambdaResult>;
  /** Settles when the cold start is over (rejects when the configuration is invalid). */
  readonly ready: Promise<LambdaEnvironment>;
  /** Archives unpacked by this handler: 0 or 1, however many invocations. */
  readonly unpacks: number;
}

/**
 * A model host that never loads: the model could not even be located (a missing or tampered
 * MODEL_TARBALL). /ping then answers 503 and /invocations 503, as for a model that fails to load.
 */
class UnavailableModelHost extends ModelHost {
  private readonly failure: ModelState;
  constructor(reason: string, registry: AlgorithmRegistry, logger: Logger) {
    super('', registry, logger);
    this.failure = { status: 'failed', reason };
  }
  override get state(): ModelState {
    return this.failure;
  }
  override load(): Promise<ModelState> {
    return Promise.resolve(this.failure);
  }
}

/** The variable that names the model, and its value: MODEL_TARBALL first, then the model folder. */
function modelSource(env: NodeJS.ProcessEnv): { variable: string; value: string } {
  for (const variable of ['MODEL_TARBALL', 'BYOC_MODEL_DIR', 'SM_MODEL_DIR']) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  return { variable: 'the default model folder', value: '/opt/ml/model' };
}

export function createLambdaHandler(algorithms: readonly AlgorithmProvider[], options: LambdaHandlerOptions = {}): LambdaHandler {
  const started = performance.now();
  let unpacks = 0;
  const compose = async (): Promise<LambdaEnvironment & { logger: Logger & { flush(): void }; answer: ReturnType<typeof handle> }> => {
    const env = options.env ?? process.env;
    const loaded = loadConfig({ env });
    // Lambda is never a terminal: `auto` means JSON lines on stdout for CloudWatch.
    const config = loaded.logging.format === 'auto' ? { ...loaded, logging: { ...loaded.logging, format: 'json' as const } } : loaded;
    const { logger, container } = await createCommandContext(algorithms, 'lambda', {
      validated: config,
      ...(options.logStream ? { logStream: options.logStream } : {}),
    });
    const source = modelSource(env);
    let model: ModelHost;
    let modelDir: string | undefined;
    let unpackedFrom: string | undefined;
    try {
      const location = await locateModel(source.value);
      modelDir = location.dir;
      unpackedFrom = location.unpackedFrom;
      if (unpackedFrom) {
        unpacks += 1;
        logger.info('model unpacked from MODEL_TARBALL', { archive: unpackedFrom, modelDir });
      }
      container.bind(TOKENS.ModelDir).toConstantValue(modelDir);
      model = container.get<ModelHost>(TOKENS.ModelHost);
    } catch (error) {
      // locateModel speaks of the CLI's --model flag: name the variable instead.
      const reason = (error as Error).message.replace(/^--model /, `${source.variable}=`);
      logger.error('model could not be located: /ping answers 503', { reason });
      model = new UnavailableModelHost(reason, container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry), logger);
    }
    const state = await model.load();
    const deps: AppDependencies = { config, logger, model, pipeline: container.get<InvocationPipeline>(TOKENS.InvocationPipeline), workers: 1 };
    const answer = handle(createApp(deps), { isContentTypeBinary });
    const coldStartMs = Math.round(performance.now() - started);
    logger.info('lambda handler ready', { coldStartMs, model: state.status, modelDir, ...(unpackedFrom ? { unpackedFrom } : {}) });
    return { deps, modelDir, unpackedFrom, coldStartMs, logger, answer };
  };

  const composed = compose();
  const ready = composed.then(({ deps, modelDir, unpackedFrom, coldStartMs }) => ({ deps, modelDir, unpackedFrom, coldStartMs }));
  // Kept for the invocations; marked handled so that a failed start does not end the process
  // before the first invocation can report it.
  composed.catch(() => undefined);
  ready.catch(() => undefined);
  const maxResponse = options.maxResponseBytes ?? LAMBDA_PAYLOAD_LIMIT_BYTES;
  let anonymous = 0;

  const handler = async (event: unknown, context?: Partial<LambdaContext>): Promise<LambdaResult> => {
    let environment: Awaited<typeof composed>;
    try {
      environment = await composed;
    } catch (error) {
      // An invalid configuration: a deployment error, reported as the function's error (and logged).
      (options.logStream ?? process.stdout).write(
        `${JSON.stringify({ level: 'error', role: 'lambda', msg: 'lambda handler cannot start', reason: (error as Error).message })}\n`,
      );
      throw error;
    }
    const { logger, answer } = environment;
    const requestId = context?.awsRequestId ?? `lambda-${(++anonymous).toString(36)}`;
    const classified = classifyEvent(event);
    let result: LambdaResult;
    if (classified.kind === 'malformed') {
      logger.warn('malformed lambda event: answered 400', { reason: classified.reason, requestId });
      result = errorResult(400, `malformed event: ${classified.reason}`, requestId);
    } else {
      logger.debug('lambda event', { kind: classified.kind satisfies EventKind, requestId });
      result = fitResponse(await answer(withRequestId(classified.event, context?.awsRequestId), context as LambdaContext), maxResponse, requestId);
    }
    // Lambda freezes the process once the handler returns: write the log lines now.
    logger.flush();
    return result;
  };
  return Object.defineProperties(handler, {
    ready: { value: ready },
    unpacks: { get: () => unpacks },
  }) as LambdaHandler;
}
