/**
 * Structured JSON logs on stdout (one object per line), via pino. Every process (CLI, primary,
 * worker) tags its lines with its role so that interleaved cluster output stays readable.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../contract/algorithm.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export class JsonLogger implements Logger {
  constructor(private readonly sink: PinoLogger) {}

  static create(level: LogLevel, bindings: Record<string, unknown> = {}): JsonLogger {
    const sink = pino({
      level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
    });
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

  /** Writes buffered lines before the process exits. */
  flush(): void {
    this.sink.flush();
  }
}
