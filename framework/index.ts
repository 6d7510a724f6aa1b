/**
 * The framework's public API (the package's main export). Plugin packages import the contract
 * types and errors from here; the container entry point uses `runCli`.
 */
export * from './contract/index.js';
export { runCli, createCli } from './cli.js';
export { bindAlgorithm, createFrameworkContainer, TOKENS, type AlgorithmProvider } from './di.js';
export { AlgorithmRegistry } from './algorithms/registry.js';
export { CodecRegistry, type Codec, type BatchShape } from './codecs/index.js';
export { parseHyperparameters, describeHyperparameter } from './training/hyperparameters.js';
export { formatMetricLine } from './training/metrics.js';
export { DirectoryArtifactStore, MemoryArtifactStore } from './storage/artifact-store.js';
export { readManifest, type ModelManifest } from './model/manifest.js';
