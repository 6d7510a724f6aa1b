/**
 * Dependency injection: framework services and algorithm plugins live in one inversify container.
 * Algorithms are bound under the multi-injection token `ALGORITHM`; adding one is one binding.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import type { Algorithm, Logger, MetricEmitter } from './contract/algorithm.js';
import { CodecRegistry } from './codecs/index.js';
import type { FrameworkConfig } from './runtime/config.js';
import { AlgorithmRegistry } from './algorithms/registry.js';
import type { SageMakerPaths } from './sagemaker/paths.js';
import { StdoutMetricEmitter } from './training/metrics.js';

export const TOKENS = {
  Config: Symbol.for('byoc.Config'),
  Logger: Symbol.for('byoc.Logger'),
  Paths: Symbol.for('byoc.Paths'),
  Codecs: Symbol.for('byoc.Codecs'),
  Metrics: Symbol.for('byoc.Metrics'),
  Algorithm: Symbol.for('byoc.Algorithm'),
  AlgorithmRegistry: Symbol.for('byoc.AlgorithmRegistry'),
} as const;

/** What a registration line may give: an instance, a class with a no-arg constructor, or a factory. */
export type AlgorithmProvider = Algorithm | (new () => Algorithm) | (() => Algorithm);

function instantiate(provider: AlgorithmProvider): Algorithm {
  if (typeof provider !== 'function') return provider;
  // Classes cannot be called without `new`; plain factories have no prototype `train`.
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(provider));
  return isClass ? new (provider as new () => Algorithm)() : (provider as () => Algorithm)();
}

export function bindAlgorithm(container: Container, provider: AlgorithmProvider): void {
  container
    .bind<Algorithm>(TOKENS.Algorithm)
    .toDynamicValue(() => instantiate(provider))
    .inSingletonScope();
}

export interface FrameworkServices {
  config: FrameworkConfig;
  logger: Logger;
  paths?: SageMakerPaths;
  algorithms: readonly AlgorithmProvider[];
}

export function createFrameworkContainer(services: FrameworkServices): Container {
  const container = new Container();
  container.bind(TOKENS.Config).toConstantValue(services.config);
  container.bind(TOKENS.Logger).toConstantValue(services.logger);
  if (services.paths) container.bind(TOKENS.Paths).toConstantValue(services.paths);
  container.bind(TOKENS.Codecs).toConstantValue(new CodecRegistry());
  container
    .bind<MetricEmitter>(TOKENS.Metrics)
    .toDynamicValue((ctx) => new StdoutMetricEmitter(ctx.get<Logger>(TOKENS.Logger)))
    .inSingletonScope();
  for (const provider of services.algorithms) bindAlgorithm(container, provider);
  container
    .bind(TOKENS.AlgorithmRegistry)
    .toDynamicValue((ctx) => new AlgorithmRegistry(ctx.getAll<Algorithm>(TOKENS.Algorithm, { optional: true })))
    .inSingletonScope();
  return container;
}

/** Loads the npm packages listed under `plugins:`; each default-exports an algorithm provider. */
export async function loadPluginAlgorithms(packages: readonly string[]): Promise<AlgorithmProvider[]> {
  const out: AlgorithmProvider[] = [];
  for (const name of packages) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(name)) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`plugin package "${name}" (config plugins:) could not be loaded: ${(error as Error).message}`);
    }
    const provider = (mod.default ?? mod.algorithm) as AlgorithmProvider | undefined;
    if (!provider || (typeof provider !== 'function' && typeof provider !== 'object')) {
      throw new Error(`plugin package "${name}" must default-export an Algorithm, an Algorithm class or a factory`);
    }
    out.push(provider);
  }
  return out;
}
