/**
 * When one /invocations request stops: its deadline, and the AbortSignal a plugin may watch.
 *
 * The AbortSignal is built only when the plugin reads it: building one (an EventTarget) cost about
 * as much as the rest of a small request's bookkeeping, and a synchronous predictor never needs it
 * (no timer can fire while it runs). The body reader listens through the same small interface.
 */
import type { ServerResponse } from 'node:http';
import { RequestError } from '../contract/errors.js';

export class RequestCancellation {
  /** Rejects with a 504 RequestError when the deadline passes; never resolves. */
  readonly expired: Promise<never>;
  private readonly timer: NodeJS.Timeout;
  private reason: RequestError | undefined;
  private controller: AbortController | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(
    timeoutMs: number,
    message: string,
    /** The response: closing before it is finished means the client went away. */
    private readonly response: ServerResponse,
  ) {
    let reject!: (error: RequestError) => void;
    this.expired = new Promise<never>((_, r) => (reject = r));
    this.expired.catch(() => undefined); // the caller races it; an unraced rejection is not an error
    this.timer = setTimeout(() => {
      this.reason = new RequestError(message, 504);
      this.controller?.abort(this.reason);
      for (const listener of this.listeners.splice(0)) listener();
      reject(this.reason);
    }, timeoutMs);
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
      else {
        this.response.once('close', () => {
          if (this.response.writableFinished) return;
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
