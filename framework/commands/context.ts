/** Shared set-up of CLI commands: configuration, logger, plugins, and the composition root's container. */
import type { Writable } from 'node:stream';
import type { Container } from 'inversify';
import { createFrameworkContainer, loadPluginAlgorithms } from '../composition.js';
import type { AlgorithmProvider } from '../contract/services.js';
import type { SageMakerPaths } from '../ml-root/paths.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { JsonLogger } from '../runtime/logger.js';

export interface CommandContext {
  config: FrameworkConfig;
  logger: JsonLogger;
  container: Container;
}

export interface CommandSetup {
  paths?: SageMakerPaths;
  modelDir?: string;
  /** An already validated configuration (a serving worker's, from its primary); else it is loaded. */
  validated?: FrameworkConfig;
  /** Where log lines go (default stdout); `byoc impute` keeps stdout for its CSV. */
  logStream?: Writable;
}

export async function createCommandContext(builtIn: readonly AlgorithmProvider[], role: string, setup: CommandSetup = {}): Promise<CommandContext> {
  const config = setup.validated ?? (await import('../runtime/config.js')).loadConfig();
  const logger = JsonLogger.create(config.logging.level, { role }, setup.logStream);
  const plugins = await loadPluginAlgorithms(config.plugins);
  const container = createFrameworkContainer({ config, logger, paths: setup.paths, modelDir: setup.modelDir, algorithms: [...builtIn, ...plugins] });
  return { config, logger, container };
}
