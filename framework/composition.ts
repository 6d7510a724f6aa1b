/**
 * The composition root: every framework service and algorithm plugin is bound here, in one
 * inversify container, and each command resolves the one object it runs (the training runner, the
 * inference worker, the file imputer, the registry). Nothing is taken out of the container to be
 * passed on by hand.
 */
import 'reflect-metadata';
import { realpathSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Container, type ResolutionContext } from 'inversify';
import type { AnyAlgorithm, Logger, MetricEmitter } from './contract/algorithm.js';
import { TOKENS, isAlgorithmFactory, type AlgorithmClass, type AlgorithmProvider } from './contract/services.js';
import { AlgorithmRegistry } from './algorithms/registry.js';
import { CodecRegistry } from './codecs/index.js';
import { PresenterCatalog } from './invocation/presenters.js';
import { InvocationPipeline } from './invocation/pipeline.js';
import type { SageMakerPaths } from './ml-root/paths.js';
import { ModelHost } from './model/host.js';
import type { FrameworkConfig } from './runtime/config.js';
import { PACKAGE_ROOT } from './runtime/package-root.js';
import { FileImputer } from './batch/file-imputer.js';
import { InferenceWorker } from './serving/worker.js';
import { StdoutMetricEmitter } from './training/metrics.js';
import { TrainingRunner } from './training/runner.js';

export interface CompositionOptions {
  config: FrameworkConfig;
  logger: Logger;
  algorithms: readonly AlgorithmProvider[];
  /** The SageMaker folder layout, for commands that have one (train). */
  paths?: SageMakerPaths;
  /** The model folder, for commands that host a model (serve, impute). */
  modelDir?: string;
  /** Where METRIC lines go (default stdout). */
  metricLine?: (line: string) => void;
}

/** Binds one plugin under the multi-injection token: an instance, a class or a marked factory. */
export function bindAlgorithm(container: Container, provider: AlgorithmProvider): void {
  const binding = container.bind<AnyAlgorithm>(TOKENS.Algorithm);
  if (isAlgorithmFactory(provider)) {
    binding.toDynamicValue((context: ResolutionContext) => provider({ get: <T>(token: symbol) => context.get<T>(token) })).inSingletonScope();
  } else if (typeof provider === 'function') {
    // A class: inversify builds it, injecting what its constructor asks for (@inject(TOKENS.…)).
    binding.to(provider as AlgorithmClass).inSingletonScope();
  } else {
    binding.toConstantValue(provider);
  }
}

export function createFrameworkContainer(options: CompositionOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.Config).toConstantValue(options.config);
  container.bind(TOKENS.Logger).toConstantValue(options.logger);
  if (options.paths) container.bind(TOKENS.Paths).toConstantValue(options.paths);
  if (options.modelDir !== undefined) container.bind(TOKENS.ModelDir).toConstantValue(options.modelDir);
  container.bind(TOKENS.Codecs).toDynamicValue(() => new CodecRegistry());
  container.bind(TOKENS.Presenters).toDynamicValue(() => new PresenterCatalog());
  container.bind<MetricEmitter>(TOKENS.Metrics).toDynamicValue((c) => new StdoutMetricEmitter(c.get<Logger>(TOKENS.Logger), options.metricLine));
  for (const provider of options.algorithms) bindAlgorithm(container, provider);
  container.bind(TOKENS.AlgorithmRegistry).toDynamicValue((c) => new AlgorithmRegistry(c.getAll<AnyAlgorithm>(TOKENS.Algorithm, { optional: true })));
  container
    .bind(TOKENS.ModelHost)
    .toDynamicValue((c) => new ModelHost(c.get<string>(TOKENS.ModelDir), c.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry), c.get<Logger>(TOKENS.Logger)));
  container.bind(TOKENS.InvocationPipeline).to(InvocationPipeline);
  // What the commands run.
  container.bind(TrainingRunner).toSelf();
  container.bind(InferenceWorker).toSelf();
  container.bind(FileImputer).toSelf();
  return container;
}

/**
 * An npm package name (npm's rules for new names: lower case, URL-safe characters, not starting
 * with `.` or `_`, at most 214 characters, optionally `@scope/`), optionally followed by a subpath
 * of the package (`name/dist/plugin.js`) whose segments are not `.` or `..`.
 */
const NPM_SPECIFIER = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~-]+)*$/;
const MAX_NPM_NAME = 214;

const ACCEPTED_PLUGINS = `an npm package name, optionally with a subpath ("byoc-plugin", "@acme/byoc-plugin", "@acme/byoc-plugin/dist/plugin.js"), or an absolute path inside the application folder ${PACKAGE_ROOT}; URLs (data:, file:, http:), relative paths and Node's built-in modules are refused`;

/**
 * What `import()` is given for one `plugins:` entry, or an error naming it and what is accepted.
 * Only configuration (`config/*.yaml`, `BYOC_CONFIG`, `BYOC_PLUGINS`) lists plugins: nothing a
 * training job or a request sends reaches this.
 */
export function resolvePluginSpecifier(specifier: string): string {
  const refuse = (why: string): Error => new Error(`plugin "${specifier}" (config plugins:) is refused: ${why}; accepted: ${ACCEPTED_PLUGINS}`);
  if (path.isAbsolute(specifier)) {
    let real = path.resolve(specifier);
    try {
      real = realpathSync(real); // a symbolic link inside the folder may point out of it
    } catch {
      // Missing: import() reports that, with the path.
    }
    const relative = path.relative(PACKAGE_ROOT, real);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) throw refuse('the path is outside the application folder');
    return pathToFileURL(real).href;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(specifier)) throw refuse('URLs are not accepted');
  if (specifier.startsWith('.')) throw refuse('relative paths are not accepted (give an absolute path)');
  const packageName = specifier.startsWith('@') ? specifier.split('/', 2).join('/') : specifier.split('/', 1)[0]!;
  if (packageName.length > MAX_NPM_NAME || !NPM_SPECIFIER.test(specifier)) throw refuse('it is not a valid npm package name');
  if (isBuiltin(packageName)) throw refuse(`"${packageName}" is a Node built-in module`);
  return specifier;
}

/**
 * Loads the plugins listed under `plugins:` (npm packages, or modules inside the application
 * folder); each default-exports an algorithm provider.
 */
export async function loadPluginAlgorithms(packages: readonly string[]): Promise<AlgorithmProvider[]> {
  const out: AlgorithmProvider[] = [];
  for (const name of packages) {
    const specifier = resolvePluginSpecifier(name);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`plugin package "${name}" (config plugins:) could not be loaded: ${(error as Error).message}`);
    }
    const provider = (mod.default ?? mod.algorithm) as AlgorithmProvider | undefined;
    if (!provider || (typeof provider !== 'function' && typeof provider !== 'object')) {
      throw new Error(`plugin package "${name}" must default-export an Algorithm, an Algorithm class or an algorithmFactory(...)`);
    }
    out.push(provider);
  }
  return out;
}
