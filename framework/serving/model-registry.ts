/**
 * Which models a multi-model endpoint has, across its worker processes. The primary holds the one
 * list (it loads no model): a worker that loads or unloads a model claims or releases its name
 * there, and the primary tells every other worker before it answers, so that any worker answers
 * for any model as soon as its load has returned (each loads it on first use). A worker that
 * starts later (a replacement) asks for the list first.
 */
import type { Worker } from 'node:cluster';
import type { ModelCatalog } from '../model/model-catalog.js';

/** The endpoint-wide side of registering a model, as a worker sees it. */
export interface ModelRegistry {
  /** Claims `name` for the whole endpoint; not ok: another worker has just claimed it (for `url`). */
  claim(name: string, url: string): Promise<{ ok: boolean; url?: string }>;
  /** Releases `name` endpoint-wide; false: it was not registered. */
  release(name: string): Promise<boolean>;
}

/** One process (tests, an embedding host): its catalog is the whole endpoint. */
export const SINGLE_PROCESS_REGISTRY: ModelRegistry = Object.freeze({
  claim: () => Promise.resolve({ ok: true }),
  release: () => Promise.resolve(true),
});

/** Worker → primary. */
export type RegistryRequest =
  | { type: 'mme-claim'; id: number; name: string; url: string }
  | { type: 'mme-release'; id: number; name: string }
  | { type: 'mme-list'; id: number }
  | { type: 'mme-ack'; id: number };

/** Primary → worker. */
export type RegistryNotice =
  | { type: 'mme-reply'; id: number; ok: boolean; url?: string }
  | { type: 'mme-models'; id: number; models: { name: string; url: string }[] }
  | { type: 'mme-added'; id: number; name: string; url: string }
  | { type: 'mme-removed'; id: number; name: string };

const isNotice = (m: unknown): m is RegistryNotice => typeof m === 'object' && m !== null && String((m as { type?: unknown }).type).startsWith('mme-');

/** The worker's side: requests to the primary over the cluster channel, and the primary's notices applied to `catalog`. */
export class ClusterModelRegistry implements ModelRegistry {
  private nextId = 1;
  private readonly waiting = new Map<number, (notice: RegistryNotice) => void>();

  constructor(private readonly catalog: ModelCatalog) {
    process.on('message', (message: unknown) => {
      if (isNotice(message)) this.received(message);
    });
  }

  /** The models registered before this worker started (registered here, not loaded). */
  async join(): Promise<void> {
    const answer = await this.ask({ type: 'mme-list', id: this.nextId++ });
    if (answer.type !== 'mme-models') return;
    for (const m of answer.models) if (!this.catalog.has(m.name)) await this.catalog.add(m.name, m.url, false);
  }

  async claim(name: string, url: string): Promise<{ ok: boolean; url?: string }> {
    const answer = await this.ask({ type: 'mme-claim', id: this.nextId++, name, url });
    return answer.type === 'mme-reply' ? { ok: answer.ok, ...(answer.url === undefined ? {} : { url: answer.url }) } : { ok: false };
  }

  async release(name: string): Promise<boolean> {
    const answer = await this.ask({ type: 'mme-release', id: this.nextId++, name });
    return answer.type === 'mme-reply' && answer.ok;
  }

  private ask(request: Exclude<RegistryRequest, { type: 'mme-ack' }>): Promise<RegistryNotice> {
    return new Promise((resolve, reject) => {
      if (!process.send || !process.connected) {
        reject(new Error('the multi-model registry needs the serving primary, which is gone'));
        return;
      }
      this.waiting.set(request.id, resolve);
      process.send(request, (error: Error | null) => {
        if (!error) return;
        this.waiting.delete(request.id);
        reject(error);
      });
    });
  }

  private received(notice: RegistryNotice): void {
    if (notice.type === 'mme-added' || notice.type === 'mme-removed') {
      // another worker's change: registered or dropped here too, then acknowledged
      if (notice.type === 'mme-added' && !this.catalog.has(notice.name)) void this.catalog.add(notice.name, notice.url, false);
      if (notice.type === 'mme-removed') this.catalog.remove(notice.name);
      process.send?.({ type: 'mme-ack', id: notice.id } satisfies RegistryRequest);
      return;
    }
    const resolve = this.waiting.get(notice.id);
    this.waiting.delete(notice.id);
    resolve?.(notice);
  }
}

/** The primary's side: the endpoint's list of models, changed one request at a time. */
export class PrimaryModelRegistry {
  private readonly models = new Map<string, string>();
  private readonly workers = new Set<Worker>();
  /** Notices sent and not yet acknowledged: id → the workers still to answer, and what to do then. */
  private readonly pending = new Map<number, { left: Set<Worker>; done: () => void }>();
  private nextId = 1;
  /** Requests are applied in arrival order, each after the previous one's notices were acknowledged. */
  private queue: Promise<void> = Promise.resolve();

  /** Serves a worker's registry requests for as long as it lives. */
  serve(worker: Worker): void {
    this.workers.add(worker);
    worker.on('message', (message: RegistryRequest) => {
      if (typeof message !== 'object' || message === null) return;
      if (message.type === 'mme-ack') this.acknowledged(worker, message.id);
      else if (message.type === 'mme-claim' || message.type === 'mme-release' || message.type === 'mme-list') {
        this.queue = this.queue.then(() => this.apply(worker, message));
      }
    });
    worker.once('exit', () => {
      this.workers.delete(worker);
      // a worker that died answers no notice: nobody waits for it
      for (const id of [...this.pending.keys()]) this.acknowledged(worker, id);
    });
  }

  private async apply(from: Worker, request: Exclude<RegistryRequest, { type: 'mme-ack' }>): Promise<void> {
    const reply = (notice: RegistryNotice): void => {
      if (from.isConnected()) from.send(notice);
    };
    if (request.type === 'mme-list') {
      reply({ type: 'mme-models', id: request.id, models: [...this.models].map(([name, url]) => ({ name, url })) });
      return;
    }
    if (request.type === 'mme-claim') {
      const taken = this.models.get(request.name);
      if (taken !== undefined) return reply({ type: 'mme-reply', id: request.id, ok: false, url: taken });
      this.models.set(request.name, request.url);
      await this.notify(from, (id) => ({ type: 'mme-added', id, name: request.name, url: request.url }));
    } else {
      if (!this.models.delete(request.name)) return reply({ type: 'mme-reply', id: request.id, ok: false });
      await this.notify(from, (id) => ({ type: 'mme-removed', id, name: request.name }));
    }
    reply({ type: 'mme-reply', id: request.id, ok: true });
  }

  /** Sends the notice to every worker but `from`; resolves once each has acknowledged it (or died). */
  private notify(from: Worker, notice: (id: number) => RegistryNotice): Promise<void> {
    const id = this.nextId++;
    const left = new Set([...this.workers].filter((w) => w !== from && w.isConnected()));
    if (left.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.pending.set(id, { left, done: resolve });
      for (const w of left) w.send(notice(id), (error: Error | null) => error && this.acknowledged(w, id));
    });
  }

  private acknowledged(worker: Worker, id: number): void {
    const p = this.pending.get(id);
    if (!p || !p.left.delete(worker) || p.left.size > 0) return;
    this.pending.delete(id);
    p.done();
  }
}
