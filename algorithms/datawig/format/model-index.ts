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
}

/** Request settings used when a request's custom attributes do not set them. */
export interface ServingDefaults {
  precision_threshold: number;
  top_k: number;
  explain_tokens: number;
}

export interface ModelIndex {
  format: typeof MODEL_INDEX_FORMAT;
  /** single: one label column; complete: every column with gaps, filled in order. */
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
