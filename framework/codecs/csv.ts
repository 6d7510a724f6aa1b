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
    const preview = options.limits.maxRows + 2;
    const newline = lineBreakOf(text);
    let fields: string[][];
    if (newline === '\n' && isPlainCsv(text)) fields = splitPlainCsv(text, preview);
    else {
      const result = Papa.parse<string[]>(text, { ...CSV_DIALECT, newline, preview });
      const problem = result.errors[0];
      if (problem) {
        const line = lineAt(text, problem.index ?? 0);
        throw new RequestError(`invalid CSV at line ${line}: ${describeCsvError(problem)}`, 400);
      }
      fields = result.data;
    }
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

/** Text that papaparse would split at every comma and "\n" (no quote; a leading BOM it would strip). */
function isPlainCsv(text: string): boolean {
  return text.indexOf('"') === -1 && text.charCodeAt(0) !== 0xfeff;
}

/**
 * What papaparse gives for a body without quotes and with "\n" line breaks (its "fast mode": every
 * line split at every comma, at most `limit` rows), without its array of every line of the body:
 * on a large body that array and its strings were copied by the garbage collector.
 */
export function splitPlainCsv(text: string, limit: number): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  if (n === 0) return rows;
  for (let start = 0; start <= n && rows.length < limit;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    rows.push(text.slice(start, end).split(','));
    start = end + 1;
  }
  return rows;
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
 *
 * Lines are joined into a text chunk every LINES_PER_CHUNK lines, and the chunks at the end: a
 * large answer's line strings then die young instead of being copied by the garbage collector until
 * the last line is written, and every line is one flat string (join, never `+=`, whose trees of
 * string pieces were most of the collector's work on a large answer).
 */
function encodeRows(columns: readonly string[], rows: readonly (readonly unknown[])[], header: boolean): string {
  if (rows.length === 0 && !header) return '';
  const chunks: string[] = [];
  // One slot more than a chunk's lines: the empty last line that ends the chunk with a line break.
  const lines: string[] = new Array<string>(Math.min(LINES_PER_CHUNK, rows.length + 1) + 1);
  let at = 0;
  const flush = (): void => {
    lines[at] = '';
    lines.length = at + 1;
    chunks.push(lines.join('\n'));
    at = 0;
  };
  if (header) lines[at++] = columns.map(csvField).join(',');
  const width = columns.length;
  const cells = new Array<string>(width);
  // Narrow rows join first only while that mostly works: for text with commas it is wasted work.
  let joined = 0;
  let failed = 0;
  for (const row of rows) {
    const joinFirst = width > JOIN_FIRST_WIDTH || joined < JOIN_TRIAL_ROWS || failed * 4 < joined;
    let line = joinFirst && scalarRow(row, width) ? row.join(',') : undefined;
    if (line !== undefined) {
      joined++;
      if (!plainLine(line, width)) {
        failed++;
        line = undefined;
      }
    }
    if (line === undefined) {
      for (let c = 0; c < width; c++) cells[c] = csvField(cellText(row[c]));
      line = cells.join(',');
    }
    lines[at++] = line;
    if (at === LINES_PER_CHUNK) flush();
  }
  if (at > 0) flush();
  return chunks.length === 1 ? chunks[0]! : chunks.join('');
}

/** Lines per text chunk of encodeRows (as many as a streamed slice has rows). */
const LINES_PER_CHUNK = 4096;

/** Rows wider than this are always joined natively first (most cells of wide tables need no quoting). */
const JOIN_FIRST_WIDTH = 16;

/** Narrow rows: how many are joined first before the share that needed quoting decides. */
const JOIN_TRIAL_ROWS = 64;

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

/**
 * Whether a joined line is the row's CSV as it is: no quote, line break or BOM, no cell with outer
 * spaces (a space at either end of the line or beside a comma), and a comma inside a cell shows as
 * more separators than the row has cells. Native indexOf scans: faster than a regular expression
 * or a loop over the characters.
 */
function plainLine(line: string, width: number): boolean {
  if (line.indexOf('"') !== -1 || line.indexOf('\n') !== -1 || line.indexOf('\r') !== -1 || line.indexOf('\ufeff') !== -1) return false;
  const n = line.length;
  if (n > 0 && (line.charCodeAt(0) === 32 || line.charCodeAt(n - 1) === 32)) return false;
  let commas = 0;
  for (let at = line.indexOf(','); at !== -1; at = line.indexOf(',', at + 1)) {
    if (++commas >= width) return false;
    if (line.charCodeAt(at - 1) === 32 || line.charCodeAt(at + 1) === 32) return false;
  }
  return commas === width - 1;
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
