/** Shared set-up of CLI commands: configuration, logger, plugins, and the composition root's container. */
import type { Writable } from 'node:stream';
import type { Container } from 'inversify';
import { createFrameworkContainer, loadPluginAlgorithms } from '../composition.js';
import type { AlgorithmProvider } from '../contract/services.js';
import type { SageMakerPaths } from '../ml-root/paths.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { JsonLogger, resolveLogFormat, type LogFormat } from '../runtime/logger.js';
import type { TerminalLines } from '../runtime/terminal-progress.js';

export interface CommandContext {
  config: FrameworkConfig;
  logger: JsonLogger;
  container: Container;
  /** How the logger writes (json or text), the configured `auto` resolved. */
  format: LogFormat;
}

export interface CommandSetup {
  paths?: SageMakerPaths;
  modelDir?: string;
  /** An already validated configuration (a serving worker's, from its primary); else it is loaded. */
  validated?: FrameworkConfig;
  /** Where JSON log lines go (default stdout); `byoc impute` keeps stdout for its CSV. */
  logStream?: Writable;
  /** Where text log lines go (default stderr): `byoc train`'s progress display, which keeps them above its bars. */
  lines?: TerminalLines;
  /** With text logs: METRIC lines as debug log lines rather than on stdout (a terminal that shows the progress display instead). */
  metricsAsDebugLines?: boolean;
}

export async function createCommandContext(builtIn: readonly AlgorithmProvider[], role: string, setup: CommandSetup = {}): Promise<CommandContext> {
  const config = setup.validated ?? (await import('../runtime/config.js')).loadConfig();
  const format = resolveLogFormat(config.logging.format);
  const logger = JsonLogger.create(
    config.logging.level,
    { role },
    { format, ...(setup.logStream ? { out: setup.logStream } : {}), ...(setup.lines ? { lines: setup.lines } : {}) },
  );
  const plugins = await loadPluginAlgorithms(config.plugins);
  const metricLine = setup.metricsAsDebugLines && format === 'text' ? (line: string) => logger.debug(line.trimEnd()) : undefined;
  const container = createFrameworkContainer({
    config,
    logger,
    paths: setup.paths,
    modelDir: setup.modelDir,
    algorithms: [...builtIn, ...plugins],
    ...(metricLine ? { metricLine } : {}),
  });
  return { config, logger, container, format };
}
