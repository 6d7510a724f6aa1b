/**
 * The models of a multi-model endpoint, in one process: registered by name, loaded when registered
 * here or on first use, unloaded least recently used first when their memory would pass the
 * budget (they stay registered, and load again when next invoked), and disposed once no request
 * uses them any more.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../contract/algorithm.js';
import type { LoadedModel } from './host.js';

/** What the endpoint answers when the catalog cannot do what was asked (the MME contract's statuses). */
export class ModelCatalogError extends Error {
  override readonly name = 'ModelCatalogError';
  constructor(
    readonly status: 400 | 404 | 409 | 507,
    message: string,
  ) {
    super(message);
  }
}

/** A loaded model lent to one request; `release()` when the answer is out. */
export interface ModelLease {
  model: LoadedModel;
  release(): void;
}

export interface CatalogOptions {
  /** Loads the model of a folder (framework/model/host.ts loadModel). */
  load: (dir: string) => Promise<LoadedModel>;
  /** What the loaded models of this process may take, in bytes. */
  budgetBytes: number;
  logger: Logger;
  /** The memory a model takes once loaded, estimated before loading it (default: modelFootprint). */
  footprint?: (dir: string) => Promise<number>;
}

interface Entry {
  readonly name: string;
  readonly url: string;
  /** The estimate charged against the budget while loaded or loading. */
  bytes: number;
  /** The folder's estimate, made once (a model unloaded to make room loads again from the same files). */
  estimate?: number;
  loaded?: LoadedModel;
  loading?: Promise<LoadedModel>;
  /** Leases out. */
  inUse: number;
  /** Order of last use (a counter: no clock reads per request). */
  lastUsed: number;
  removed: boolean;
}

/**
 * A loaded model takes about twice its files (weights are copied into typed arrays, JSON expands
 * into objects) plus a fixed part for the algorithm's structures: measured with datawig models
 * (`npm run bench:multi-model`, docs/hosting.md), a 4 MB network model takes 8.0 MB, a 0.08 MB
 * linear one 0.4 MB.
 */
export const FOOTPRINT_PER_FILE_BYTE = 2;
export const FOOTPRINT_BASE_BYTES = 512 * 1024;
/** Files counted at most, so that a huge or hostile folder cannot stall the estimate. */
const MAX_COUNTED_FILES = 10_000;

/** The memory estimate of a model folder: its files' bytes times FOOTPRINT_PER_FILE_BYTE, plus FOOTPRINT_BASE_BYTES. */
export async function modelFootprint(dir: string): Promise<number> {
  let bytes = 0;
  let files = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (++files > MAX_COUNTED_FILES) return;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) bytes += (await stat(full)).size;
    }
  };
  await walk(dir);
  return bytes * FOOTPRINT_PER_FILE_BYTE + FOOTPRINT_BASE_BYTES;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

export class ModelCatalog {
  private readonly entries = new Map<string, Entry>();
  private usedBytes = 0;
  private uses = 0;
  private readonly footprint: (dir: string) => Promise<number>;

  constructor(private readonly options: CatalogOptions) {
    this.footprint = options.footprint ?? modelFootprint;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Registered models, in the order they were registered. */
  list(): { name: string; url: string; loaded: boolean }[] {
    return [...this.entries.values()].map((e) => ({ name: e.name, url: e.url, loaded: e.loaded !== undefined }));
  }

  get(name: string): { name: string; url: string; loaded: boolean } | undefined {
    const e = this.entries.get(name);
    return e && { name: e.name, url: e.url, loaded: e.loaded !== undefined };
  }

  /** Bytes the loaded (and loading) models are charged, of `budgetBytes`. */
  get memory(): { usedBytes: number; budgetBytes: number; loaded: number } {
    return { usedBytes: this.usedBytes, budgetBytes: this.options.budgetBytes, loaded: [...this.entries.values()].filter((e) => e.loaded).length };
  }

  /**
   * Registers `name` for the model folder `url`; with `load`, loads it now (a failure unregisters
   * it again and throws: 400 for a folder that holds no usable model, 507 when it cannot fit).
   */
  async add(name: string, url: string, load: boolean): Promise<void> {
    if (this.entries.has(name)) throw new ModelCatalogError(409, `model "${name}" is already loaded`);
    const entry: Entry = { name, url, bytes: 0, inUse: 0, lastUsed: ++this.uses, removed: false };
    this.entries.set(name, entry);
    if (!load) return;
    try {
      await this.ensureLoaded(entry);
    } catch (error) {
      if (this.entries.get(name) === entry) this.entries.delete(name);
      entry.removed = true;
      throw error;
    }
  }

  /** Unregisters `name`; its predictor is disposed now, or when the last request using it is answered. */
  remove(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    this.entries.delete(name);
    entry.removed = true;
    if (entry.inUse === 0) void this.unload(entry);
    return true;
  }

  /** The model for one request, loaded if it is not; 404 for a name not registered. */
  async acquire(name: string): Promise<ModelLease> {
    const entry = this.entries.get(name);
    if (!entry) throw new ModelCatalogError(404, `model "${name}" is not loaded (load it with POST /models)`);
    entry.inUse += 1;
    entry.lastUsed = ++this.uses;
    let model: LoadedModel;
    try {
      model = await this.ensureLoaded(entry);
    } catch (error) {
      this.released(entry);
      throw error;
    }
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        this.released(entry);
      },
    };
  }

  /** Unloads every model (shutdown). */
  async dispose(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => ((e.removed = true), this.unload(e))));
  }

  private released(entry: Entry): void {
    entry.inUse -= 1;
    if (entry.removed && entry.inUse === 0) void this.unload(entry);
  }

  private ensureLoaded(entry: Entry): Promise<LoadedModel> {
    if (entry.loaded) return Promise.resolve(entry.loaded);
    entry.loading ??= this.loadEntry(entry).finally(() => (entry.loading = undefined));
    return entry.loading;
  }

  private async loadEntry(entry: Entry): Promise<LoadedModel> {
    const found = await stat(entry.url).catch(() => undefined);
    if (!found?.isDirectory()) throw new ModelCatalogError(400, `model "${entry.name}": url ${entry.url} is not a folder`);
    const bytes = (entry.estimate ??= await this.footprint(entry.url));
    this.makeRoom(entry, bytes);
    entry.bytes = bytes;
    this.usedBytes += bytes;
    let model: LoadedModel;
    try {
      model = await this.options.load(entry.url);
    } catch (error) {
      this.usedBytes -= bytes;
      entry.bytes = 0;
      throw new ModelCatalogError(400, `model "${entry.name}" could not be loaded from ${entry.url}: ${(error as Error).message}`);
    }
    entry.loaded = model;
    // unregistered while it loaded, and nobody waits for it
    if (entry.removed && entry.inUse === 0) await this.unload(entry);
    return model;
  }

  /** Unloads idle models, least recently used first, until `bytes` more fit; 507 when they cannot. */
  private makeRoom(entry: Entry, bytes: number): void {
    const { budgetBytes, logger } = this.options;
    if (bytes > budgetBytes) {
      throw new ModelCatalogError(507, `model "${entry.name}" needs about ${mb(bytes)}, more than the ${mb(budgetBytes)} models may take in this worker`);
    }
    while (this.usedBytes + bytes > budgetBytes) {
      const idle = [...this.entries.values()].filter((e) => e !== entry && e.loaded && e.inUse === 0).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!idle) {
        throw new ModelCatalogError(
          507,
          `not enough memory for model "${entry.name}" (about ${mb(bytes)}): ${mb(this.usedBytes)} of ${mb(budgetBytes)} are taken by models answering requests`,
        );
      }
      logger.info('model unloaded to make room (least recently used); it loads again when next invoked', {
        model: idle.name,
        freedMb: idle.bytes / MB,
        for: entry.name,
      });
      void this.unload(idle);
    }
  }

  private async unload(entry: Entry): Promise<void> {
    const model = entry.loaded;
    if (!model) return;
    entry.loaded = undefined;
    this.usedBytes -= entry.bytes;
    entry.bytes = 0;
    try {
      await model.predictor.dispose?.();
    } catch (error) {
      this.options.logger.warn('a model did not dispose cleanly', { model: entry.name, error: (error as Error).message });
    }
  }
}
