/**
 * When one invocation stops: its deadline, and the AbortSignal a plugin may watch.
 *
 * The AbortSignal is built only when the plugin reads it: building one (an EventTarget) cost about
 * as much as the rest of a small request's bookkeeping, and a synchronous predictor never needs it
 * (no timer can fire while it runs). The body reader listens through the same small interface.
 */
import { RequestError } from '../contract/errors.js';

/** The answer's channel to the client (an HTTP response): closed before finished = client gone. */
export interface ClientChannel {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
}

export class RequestCancellation {
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly startedAt = performance.now();
  private reason: RequestError | undefined;
  private controller: AbortController | undefined;
  private readonly listeners: (() => void)[] = [];
  /** Rejects the promise of race() when the deadline passes. */
  private rejectRace: ((reason: RequestError) => void) | undefined;

  constructor(
    /** undefined: no deadline (offline work). */
    private readonly timeoutMs: number | undefined,
    private readonly message: string,
    /** Where the answer goes, when a client waits for it (none for a file). */
    private readonly client?: ClientChannel,
  ) {
    this.timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            this.reason = new RequestError(message, 504);
            this.controller?.abort(this.reason);
            for (const listener of this.listeners.splice(0)) listener();
            this.rejectRace?.(this.reason);
          }, timeoutMs);
  }

  /**
   * `work`'s outcome, or a 504 RequestError as soon as the deadline passes (`work` may still be
   * running then; its later failure is handled here, not left unhandled). One promise per request,
   * where Promise.race needed a second, always pending one.
   */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.reason) reject(this.reason);
      this.rejectRace = reject;
      work.then(resolve, reject);
    });
  }

  /**
   * Throws the 504 when the deadline has passed, also when the timer is overdue but has not run
   * yet (a busy event loop): the pipeline checks before and after predict.
   */
  throwIfOverdue(): void {
    if (this.reason) throw this.reason;
    if (this.timeoutMs !== undefined && performance.now() - this.startedAt > this.timeoutMs) throw new RequestError(this.message, 504);
  }

  /** Milliseconds left before the deadline (0 once past it); undefined without a deadline. */
  remainingMs(): number | undefined {
    return this.timeoutMs === undefined ? undefined : Math.max(0, this.timeoutMs - (performance.now() - this.startedAt));
  }

  /** The client closed the connection before the answer (known only once the signal was read). */
  clientClosed = false;

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** Aborted when the deadline passes or the client closes the connection first. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      if (this.reason) controller.abort(this.reason);
      else if (this.client) {
        const client = this.client;
        client.once('close', () => {
          if (client.writableFinished) return;
          this.clientClosed = true;
          controller.abort(new Error('the client closed the connection'));
        });
      }
    }
    return this.controller.signal;
  }

  /** The AbortSignal-shaped subscription the body reader uses (only 'abort' exists here). */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  /** The request is answered: stop the clock. */
  dispose(): void {
    clearTimeout(this.timer);
    this.listeners.length = 0;
  }
}
