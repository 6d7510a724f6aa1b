/** `byoc serve`: the inference server (cluster primary + workers) for the model under --ml-root. */
import { rmSync } from 'node:fs';
import type { AlgorithmProvider } from '../contract/services.js';
import { locateModel } from '../model/model-location.js';
import { requestConfig } from '../runtime/config-handoff.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { resolveWorkerCount } from '../runtime/server-settings.js';
import { resolvePaths } from '../ml-root/paths.js';
import { exitWorkerFatally, forkWorker, isPrimary, onWorkerShutdown, reportModelState, runPrimary } from '../serving/cluster.js';
import type { RunningWorker } from '../serving/worker.js';
import { multiModelBudgetBytes } from '../runtime/server-settings.js';

export interface ServeFlags {
  mlRoot: string;
  /** A model dir or model.tar.gz to serve instead of <ml-root>/model. */
  model?: string;
  port?: number;
  workers?: number;
}

export async function serveCommand(algorithms: () => Promise<readonly AlgorithmProvider[]>, flags: ServeFlags): Promise<void> {
  // Flags win over config and environment; passed through the environment so forked workers see them.
  if (flags.port !== undefined) process.env.SAGEMAKER_BIND_TO_PORT = String(flags.port);
  if (flags.workers !== undefined) process.env.SAGEMAKER_MODEL_SERVER_WORKERS = String(flags.workers);
  // The primary locates (or unpacks) the model once; forked workers find it in SM_MODEL_DIR.
  const model = isPrimary() && flags.model !== undefined ? await locateModel(flags.model) : undefined;
  if (model) process.env.SM_MODEL_DIR = model.dir;
  const paths = resolvePaths(flags.mlRoot);
  if (isPrimary()) {
    // The primary only forks and supervises: no algorithms, codecs or HTTP modules are loaded here.
    // Its first worker is forked before the configuration is read: a worker's start (Node, the HTTP
    // stack, the model) is most of a cold start, and the primary's reading and validating of the
    // configuration (~40 ms) now runs alongside it. Workers ask for the validated configuration.
    let provide!: (config: FrameworkConfig) => void;
    const first = forkWorker(new Promise<FrameworkConfig>((resolve) => (provide = resolve)));
    let config: FrameworkConfig;
    const [{ loadConfig }, { JsonLogger, resolveLogFormat }] = await Promise.all([import('../runtime/config.js'), import('../runtime/logger.js')]);
    try {
      config = loadConfig();
    } catch (error) {
      first.process.kill('SIGKILL'); // it has done nothing yet but start
      throw error;
    }
    if (config.server.multiModel && flags.model !== undefined) {
      first.process.kill('SIGKILL');
      throw new Error('serve --model serves one model; a multi-model endpoint (SAGEMAKER_MULTI_MODEL) loads its models through POST /models');
    }
    provide(config);
    const logger = JsonLogger.create(config.logging.level, { role: 'primary' }, { format: resolveLogFormat(config.logging.format) });
    const workers = resolveWorkerCount(config);
    logger.info('starting server', {
      port: config.server.port,
      workers,
      ...(config.server.multiModel
        ? { multiModel: true, modelMemoryMbPerWorker: Math.round(multiModelBudgetBytes(config, workers) / 1048576) }
        : { modelDir: paths.modelDir }),
      ...(model?.unpackedFrom ? { unpackedFrom: model.unpackedFrom } : {}),
      timeoutSeconds: config.server.timeoutSeconds,
      batch: config.batch.enabled,
    });
    runPrimary({
      workers,
      forked: [first],
      config,
      logger,
      shutdownGraceSeconds: config.server.shutdownGraceSeconds,
      onExit: (code) => {
        logger.flush();
        if (model?.unpackedFrom) rmSync(model.dir, { recursive: true, force: true });
        process.exit(code);
      },
    });
    return;
  }

  // Listen for shutdown before the slow start-up, so that a SIGTERM arriving meanwhile is not lost.
  let shutdownRequested = false;
  let worker: RunningWorker | undefined;
  onWorkerShutdown(() => {
    shutdownRequested = true;
    void worker?.shutdown();
  });
  const [validated, { createCommandContext }, { InferenceWorker }] = await Promise.all([
    requestConfig(),
    import('./context.js'),
    import('../serving/worker.js'),
  ]);
  const { config, logger, container } = await createCommandContext(await algorithms(), 'worker', { paths, modelDir: paths.modelDir, validated });
  try {
    worker = await container.get(InferenceWorker).start({
      workers: resolveWorkerCount(config),
      // The entry point this worker runs (cluster forks it too) also runs its inference thread.
      threadEntry: process.argv[1],
      onDrained: () => {
        logger.flush();
        process.exit(0);
      },
    });
  } catch (error) {
    const reason = listenFailure(error, config.server.host, config.server.port);
    logger.error('worker cannot serve', { reason });
    logger.flush();
    exitWorkerFatally(reason, () => process.exit(1));
    return;
  }
  if (shutdownRequested) void worker.shutdown();
  const state = worker.loaded;
  reportModelState(
    state.status === 'ready' || state.status === 'multi-model'
      ? { type: 'model', status: 'ready', loadMs: state.status === 'ready' ? state.loadMs : 0 }
      : { type: 'model', status: 'failed', reason: state.status === 'failed' ? state.reason : 'unknown' },
  );
}

/** A readable reason for a failed start, naming the address for the usual listen errors. */
function listenFailure(error: unknown, host: string, port: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return `port ${port} is already in use (${where}); stop the other server or set SAGEMAKER_BIND_TO_PORT / --port`;
  if (code === 'EACCES') return `not allowed to listen on ${where} (ports below 1024 need privileges)`;
  if (code === 'EADDRNOTAVAIL') return `address ${host} is not available on this machine (BYOC_HOST)`;
  return (error as Error).message;
}
