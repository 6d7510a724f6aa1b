/**
 * Structured JSON logs on stdout (one object per line), via pino. Every process (CLI, primary,
 * worker) tags its lines with its role so that interleaved cluster output stays readable.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../contract/algorithm.js';
import { TurnBatchedWriter } from './log-destination.js';

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
  constructor(
    private readonly sink: PinoLogger,
    private readonly destination: TurnBatchedWriter,
  ) {}

  static create(level: LogLevel, bindings: Record<string, unknown> = {}): JsonLogger {
    const destination = new TurnBatchedWriter(process.stdout);
    const sink = pino(
      {
        level,
        base: { pid: process.pid, ...bindings },
        timestamp: isoTime,
        formatters: { level: (label) => ({ level: label }) },
        messageKey: 'msg',
      },
      // Every exit path calls flush().
      destination,
    );
    return new JsonLogger(sink, destination);
  }

  child(bindings: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.sink.child(bindings), this.destination);
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
    this.destination.flush();
  }
}
