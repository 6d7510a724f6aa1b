/**
 * `model.json`: the index of a datawig model directory — the mode, the table's columns, the serving
 * defaults and one entry per target model (each a folder with `target.json` and `weights.bin`).
 * Not the framework's `manifest.json` (framework/model/manifest.ts), which sits beside it.
 */
import type { ColumnType } from './featurizer-spec.js';
import type { Task } from './target-artifact.js';

export const MODEL_INDEX_FORMAT = 'datawig/1';

/** One imputed column and the folder of its model. */
export interface TargetEntry {
  label: string;
  dir: string;
  task: Task;
  /**
   * Complete mode: the chained round (1, 2, ...) this model belongs to. Round 1 reads the raw row,
   * round r the row with round r-1's imputations in its gaps plus missing indicators. Absent
   * (models from before chained rounds, and single mode): round 1.
   */
  round?: number;
}

/**
 * Prefix of the missing-indicator feature columns of rounds after the first: `\u0000missing:<column>`
 * holds 1 where <column> was missing in the raw row, else 0. Tables do not name columns with a NUL;
 * training refuses a column that starts with this prefix, and serving computes these cells itself
 * from the raw row (whatever a request sends under that name).
 */
export const MISSING_INDICATOR_PREFIX = '\u0000missing:';

/** The missing-indicator feature column of `column`. */
export function missingIndicator(column: string): string {
  return MISSING_INDICATOR_PREFIX + column;
}

/** The column a missing-indicator feature stands for, or undefined if `name` is not one. */
export function indicatedColumn(name: string): string | undefined {
  return name.startsWith(MISSING_INDICATOR_PREFIX) ? name.slice(MISSING_INDICATOR_PREFIX.length) : undefined;
}

/** Request settings used when a request's custom attributes do not set them. */
export interface ServingDefaults {
  precision_threshold: number;
  top_k: number;
  explain_tokens: number;
}

export interface ModelIndex {
  format: typeof MODEL_INDEX_FORMAT;
  /** single: one label column; complete: every column with gaps, in chained rounds (TargetEntry.round). */
  mode: 'single' | 'complete';
  label?: string;
  features: string[];
  columns: { name: string; type: ColumnType }[];
  targets: TargetEntry[];
  defaults: ServingDefaults;
  /** The TensorFlow.js backend training ran on. */
  backend: string;
  missingTokens: string[];
}
