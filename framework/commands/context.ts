/** Shared set-up of CLI commands: configuration, logger and the DI container with every algorithm. */
import type { Container } from 'inversify';
import { TOKENS, createFrameworkContainer, loadPluginAlgorithms, type AlgorithmProvider } from '../di.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { JsonLogger } from '../runtime/logger.js';
import type { SageMakerPaths } from '../sagemaker/paths.js';
import type { AlgorithmRegistry } from '../algorithms/registry.js';

export interface CommandContext {
  config: FrameworkConfig;
  logger: JsonLogger;
  container: Container;
  registry: AlgorithmRegistry;
}

export async function createCommandContext(
  builtIn: readonly AlgorithmProvider[],
  role: string,
  paths?: SageMakerPaths,
  /** An already validated configuration (a serving worker's, from its primary); else it is loaded. */
  validated?: FrameworkConfig,
): Promise<CommandContext> {
  const config = validated ?? (await import('../runtime/config.js')).loadConfig();
  const logger = JsonLogger.create(config.logging.level, { role });
  const plugins = await loadPluginAlgorithms(config.plugins);
  const container = createFrameworkContainer({ config, logger, paths, algorithms: [...builtIn, ...plugins] });
  return { config, logger, container, registry: container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry) };
}
