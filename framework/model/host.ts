/**
 * Holds the loaded model of a process (a serving worker, `byoc impute`): reads the manifest, picks
 * the algorithm named there (never from hyperparameters) and asks it for a Predictor. The state
 * drives /ping: loading, ready, failed.
 */
import type { AnyAlgorithm, Logger, Predictor } from '../contract/algorithm.js';
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import { readManifest, type ModelManifest } from './manifest.js';
import { DirectoryArtifactStore } from '../storage/artifact-store.js';

/** A model ready to answer: what the invocation pipeline needs of it. */
export interface LoadedModel {
  manifest: ModelManifest;
  algorithm: AnyAlgorithm;
  predictor: Predictor;
}

export type ModelState = { status: 'loading' } | ({ status: 'ready'; loadMs: number } & LoadedModel) | { status: 'failed'; reason: string };

export class ModelHost {
  private current: ModelState = { status: 'loading' };
  private loading: Promise<ModelState> | undefined;

  constructor(
    private readonly modelDir: string,
    private readonly registry: AlgorithmRegistry,
    private readonly logger: Logger,
  ) {}

  get state(): ModelState {
    return this.current;
  }

  /** Loads once; failures are kept as state (the server stays up and answers 503), never thrown. */
  load(): Promise<ModelState> {
    this.loading ??= this.loadOnce();
    return this.loading;
  }

  /** Settles when the load has finished (ready or failed). */
  settled(): Promise<ModelState> {
    return this.load();
  }

  private async loadOnce(): Promise<ModelState> {
    try {
      this.current = { status: 'ready', ...(await loadModel(this.modelDir, this.registry, this.logger)) };
    } catch (error) {
      const reason = (error as Error).message || String(error);
      this.current = { status: 'failed', reason };
      this.logger.error('model could not be loaded: /ping answers 503', { reason, modelDir: this.modelDir });
    }
    return this.current;
  }

  async dispose(): Promise<void> {
    if (this.current.status === 'ready') await this.current.predictor.dispose?.();
  }
}

/**
 * Loads the model in `modelDir` by the algorithm its manifest names (a multi-model endpoint loads
 * each of its models so). Throws what is wrong: no manifest, an unknown algorithm, a corrupt model.
 */
export async function loadModel(modelDir: string, registry: AlgorithmRegistry, logger: Logger): Promise<LoadedModel & { loadMs: number }> {
  const started = performance.now();
  const store = new DirectoryArtifactStore(modelDir);
  const manifest = await readManifest(store, modelDir);
  const algorithm = registry.get(manifest.algorithm.name, `named by the model manifest in ${modelDir}`);
  if (algorithm.version !== manifest.algorithm.version) {
    logger.warn('model was trained by another version of its algorithm', {
      algorithm: algorithm.name,
      trainedWith: manifest.algorithm.version,
      serving: algorithm.version,
    });
  }
  const predictor = await algorithm.load({ model: store, inputSchema: manifest.inputSchema, logger });
  const loadMs = Math.round(performance.now() - started);
  logger.info('model loaded', { algorithm: algorithm.name, version: algorithm.version, loadMs });
  return { manifest, algorithm, predictor, loadMs };
}
