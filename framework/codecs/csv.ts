/**
 * text/csv: RFC 4180, read and written with papaparse (about 4x faster than csv-parse to read and
 * 1.3x faster than csv-stringify to write request-sized bodies; parsing was the largest cost of a
 * 100-row request). Cells stay strings; types are the algorithm's business.
 */
import Papa from 'papaparse';
import { isRowBatch, type Cell, type InputRecord, type InputSchema, type OutputBatch } from '../contract/records.js';
import { RequestError } from '../contract/errors.js';
import {
  type BatchShape,
  type Codec,
  type DecodedBatch,
  type DecodeOptions,
  checkColumnLimit,
  checkRowLimit,
  decodeText,
  makeRecord,
  positionalNames,
  quoteInput,
} from './codec.js';
import { CSV_DIALECT, countLineBreaks, describeCsvError, lineAt, lineBreakOf } from './csv-dialect.js';

/** The parsed rows, and the line each starts on (computed only when an error message needs it). */
interface ParsedRows {
  fields: string[][];
  lineOf(index: number): number;
}

/** Decodes one slice of a streamed body after another (CsvCodec.slices). */
export interface CsvSliceDecoder {
  /** `lineOf(i)`: the line of the body on which `fields[i]` starts. */
  decode(fields: string[][], lineOf: (index: number) => number): DecodedBatch;
}

export class CsvCodec implements Codec {
  readonly mediaType = 'text/csv';
  readonly structure = 'table';

  decode(body: Uint8Array, options: DecodeOptions): DecodedBatch {
    const text = decodeText(body);
    return this.decodeRows(this.parseRows(text, options), options);
  }

  /**
   * Decodes a body that arrives as consecutive slices of rows (framework/codecs/csv-stream.ts): the
   * first slice as a whole body (header or not), each later one as more rows of the same columns.
   */
  slices(options: DecodeOptions): CsvSliceDecoder {
    let first: DecodedBatch | undefined;
    return {
      decode: (fields, lineOf) => {
        const rows: ParsedRows = { fields, lineOf };
        if (!first) return (first = this.decodeRows(rows, options));
        checkRowLimit(fields.length, options.limits, 'CSV slice');
        const { columns } = first;
        const picked = first.shape === 'csv-header' ? modelColumns(columns, options.schema) : undefined;
        const records = fields.map((row, i) => {
          if (row.length !== columns.length)
            throw new RequestError(`CSV line ${lineOf(i)} has ${row.length} fields, but the first row has ${columns.length}`, 400);
          return picked ? pickRecord(picked, row) : makeRecord(columns, row);
        });
        return { shape: 'csv-headerless', columns, records, rows: fields };
      },
    };
  }

  private decodeRows(rows: ParsedRows, options: DecodeOptions): DecodedBatch {
    if (rows.fields.length === 0) throw new RequestError('empty body', 400);
    const first = rows.fields[0]!;
    // Guarded here: the message names a line, which costs a second parse.
    if (first.length > options.limits.maxColumns) checkColumnLimit(first.length, options.limits, `CSV line ${rows.lineOf(0)}`);

    if (this.hasHeader(first, options)) return this.withHeader(rows, options);
    return this.withoutHeader(rows, options);
  }

  encode(batch: OutputBatch, requestShape: BatchShape): string {
    if (isRowBatch(batch)) return encodeRows(batch.columns, batch.rows, requestShape === 'csv-header');
    const rows = batch.records.map((record) => batch.columns.map((column) => cellText(record[column])));
    if (requestShape === 'csv-header') rows.unshift([...batch.columns]);
    return rows.length === 0 ? '' : unparse(rows);
  }

  private parseRows(text: string, options: DecodeOptions): ParsedRows {
    // header + maxRows + 1 rows are enough to know the limit is exceeded without parsing a huge body.
    const result = Papa.parse<string[]>(text, { ...CSV_DIALECT, newline: lineBreakOf(text), preview: options.limits.maxRows + 2 });
    const problem = result.errors[0];
    if (problem) {
      const line = lineAt(text, problem.index ?? 0);
      throw new RequestError(`invalid CSV at line ${line}: ${describeCsvError(problem)}`, 400);
    }
    const fields = result.data;
    // A final line break ends the last record; it does not start an empty one. Trailing blank lines go too.
    while (fields.length > 0 && isBlankRow(fields[fields.length - 1]!)) fields.pop();
    let lines: number[] | undefined;
    // Line numbers cost a second, slower parse: only error paths ask for them.
    return { fields, lineOf: (index) => (lines ??= startLines(text, options))[index] ?? 0 };
  }

  private hasHeader(firstRow: string[], options: DecodeOptions): boolean {
    const forced = options.mediaParams['header']?.toLowerCase();
    if (forced === 'present') return true;
    if (forced === 'absent') return false;
    if (forced !== undefined) {
      throw new RequestError(
        `Content-Type parameter header=${quoteInput(options.mediaParams['header']!)} is not supported; use header=present or header=absent`,
        400,
      );
    }
    const schema = options.schema;
    if (!schema) return true;
    // With no required columns every row would "contain" them; fall back to all column names.
    const names = schema.requiredColumns.length > 0 ? schema.requiredColumns : schema.columns.map((c) => c.name);
    const cells = new Set(firstRow.map((cell) => cell.trim()));
    return names.every((name) => cells.has(name));
  }

  private withHeader(rows: ParsedRows, options: DecodeOptions): DecodedBatch {
    const headerLine = (): number => rows.lineOf(0);
    // Header names are trimmed ("a, b" is a common hand-written header); cell values never are.
    const columns = rows.fields[0]!.map((name) => name.trim());
    const empty = columns.flatMap((name, i) => (name === '' ? [i + 1] : []));
    if (empty.length > 0) {
      throw new RequestError(`CSV header (line ${headerLine()}) has an empty column name at position ${empty.join(', ')}`, 400);
    }
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const name of columns) (seen.has(name) ? duplicates : seen).add(name);
    if (duplicates.size > 0) {
      throw new RequestError(`CSV header (line ${headerLine()}) has duplicate column names: ${listQuoted([...duplicates])}`, 400);
    }
    const count = rows.fields.length - 1;
    if (count === 0) throw new RequestError(`CSV has a header row (line ${headerLine()}) but no data rows`, 400);
    checkRowLimit(count, options.limits, 'CSV body');
    const records: InputRecord[] = new Array<InputRecord>(count);
    const picked = modelColumns(columns, options.schema);
    for (let i = 1; i <= count; i++) {
      const row = rows.fields[i]!;
      if (row.length !== columns.length) {
        throw new RequestError(`CSV line ${rows.lineOf(i)} has ${row.length} fields, but the header (line ${headerLine()}) has ${columns.length}`, 400);
      }
      records[i - 1] = picked ? pickRecord(picked, row) : makeRecord(columns, row);
    }
    return { shape: 'csv-header', columns, records, rows: rows.fields.slice(1) };
  }

  private withoutHeader(rows: ParsedRows, options: DecodeOptions): DecodedBatch {
    const schema = options.schema;
    if (!schema) {
      throw new RequestError('CSV without a header cannot be mapped to columns: no model schema is available; send a header row', 400);
    }
    checkRowLimit(rows.fields.length, options.limits, 'CSV body');
    const first = rows.fields[0]!;
    const columns = positionalNames(schema, first.length);
    if (!Array.isArray(columns)) {
      throw new RequestError(`CSV line ${rows.lineOf(0)} has ${first.length} fields, but without a header the model expects ${columns.expected}`, 400);
    }
    const records = rows.fields.map((row, i) => {
      if (row.length !== columns.length) {
        const names = positionalNames(schema, row.length);
        const hint = Array.isArray(names) ? '' : `; without a header the model expects ${names.expected}`;
        throw new RequestError(`CSV line ${rows.lineOf(i)} has ${row.length} fields, but line ${rows.lineOf(0)} has ${columns.length}${hint}`, 400);
      }
      return makeRecord(columns, row);
    });
    return { shape: 'csv-headerless', columns, records, rows: rows.fields };
  }
}

/** A model's columns among a header: names and positions; undefined when the records should hold every column. */
interface PickedColumns {
  names: string[];
  at: number[];
}

function modelColumns(columns: readonly string[], schema: InputSchema | undefined): PickedColumns | undefined {
  if (!schema || schema.columns.length >= columns.length) return undefined;
  const known = new Set(schema.columns.map((c) => c.name));
  const picked: PickedColumns = { names: [], at: [] };
  for (let i = 0; i < columns.length; i++) {
    if (!known.has(columns[i]!)) continue;
    picked.names.push(columns[i]!);
    picked.at.push(i);
  }
  return picked;
}

function pickRecord(picked: PickedColumns, row: readonly Cell[]): InputRecord {
  const values: Cell[] = new Array<Cell>(picked.at.length);
  for (let i = 0; i < picked.at.length; i++) values[i] = row[picked.at[i]!]!;
  return makeRecord(picked.names, values);
}

// papaparse quotes a cell holding the delimiter, a quote, "\r" or "\n" (a lone "\r" too: readers
// that auto-detect line ends would split the row there) or leading/trailing spaces.
function unparse(rows: string[][]): string {
  return `${Papa.unparse(rows, { newline: '\n', quotes: false, escapeFormulae: false })}\n`;
}

/** A line needs the cell-by-cell path when it holds a quote or line break, or a cell with outer spaces. */
const NEEDS_CELLWISE = /["\r\n\ufeff]|^ | $| ,|, /;

/** papaparse's rule (what the record path writes): a quote, line break, BOM or comma, or an outer space. */
const NEEDS_QUOTES = /["\r\n\ufeff,]|^ | $/;

function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Rows of cells as CSV text. A row of scalar cells is joined by Array.prototype.join (which writes
 * null as an empty cell and numbers as String() does, like cellText); the line is used as it is
 * unless some cell needs quoting, then the row is written cell by cell. A per-cell check of 6
 * million cells cost more than the rest of the answer.
 */
function encodeRows(columns: readonly string[], rows: readonly (readonly unknown[])[], header: boolean): string {
  const lines: string[] = [];
  if (header) lines.push(columns.map(csvField).join(','));
  const width = columns.length;
  // Narrow rows: cell by cell straight away (a join first would be wasted on text with commas).
  const joinFirst = width > JOIN_FIRST_WIDTH;
  for (const row of rows) {
    const line = joinFirst && scalarRow(row, width) ? row.join(',') : undefined;
    // A comma inside a cell shows as more separators than the row has cells.
    if (line !== undefined && !NEEDS_CELLWISE.test(line) && commas(line) === width - 1) lines.push(line);
    else {
      let text = csvField(cellText(row[0]));
      for (let c = 1; c < width; c++) text += `,${csvField(cellText(row[c]))}`;
      lines.push(text);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Rows wider than this are joined natively first (most cells of wide tables need no quoting). */
const JOIN_FIRST_WIDTH = 16;

/** Whether join() writes every cell of the row as cellText would (no nested values, no holes past the end). */
function scalarRow(row: readonly unknown[], width: number): boolean {
  if (row.length !== width) return false;
  for (let c = 0; c < width; c++) {
    const value = row[c];
    const type = typeof value;
    if ((type === 'object' && value !== null) || type === 'symbol' || type === 'function') return false;
  }
  return true;
}

function commas(line: string): number {
  let count = 0;
  for (let at = line.indexOf(','); at !== -1; at = line.indexOf(',', at + 1)) count++;
  return count;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // Nested outputs (e.g. top-k lists) travel as JSON text inside one cell.
  return JSON.stringify(value) ?? '';
}

/** The 1-based line on which each record starts (a line break inside a quoted cell starts a new line). */
function startLines(text: string, options: DecodeOptions): number[] {
  const starts: number[] = [];
  let next = 0;
  Papa.parse<string[]>(text, {
    ...CSV_DIALECT,
    newline: lineBreakOf(text),
    preview: options.limits.maxRows + 2,
    step: (row) => {
      starts.push(next);
      next = row.meta.cursor;
    },
  });
  const lines: number[] = [];
  let line = 1;
  let offset = 0;
  for (const start of starts) {
    line += countLineBreaks(text, offset, start);
    offset = start;
    lines.push(line);
  }
  return lines;
}

function isBlankRow(fields: string[]): boolean {
  return fields.length === 1 && fields[0] === '';
}

/** At most this many names are listed in one message. */
const MAX_LISTED_NAMES = 10;

/** `"a", "b"`: each name capped, and at most {@link MAX_LISTED_NAMES} of them ("and 5 more"). */
function listQuoted(names: readonly string[]): string {
  const shown = names
    .slice(0, MAX_LISTED_NAMES)
    .map((name) => quoteInput(name))
    .join(', ');
  return names.length > MAX_LISTED_NAMES ? `${shown} and ${names.length - MAX_LISTED_NAMES} more` : shown;
}
