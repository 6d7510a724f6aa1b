/**
 * Structured JSON logs on stdout (one object per line), via pino. Every process (CLI, primary,
 * worker) tags its lines with its role so that interleaved cluster output stays readable.
 */
import type { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
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

/**
 * Training metrics are plain-text lines `METRIC <name>=<value>` on the same stdout, found by
 * SageMaker's `MetricDefinitions` regexes wherever they occur in a line. A log line quotes data
 * (column names, values, error messages): a column named `METRIC validation:accuracy=0.999` would
 * put a forged metric into the log. So every `METRIC` in a log line is written `M\u0045TRIC`: in
 * JSON the same string (outside strings a JSON line has only punctuation, numbers and literals, so
 * every occurrence is inside a key or a string value, and a `\u` escape has only hex digits), but
 * the raw line no longer contains the word. Lines without it (nearly all) cost one `includes`.
 */
export function defuseMetricText(line: string): string {
  return line.includes('METRIC') ? line.replaceAll('METRIC', 'M\\u0045TRIC') : line;
}

/** pino's destination: each serialised line, defused, to the batched writer. */
class DefusingDestination implements DestinationStream {
  constructor(private readonly writer: TurnBatchedWriter) {}
  write(line: string): void {
    this.writer.write(defuseMetricText(line));
  }
}

export class JsonLogger implements Logger {
  constructor(
    private readonly sink: PinoLogger,
    private readonly destination: TurnBatchedWriter,
  ) {}

  /** `out` is stdout but in tests. */
  static create(level: LogLevel, bindings: Record<string, unknown> = {}, out: Writable = process.stdout): JsonLogger {
    const destination = new TurnBatchedWriter(out);
    const sink = pino(
      {
        level,
        base: { pid: process.pid, ...bindings },
        timestamp: isoTime,
        formatters: { level: (label) => ({ level: label }) },
        messageKey: 'msg',
      },
      // Every exit path calls flush().
      new DefusingDestination(destination),
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
