/**
 * Bounded polling with an injectable clock, so that waiting logic is testable without real time.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type PollVerdict<R> = { done: true; result: R } | { done: false; status: string };

export interface PollOptions<T, R> {
  /** What is being waited for, for messages: "training job abc". */
  what: string;
  describe: () => Promise<T>;
  /** Decide from one description: finished (result), still running (status), or throw on failure. */
  check: (state: T) => PollVerdict<R>;
  /** Called with every description (progress output). */
  onState?: (state: T, elapsedMs: number) => void;
  intervalMs: number;
  timeoutMs: number;
  clock: Clock;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, lastStatus: string) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (last status: ${lastStatus})`);
    this.name = 'WaitTimeoutError';
  }
}

export async function pollUntil<T, R>(opts: PollOptions<T, R>): Promise<R> {
  const start = opts.clock.now();
  let lastStatus = 'unknown';
  for (;;) {
    const state = await opts.describe();
    const elapsed = opts.clock.now() - start;
    opts.onState?.(state, elapsed);
    const verdict = opts.check(state);
    if (verdict.done) return verdict.result;
    lastStatus = verdict.status;
    if (elapsed + opts.intervalMs > opts.timeoutMs) throw new WaitTimeoutError(opts.what, opts.timeoutMs, lastStatus);
    await opts.clock.sleep(opts.intervalMs);
  }
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
