/**
 * The framework's logs, via pino: structured JSON on stdout (one object per line; what SageMaker,
 * CloudWatch and CI record), or, for a person at a terminal, human-readable lines on stderr
 * (pino-pretty). Every process (CLI, primary, worker) tags its lines with its role so that
 * interleaved cluster output stays readable.
 */
import type { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Logger } from '../contract/algorithm.js';
import { TurnBatchedWriter } from './log-destination.js';
import type { TerminalLines } from './terminal-progress.js';
import { printable } from '../report/terminal-text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
/** `auto`: text when stderr is a terminal, else JSON. */
export type LogFormatSetting = 'auto' | 'json' | 'text';
export type LogFormat = 'json' | 'text';

export function resolveLogFormat(setting: LogFormatSetting, stderr: { isTTY?: boolean } = process.stderr): LogFormat {
  return setting === 'auto' ? (stderr.isTTY ? 'text' : 'json') : setting;
}

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

/** Where serialised lines go, and how to write out what is pending before the process exits. */
type LineSink = Pick<TerminalLines, 'write' | 'flush'>;

/**
 * Plain text that may quote data (a training failure on stderr): `METRIC ` becomes `METRIC_`, so
 * that no line of it matches a `METRIC <name>=` regex.
 */
export function defuseMetricPlainText(text: string): string {
  return text.includes('METRIC') ? text.replace(/METRIC(?=\s)/g, 'METRIC_') : text;
}

/** pino's destination: each serialised line, defused, to the batched writer. */
class DefusingDestination implements DestinationStream {
  constructor(private readonly writer: LineSink) {}
  write(line: string): void {
    this.writer.write(defuseMetricText(line));
  }
}

/** Fields a person at a terminal does not need on every line. */
const TEXT_IGNORED_FIELDS = 'pid,hostname,role';

/** pino's destination for a terminal: each line as text (`[12:03:04] INFO: message {"field":1}`). */
class TextDestination implements DestinationStream {
  private readonly pretty: (line: string) => string;
  constructor(
    private readonly writer: LineSink,
    colour: boolean,
  ) {
    this.pretty = prettyFactory({
      colorize: colour,
      translateTime: 'SYS:HH:MM:ss',
      ignore: TEXT_IGNORED_FIELDS,
      singleLine: true,
      // a message quotes data (column names): no escape sequence of it reaches the terminal (fields are JSON, escaped)
      messageFormat: (log, key) => {
        const message = log[key];
        return printable(typeof message === 'string' ? message : (JSON.stringify(message) ?? ''));
      },
    });
  }
  write(line: string): void {
    // the text is no longer JSON: `METRIC ` is defused as in other plain text (stderr is in the job's log too)
    this.writer.write(defuseMetricPlainText(this.pretty(line)));
  }
}

export interface LoggerOutput {
  /** JSON lines: where they go (default stdout). */
  out?: Writable;
  /** json (default) or text. */
  format?: LogFormat;
  /** Text lines: where they go (default stderr; `byoc train` on a terminal: above its progress bars). */
  lines?: TerminalLines;
}

export class JsonLogger implements Logger {
  constructor(
    private readonly sink: PinoLogger,
    private readonly destination: LineSink,
  ) {}

  /** JSON on `output.out` (stdout but in tests), or text on `output.lines` / stderr. */
  static create(level: LogLevel, bindings: Record<string, unknown> = {}, output: LoggerOutput = {}): JsonLogger {
    const text = output.format === 'text';
    const destination = text ? (output.lines ?? new TurnBatchedWriter(process.stderr)) : new TurnBatchedWriter(output.out ?? process.stdout);
    const sink = pino(
      {
        level,
        base: { pid: process.pid, ...bindings },
        timestamp: isoTime,
        formatters: { level: (label) => ({ level: label }) },
        messageKey: 'msg',
      },
      // Every exit path calls flush().
      text ? new TextDestination(destination, colourWanted()) : new DefusingDestination(destination),
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

/** Colours on a terminal, unless NO_COLOR asks otherwise (https://no-color.org). */
function colourWanted(): boolean {
  return process.stderr.isTTY === true && !process.env.NO_COLOR;
}
