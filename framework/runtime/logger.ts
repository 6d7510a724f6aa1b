/**
 * Structured JSON logs on stdout (one object per line), via pino. Every process (CLI, primary,
 * worker) tags its lines with its role so that interleaved cluster output stays readable.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../contract/algorithm.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

// ISO-8601 time of each line, formatted once per millisecond: under load the access log writes
// several lines per millisecond, and Date#toISOString was ~4% of a /ping request's CPU.
let lastMs = -1;
let lastTime = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

export class JsonLogger implements Logger {
  constructor(private readonly sink: PinoLogger) {}

  static create(level: LogLevel, bindings: Record<string, unknown> = {}): JsonLogger {
    const sink = pino(
      {
        level,
        base: { pid: process.pid, ...bindings },
        timestamp: isoTime,
        formatters: { level: (label) => ({ level: label }) },
        messageKey: 'msg',
      },
      // Asynchronous stdout: lines that arrive while a write is in flight go out together in the
      // next one (one syscall per batch instead of one per access-log line under load), and a lone
      // line is written at once. Every exit path calls flush() (a synchronous drain).
      pino.destination({ dest: 1, sync: false }),
    );
    return new JsonLogger(sink);
  }

  child(bindings: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.sink.child(bindings));
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.sink.debug(fields ?? {}, message);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.sink.info(fields ?? {}, message);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.sink.warn(fields ?? {}, message);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.sink.error(fields ?? {}, message);
  }

  /** Writes buffered lines before the process exits (synchronously: callers exit right after). */
  flush(): void {
    const stream = (this.sink as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { flushSync?: () => void } | undefined;
    try {
      if (stream?.flushSync) stream.flushSync();
      else this.sink.flush();
    } catch {
      // stdout closed (e.g. a pipe whose reader went away): nothing more can be written anyway.
    }
  }
}
