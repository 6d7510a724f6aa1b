/**
 * The framework's public API (the package's main export). Plugin packages import the contract
 * types, errors and service tokens from here; the container entry point uses `runCli`.
 */
export * from './contract/index.js';
export { runCli, createCli } from './cli.js';
export { bindAlgorithm, createFrameworkContainer, loadPluginAlgorithms, type CompositionOptions } from './composition.js';
export { AlgorithmRegistry } from './algorithms/registry.js';
export { CodecRegistry, type Codec, type BatchShape } from './codecs/index.js';
export { columnsPresenter, fillPresenter, PresenterCatalog } from './invocation/presenters.js';
export { InvocationPipeline, type InvocationRequest, type InvocationResult, type PreparedInvocation } from './invocation/pipeline.js';
export { parseHyperparameters, parseAttributes, describeParameter } from './parameters/parse.js';
export { formatMetricLine } from './training/metrics.js';
export { DirectoryArtifactStore, MemoryArtifactStore } from './storage/artifact-store.js';
export { readManifest, type ModelManifest } from './model/manifest.js';
