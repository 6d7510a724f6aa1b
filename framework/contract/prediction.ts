/**
 * What a model concluded, apart from how it is written out. `Predictor.predict` returns a
 * `PredictionBatch`; a `Presenter` turns it into output records for the response (the split of the
 * SageMaker inference toolkit's `predict_fn` and `output_fn`). Codecs then encode those records.
 */
import type { Logger } from './logger.js';
import type { Cell, InputBatch, OutputBatch } from './records.js';

/**
 * - `imputed`: the input cell was missing (or the request asked to impute present cells) and
 *   `value` is the model's answer;
 * - `withheld`: as `imputed`, but the model is not confident enough to fill the cell (below the
 *   precision threshold); `value` is its best guess, not to be written into the cell;
 * - `present`: the input cell had a value; `value` is the model's view of it, for reference.
 */
export type PredictionStatus = 'imputed' | 'withheld' | 'present';

export interface Candidate {
  value: Cell;
  probability: number;
}

/** The conclusion for one target column of one record. */
export interface TargetPrediction {
  /** The column predicted (one of `Predictor.targets`). */
  column: string;
  status: PredictionStatus;
  /** The model's best value, written as the model wants it (e.g. rounded to its precision). */
  value: Cell;
  /** Probability of `value`, for classes. */
  probability?: number;
  /** Most probable values, best first, when `PredictOptions.detail.candidates` asked for them. */
  candidates?: readonly Candidate[];
  /** Why the model chose `value`, algorithm-defined, when `detail.explanations` asked for it. */
  explanation?: unknown;
}

/** The conclusions for one input record: one entry per target the model predicted for it. */
export interface RecordPrediction {
  targets: readonly TargetPrediction[];
}

/** One `RecordPrediction` per input record, in input order. */
export interface PredictionBatch<P extends RecordPrediction = RecordPrediction> {
  records: P[];
  /** Conclusions about the batch as a whole (e.g. a label-shift estimate), algorithm-defined. */
  summary?: Readonly<Record<string, unknown>>;
}

/** What the chosen presenter shows, so that a model can skip work nobody will read. */
export interface PredictionDetail {
  /** Top-k candidates per target. */
  candidates: boolean;
  /** Explanations per target. */
  explanations: boolean;
}

/**
 * The output structure of the response's media type: `table` holds scalar cells in named columns
 * (CSV); `document` holds nested values (JSON, JSON Lines). Presenters say which they can build.
 */
export type OutputStructure = 'table' | 'document';

export interface PresentContext<A = Record<string, unknown>, P extends RecordPrediction = RecordPrediction> {
  /** The decoded request (with `rows`, every cell of a CSV body). */
  input: InputBatch;
  predictions: PredictionBatch<P>;
  /** Every column the model can predict, in its order (the columns of an empty batch, too). */
  targets: readonly string[];
  attributes: A;
  structure: OutputStructure;
  logger: Logger;
}

/**
 * Turns predictions into output records: exactly one per input record, in input order. `columns`
 * of the result is the column order of table output. Chosen per request by the `output` attribute,
 * else by the model's default for the structure (`Predictor.defaultPresenters`), else `columns`.
 */
export interface Presenter<A = Record<string, unknown>, P extends RecordPrediction = RecordPrediction> {
  /** Lowercase letters, digits, `-` and `_`; what the `output` attribute names. */
  readonly name: string;
  /** One line for `byoc algorithms` and error messages. */
  readonly description: string;
  readonly structures: readonly OutputStructure[];
  /** What `predict` must compute for this presenter (default: neither candidates nor explanations). */
  readonly detail?: Partial<PredictionDetail>;
  present(context: PresentContext<A, P>): OutputBatch;
}
