/** `byoc serve`: the inference server (cluster primary + workers) for the model under --ml-root. */
import type { AlgorithmProvider } from '../di.js';
import { TOKENS } from '../di.js';
import type { CodecRegistry } from '../codecs/index.js';
import { resolveWorkerCount } from '../runtime/config.js';
import { resolvePaths } from '../sagemaker/paths.js';
import { isPrimary, isReplacementWorker, onWorkerShutdown, reportModelState, runPrimary } from '../serving/cluster.js';
import { startWorker } from '../serving/worker.js';
import { createCommandContext } from './context.js';

export interface ServeFlags {
  mlRoot: string;
  port?: number;
  workers?: number;
}

export async function serveCommand(builtIn: readonly AlgorithmProvider[], flags: ServeFlags): Promise<void> {
  // Flags win over config and environment; passed through the environment so forked workers see them.
  if (flags.port !== undefined) process.env.SAGEMAKER_BIND_TO_PORT = String(flags.port);
  if (flags.workers !== undefined) process.env.SAGEMAKER_MODEL_SERVER_WORKERS = String(flags.workers);
  const paths = resolvePaths(flags.mlRoot);
  const context = await createCommandContext(builtIn, isPrimary() ? 'primary' : 'worker', paths);
  const { config, logger } = context;
  const workers = resolveWorkerCount(config);

  if (isPrimary()) {
    logger.info('starting server', {
      port: config.server.port,
      workers,
      modelDir: paths.modelDir,
      timeoutSeconds: config.server.timeoutSeconds,
      batch: config.batch.enabled,
      algorithms: context.registry.names(),
    });
    runPrimary({
      workers,
      logger,
      shutdownGraceSeconds: config.server.shutdownGraceSeconds,
      onExit: (code) => {
        logger.flush();
        process.exit(code);
      },
    });
    return;
  }

  const worker = await startWorker({
    config,
    logger,
    registry: context.registry,
    codecs: context.container.get<CodecRegistry>(TOKENS.Codecs),
    modelDir: paths.modelDir,
    workers,
    loadBeforeListening: isReplacementWorker(),
    onDrained: () => {
      logger.flush();
      process.exit(0);
    },
  });
  onWorkerShutdown(() => void worker.shutdown());
  void worker.loaded.then((state) =>
    reportModelState(
      state.status === 'ready'
        ? { type: 'model', status: 'ready', loadMs: state.loadMs }
        : { type: 'model', status: 'failed', reason: state.status === 'failed' ? state.reason : 'unknown' },
    ),
  );
}
