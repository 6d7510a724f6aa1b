/**
 * One inference worker: listens (the cluster primary shares the port), loads the model in the
 * background so that /ping can say 503 while loading, and drains in-flight requests on SIGTERM.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import { inject, injectable } from 'inversify';
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import type { Logger } from '../contract/algorithm.js';
import { TOKENS } from '../contract/services.js';
import type { InvocationPipeline } from '../invocation/pipeline.js';
import { loadModel, type ModelHost, type ModelState } from '../model/host.js';
import { ModelCatalog } from '../model/model-catalog.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { multiModelBudgetBytes } from '../runtime/server-settings.js';
import { createApp, type AppDependencies } from './app.js';
import { ClusterModelRegistry, SINGLE_PROCESS_REGISTRY } from './model-registry.js';
import { InferenceThread } from './inference-thread.js';
import type { InferenceThreadData } from './thread-protocol.js';

export interface WorkerOptions {
  /** Number of workers, for /execution-parameters. */
  workers: number;
  /** Called when the worker has drained and may exit. */
  onDrained: () => void;
  /**
   * The script an inference thread runs (the process's entry point, which hands over to the thread
   * loop when it sees its workerData). None: every request is answered on the HTTP thread.
   */
  threadEntry?: string | URL;
}

export interface RunningWorker {
  server: Server;
  model: ModelHost;
  /** How the model load ended (ready or failed): the worker listens only after it. A multi-model endpoint loads none at start. */
  loaded: ModelState | { status: 'multi-model' };
  port: number;
  shutdown(): Promise<void>;
}

@injectable()
export class InferenceWorker {
  constructor(
    @inject(TOKENS.Config) private readonly config: FrameworkConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.ModelHost) private readonly model: ModelHost,
    @inject(TOKENS.InvocationPipeline) private readonly pipeline: InvocationPipeline,
    @inject(TOKENS.ModelDir) private readonly modelDir: string,
    @inject(TOKENS.AlgorithmRegistry) private readonly registry: AlgorithmRegistry,
  ) {}

  start(options: WorkerOptions): Promise<RunningWorker> {
    if (this.config.server.multiModel)
      return startWorker(this.config, this.logger, this.model, this.pipeline, options, undefined, this.catalog(options.workers));
    return startWorker(this.config, this.logger, this.model, this.pipeline, options, this.inferenceThread(options.threadEntry));
  }

  /** A multi-model endpoint's models in this worker; no inference thread (it would hold a copy of each). */
  private catalog(workers: number): ModelCatalog {
    return new ModelCatalog({
      load: (dir) => loadModel(dir, this.registry, this.logger),
      budgetBytes: multiModelBudgetBytes(this.config, workers),
      logger: this.logger,
    });
  }

  private inferenceThread(entry: string | URL | undefined): InferenceThread | undefined {
    if (!entry || !this.config.server.inferenceThread) return undefined;
    const workerData: InferenceThreadData = { byocRole: 'inference-thread', config: this.config, modelDir: this.modelDir };
    return new InferenceThread({
      spawn: () => new Worker(entry, { workerData }),
      logger: this.logger,
      minBytes: this.config.server.inferenceThreadMinKb * 1024,
    });
  }
}

async function startWorker(
  config: FrameworkConfig,
  logger: Logger,
  model: ModelHost,
  pipeline: InvocationPipeline,
  options: WorkerOptions,
  thread: InferenceThread | undefined,
  catalog?: ModelCatalog,
): Promise<RunningWorker> {
  let inflight = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  let models: AppDependencies['models'];
  if (catalog) {
    // a worker of a cluster shares its models' names through the primary; one alone is the endpoint
    const registry = process.send ? new ClusterModelRegistry(catalog) : SINGLE_PROCESS_REGISTRY;
    if (registry instanceof ClusterModelRegistry) await registry.join();
    models = { catalog, registry };
  }
  const app = createApp({
    config,
    logger,
    model,
    pipeline,
    workers: options.workers,
    thread,
    ...(models ? { models } : {}),
    inflight: {
      begin: () => {
        inflight += 1;
      },
      end: () => {
        inflight -= 1;
        if (draining && inflight === 0) drained?.();
      },
    },
  });
  // connectionsCheckingInterval: Node enforces headersTimeout/requestTimeout only on this tick (30 s by default).
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: { connectionsCheckingInterval: 1000 } }) as Server;
  // A client that trickles its headers or body must not hold a connection past the request timeout.
  server.requestTimeout = config.server.timeoutSeconds * 1000 + 1000;
  server.headersTimeout = Math.min(60_000, server.requestTimeout);
  server.keepAliveTimeout = config.server.keepAliveSeconds * 1000;
  // cluster balances connections, not requests: make long-lived keep-alive clients reconnect now and
  // then so that a replaced worker gets its share again.
  server.maxRequestsPerSocket = 1000;

  // Every worker loads the model before it listens: the cluster hands connections only to workers
  // that listen, so once one worker's /ping has said 200 no connection reaches a worker that would
  // answer 503 "loading" (SageMaker routes traffic from the first 200 on). A model that fails to
  // load is served too: /ping then says 503 with the reason logged.
  const loaded: RunningWorker['loaded'] = catalog ? { status: 'multi-model' } : await model.load();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;

  const shutdown = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    logger.info('worker draining: no new connections, finishing in-flight requests', { inflight });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inflight > 0) await new Promise<void>((resolve) => (drained = resolve));
    // Keep-alive connections that became idle after their last response.
    server.closeIdleConnections();
    await closed;
    await thread?.close();
    await (catalog ? catalog.dispose() : model.dispose());
    options.onDrained();
  };
  return { server, model, loaded, port, shutdown };
}
