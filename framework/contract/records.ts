/**
 * Tabular data as it flows between codecs, channels and algorithms.
 * Kept free of any HTTP or file concerns so that algorithms can depend on it alone.
 */

/** One cell of an input record. Missing values are `null` or a missing-value token chosen by the algorithm. */
export type Cell = string | number | boolean | null;

/** One row, keyed by column name. Output rows may carry nested JSON values (e.g. top-k lists). */
export type DataRecord = Record<string, unknown>;

/** An input row: scalar cells only (decoders reject nested values with a 400). */
export type InputRecord = Record<string, Cell>;

/**
 * A batch of rows plus the column order they came with (CSV header order, or the order in which
 * keys first appeared in JSON). `columns` is what CSV encoders write, in that order.
 */
export interface RecordBatch<R extends DataRecord = DataRecord> {
  columns: string[];
  records: R[];
}

/**
 * A request as decoded. CSV bodies also carry `rows`: every cell, as read, aligned with `columns`.
 * Their `records` then hold only the columns of the model's input schema that the request sent
 * (an object per row with 2,000 keys costs more than the rest of the request); other bodies'
 * records hold every column. An algorithm reads the columns it was trained on from `records`.
 */
export interface InputBatch extends RecordBatch<InputRecord> {
  rows?: readonly (readonly Cell[])[];
}

/** Output as arrays of values aligned with `columns` (what presenters of wide tables return). */
export interface RowBatch {
  columns: string[];
  rows: (readonly unknown[])[];
}

/** What a presenter returns: records keyed by column, or rows aligned with the columns. */
export type OutputBatch = RecordBatch<DataRecord> | RowBatch;

export function isRowBatch(batch: OutputBatch): batch is RowBatch {
  return (batch as Partial<RowBatch>).rows !== undefined;
}

/** How many records an output holds. */
export function outputLength(batch: OutputBatch): number {
  return isRowBatch(batch) ? batch.rows.length : batch.records.length;
}

/** The output as records keyed by column (a row's later duplicate column wins, as in a record). */
export function outputRecords(batch: OutputBatch): DataRecord[] {
  if (!isRowBatch(batch)) return batch.records;
  return batch.rows.map((row) => {
    const record: DataRecord = {};
    for (let c = 0; c < batch.columns.length; c++) setKey(record, batch.columns[c]!, row[c] ?? null);
    return record;
  });
}

/** A training table read from a channel: column order plus rows, every cell as read (strings for CSV). */
export type Table = RecordBatch<InputRecord>;

/**
 * The column layout a model was trained on. Written into the model manifest by the framework;
 * serving uses it to map header-less CSV rows by position (SageMaker batch transform sends a header
 * only with the first chunk of a file).
 */
export interface InputSchema {
  /** Every column of the training table, in its order. */
  columns: ColumnSpec[];
  /**
   * Columns a request must provide (by name with a header, by position without). Header-less rows
   * are mapped to `columns` when their field count equals `columns.length`, otherwise to
   * `requiredColumns` when it equals `requiredColumns.length`.
   */
  requiredColumns: string[];
}

export interface ColumnSpec {
  name: string;
  /** What the algorithm inferred or was told; informational for clients and the manifest. */
  type?: 'numeric' | 'categorical' | 'text' | 'unknown';
}

/** Sets an own key, also when it is "__proto__" (plain assignment would replace the prototype instead). */
export function setKey(record: DataRecord, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * A shallow copy of a record that stays a plain, fast object (a "__proto__" column included).
 * Use it instead of `{ ...record }` and `Object.assign`: in V8 (Node 20) a spread copy that then
 * gains keys is ~15x slower, and Object.assign turns a "__proto__" column into a prototype.
 */
export function copyRecord<R extends DataRecord>(record: R): R {
  const out: DataRecord = {};
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) setKey(out, keys[i]!, record[keys[i]!]);
  return out as R;
}
