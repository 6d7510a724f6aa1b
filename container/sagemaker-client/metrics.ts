/**
 * `MetricDefinitions` for the framework's metric lines. The container prints one line per
 * metric and epoch on stdout,
 *   METRIC <name>=<value>[ epoch=<n>][ step=<n>]
 * (framework/training/metrics.ts); SageMaker extracts the value with the regex below, and
 * automatic model tuning optimises one of these names.
 */
import type { MetricDefinition } from '@aws-sdk/client-sagemaker';

/** The metric names the framework's algorithms emit (datawig and baseline). */
export const METRIC_NAMES = ['train:loss', 'validation:loss', 'validation:accuracy', 'validation:macro_f1', 'validation:rmse'] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** The number pattern matches what `formatMetricLine` prints: `0.91`, `-3`, `1e-7`, `2.5E+3`. */
export const METRIC_VALUE_PATTERN = '([-+0-9.eE]+)';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function metricRegex(name: string): string {
  return `METRIC ${escapeRegex(name)}=${METRIC_VALUE_PATTERN}`;
}

export function metricDefinitions(names: readonly string[] = METRIC_NAMES): MetricDefinition[] {
  return names.map((name) => ({ Name: name, Regex: metricRegex(name) }));
}

/** Whether tuning should maximise or minimise a metric, from its name. */
export function objectiveType(name: string): 'Maximize' | 'Minimize' {
  return /(loss|rmse|mse|mae|error)$/i.test(name) ? 'Minimize' : 'Maximize';
}
