/**
 * Metric lines for SageMaker `MetricDefinitions`: one plain-text line per value on stdout,
 *   METRIC <name>=<value>[ epoch=<n>][ step=<n>]
 * e.g. `METRIC validation:accuracy=0.9125 epoch=3`, matched by `METRIC validation:accuracy=([-+0-9.eE]+)`.
 * Kept outside the JSON logs so that the regexes stay simple and stable. A metric line starts with
 * `METRIC ` at column 0; no JSON log line contains `METRIC` (the logger writes
 * it `M\u0045TRIC`, see runtime/logger.ts; plain text that quotes data can be passed through
 * `defuseMetricPlainText` of runtime/logger.ts), so data cannot forge a metric even for the unanchored regexes.
 */
import type { Logger, MetricEmitter } from '../contract/algorithm.js';

const METRIC_NAME = /^[A-Za-z0-9_.:-]{1,120}$/;

export function formatMetricLine(name: string, value: number, context?: { epoch?: number; step?: number }): string {
  let line = `METRIC ${name}=${Number(value.toPrecision(8))}`;
  if (context?.epoch !== undefined) line += ` epoch=${context.epoch}`;
  if (context?.step !== undefined) line += ` step=${context.step}`;
  return line;
}

export class StdoutMetricEmitter implements MetricEmitter {
  constructor(
    private readonly logger: Logger,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  emit(name: string, value: number, context?: { epoch?: number; step?: number }): void {
    if (!METRIC_NAME.test(name)) {
      this.logger.warn('metric not emitted: its name must match [A-Za-z0-9_.:-]{1,120}', { metric: name });
      return;
    }
    if (!Number.isFinite(value)) {
      this.logger.warn('metric not emitted: value is not a finite number', { metric: name, value: String(value) });
      return;
    }
    this.write(`${formatMetricLine(name, value, context)}\n`);
  }
}
