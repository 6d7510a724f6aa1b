/**
 * The training report an algorithm may describe its model with: plain, algorithm-neutral data.
 * The framework lays it out (a self-contained HTML page, a terminal table); the algorithm only
 * says what is in it.
 */

/** A table cell: text, a number (shown rounded), or nothing. */
export type ReportCell = string | number | null;

export interface ReportTable {
  /** Shown above the table. */
  caption?: string;
  columns: string[];
  rows: ReportCell[][];
}

/**
 * A chart: a vega-lite specification (https://vega.github.io/vega-lite/) whose data is inline
 * (`data.values`). Data from a URL is refused: the page must need no network.
 */
export interface ReportChart {
  title: string;
  spec: Record<string, unknown>;
  /** One line under the chart: how to read it. */
  caption?: string;
}

export interface ReportSection {
  heading: string;
  /** Key / value lines (the model chosen, its settings, row counts). */
  facts?: [string, ReportCell][];
  /** Problems worth acting on, in words. */
  warnings?: string[];
  tables?: ReportTable[];
  charts?: ReportChart[];
  /** Plain sentences, e.g. why a chart is absent. */
  notes?: string[];
}

export interface ReportDocument {
  title: string;
  /** One line under the title (the algorithm, when the model was trained). */
  subtitle?: string;
  /** One row per modelled item (column, target): what a terminal shows after training. */
  summary: ReportTable;
  /** Warnings of the whole model; each section has its own too. */
  warnings: string[];
  sections: ReportSection[];
}

/** What the framework recorded when the model was trained (its manifest). */
export interface TrainingRecord {
  algorithm: { name: string; version: string };
  /** ISO 8601; absent for a model trained on several hosts (no host's clock speaks for the job). */
  createdAt?: string;
  hyperparameters: Record<string, unknown>;
  /** The final metrics `train` returned. */
  metrics: Record<string, number>;
}
