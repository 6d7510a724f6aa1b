/**
 * A serving worker's inference thread, seen from its HTTP thread: large requests are decoded,
 * predicted and encoded there, so that the HTTP event loop stays free for /ping (SageMaker replaces
 * an instance whose /ping stalls for 2 s) and for small requests, and so that a request past its
 * deadline can be stopped even while a synchronous plugin runs (the thread is terminated and
 * started again).
 *
 * Small requests stay on the HTTP thread: handing one over costs more than answering it. Which
 * requests go is decided by body size and by how long this model's requests have taken.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../contract/algorithm.js';
import { RequestError } from '../contract/errors.js';
import type { RequestCancellation } from '../invocation/cancellation.js';
import type { InvocationHeaders } from '../invocation/pipeline.js';
import type { InvokeMessage, ThreadMessage } from './thread-protocol.js';

export interface ThreadAnswer {
  body: Uint8Array;
  mediaType: string;
}

interface Job {
  id: number;
  requestId: string;
  headers: InvocationHeaders;
  body: Uint8Array;
  cancellation: RequestCancellation;
  resolve(answer: ThreadAnswer): void;
  reject(error: Error): void;
  onDeadline: () => void;
}

export interface InferenceThreadOptions {
  /** Starts a thread (new Worker(entry, { workerData })). */
  spawn: () => Worker;
  logger: Logger;
  /** Bodies of at least this many bytes go to the thread. */
  minBytes: number;
  /** Smaller bodies go too when this model's requests are estimated to take longer than this. */
  slowRequestMs?: number;
  /** After its deadline, how long a request's thread may take to stop by itself before it is terminated. */
  stopGraceMs?: number;
  /** A thread without a request for this long is stopped (started again by the next large request). */
  idleStopMs?: number;
}

/** Thread restarts after which it is given up (requests then stay on the HTTP thread). */
const MAX_UNPLANNED_EXITS = 3;
const UNPLANNED_EXIT_WINDOW_MS = 60_000;

/**
 * `idle`: no thread runs (none was needed yet, or it was stopped after a quiet spell): an idle
 * thread beside the HTTP loop measurably slows small requests (~15% on a 1-row CSV), so it exists
 * only while large requests come.
 */
type Status = 'idle' | 'starting' | 'ready' | 'restarting' | 'unavailable' | 'closed';

export class InferenceThread {
  private worker: Worker | undefined;
  private status: Status = 'idle';
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private nextId = 1;
  private readonly exits: number[] = [];
  /** Estimated milliseconds per body byte of requests answered on the HTTP thread (moving average). */
  private msPerByte = 0;
  private readonly slowRequestMs: number;
  private readonly stopGraceMs: number;
  private readonly idleStopMs: number;

  constructor(private readonly options: InferenceThreadOptions) {
    this.slowRequestMs = options.slowRequestMs ?? 50;
    this.stopGraceMs = options.stopGraceMs ?? 100;
    this.idleStopMs = options.idleStopMs ?? 60_000;
  }

  /** Starts the thread now (else the first request it takes starts it). */
  start(): void {
    if (this.status !== 'idle') return;
    this.status = 'starting';
    this.launch();
  }

  /** Whether a body of this size is answered here (else on the HTTP thread). */
  takes(bytes: number): boolean {
    // While the thread starts, large requests wait for it rather than stall this event loop.
    if (this.status === 'unavailable' || this.status === 'closed') return false;
    const large = bytes >= this.options.minBytes || bytes * this.msPerByte > this.slowRequestMs;
    if (large) this.start();
    return large;
  }

  /** What a request answered on the HTTP thread cost, so that slow models are sent here too. */
  observe(bytes: number, ms: number): void {
    const rate = ms / Math.max(bytes, 1024);
    this.msPerByte = this.msPerByte === 0 ? rate : 0.9 * this.msPerByte + 0.1 * rate;
  }

  invoke(headers: InvocationHeaders, requestId: string, body: Uint8Array, cancellation: RequestCancellation): Promise<ThreadAnswer> {
    return new Promise<ThreadAnswer>((resolve, reject) => {
      const job: Job = { id: this.nextId++, requestId, headers, body, cancellation, resolve, reject, onDeadline: () => this.deadlinePassed(job) };
      cancellation.addEventListener('abort', job.onDeadline);
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.status = 'closed';
    clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) this.settle(job, new RequestError('the server is shutting down', 503));
    if (this.current) this.settle(this.current, new RequestError('the server is shutting down', 503));
    this.current = undefined;
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private launch(): void {
    const worker = this.options.spawn();
    this.worker = worker;
    worker.on('message', (message: ThreadMessage) => this.received(worker, message));
    worker.on('error', (error) => this.options.logger.error('inference thread failed', { error: error.message, stack: error.stack }));
    worker.on('exit', (code) => this.exited(worker, code));
  }

  private received(worker: Worker, message: ThreadMessage): void {
    if (worker !== this.worker) return;
    if (message.type === 'ready') {
      this.status = 'ready';
      this.options.logger.info('inference thread ready: large requests are answered off the HTTP thread', { loadMs: message.loadMs });
      this.pump();
      return;
    }
    if (message.type === 'failed') {
      this.giveUp(`the inference thread could not load the model: ${message.reason}`);
      return;
    }
    const job = this.current;
    if (!job || job.id !== message.id) return;
    this.current = undefined;
    if (message.type === 'answer') this.settle(job, undefined, { body: message.body, mediaType: message.mediaType });
    else if (message.type === 'refused') this.settle(job, new RequestError(message.message, message.status));
    else {
      const error = new Error(message.message);
      error.stack = message.stack;
      this.settle(job, error);
    }
    this.pump();
  }

  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker || this.status === 'closed') return;
    this.worker = undefined;
    const now = Date.now();
    this.exits.push(now);
    while (this.exits.length > 0 && this.exits[0]! < now - UNPLANNED_EXIT_WINDOW_MS) this.exits.shift();
    if (this.current) {
      this.settle(this.current, new Error(`the inference thread stopped (exit code ${code}) while answering this request`));
      this.current = undefined;
    }
    if (this.exits.length >= MAX_UNPLANNED_EXITS) {
      this.giveUp(`the inference thread stopped ${this.exits.length} times within ${UNPLANNED_EXIT_WINDOW_MS / 1000} s`);
      return;
    }
    this.options.logger.warn('inference thread stopped unexpectedly; starting it again', { code });
    this.restart();
  }

  /** Requests stay on the HTTP thread from now on; queued ones fail with 503 (their clients may retry). */
  private giveUp(reason: string): void {
    this.status = 'unavailable';
    this.options.logger.error('inference thread unavailable: every request is answered on the HTTP thread', { reason });
    for (const job of this.queue.splice(0)) this.settle(job, new RequestError('the inference thread is unavailable; retry the request', 503));
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private restart(): void {
    this.status = 'restarting';
    this.launch();
  }

  private pump(): void {
    if (this.status !== 'ready' || this.current || !this.worker) return;
    const job = this.queue.shift();
    if (!job) {
      this.armIdleStop();
      return;
    }
    clearTimeout(this.idleTimer);
    this.current = job;
    // Transfer the body when it owns its buffer; a view into a shared one is copied.
    const whole = job.body.byteOffset === 0 && job.body.byteLength === job.body.buffer.byteLength;
    const body = whole ? job.body : new Uint8Array(job.body);
    const remaining = job.cancellation.remainingMs();
    const message: InvokeMessage = { type: 'invoke', id: job.id, requestId: job.requestId, headers: job.headers, body, timeoutMs: remaining ?? 2 ** 31 - 1 };
    this.worker.postMessage(message, [body.buffer as ArrayBuffer]);
  }

  /** Stops the thread after a quiet spell, so that it costs nothing while only small requests come. */
  private armIdleStop(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.status !== 'ready' || this.current || this.queue.length > 0) return;
      this.options.logger.info('inference thread stopped after a quiet spell; the next large request starts it again', { idleSeconds: this.idleStopMs / 1000 });
      const worker = this.worker;
      this.worker = undefined;
      this.status = 'idle';
      void worker?.terminate();
    }, this.idleStopMs).unref();
  }

  /** The request's deadline passed: the client has its 504; stop its work if it does not stop itself. */
  private deadlinePassed(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(job, new RequestError('the request waited past its deadline', 504));
      return;
    }
    if (this.current !== job) return;
    setTimeout(() => {
      if (this.current !== job || this.status === 'closed') return;
      this.options.logger.warn('request past its deadline: stopping the inference thread and starting it again', { requestId: job.requestId });
      this.current = undefined;
      this.settle(job, new RequestError('the request ran past its deadline', 504));
      const worker = this.worker;
      this.worker = undefined;
      void worker?.terminate();
      this.restart();
    }, this.stopGraceMs).unref();
  }

  private settle(job: Job, error: Error | undefined, answer?: ThreadAnswer): void {
    job.cancellation.removeEventListener('abort', job.onDeadline);
    if (error) job.reject(error);
    else job.resolve(answer!);
  }
}
