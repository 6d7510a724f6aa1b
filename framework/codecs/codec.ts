/**
 * The codec contract plus the helpers every codec shares: strict UTF-8 decoding, limit checks,
 * header-less positional mapping via the model's input schema, and prototype-safe record building.
 */
import { setKey, type InputBatch, type InputRecord, type InputSchema, type OutputBatch, type Cell } from '../contract/records.js';
import { RequestError } from '../contract/errors.js';
import type { OutputStructure } from '../contract/prediction.js';

/** The layout of a request body; encoders mirror it where that makes sense (CSV header, JSON envelope). */
export type BatchShape = 'csv-header' | 'csv-headerless' | 'json-instances' | 'json-array' | 'jsonlines';

export interface DecodedBatch extends InputBatch {
  shape: BatchShape;
}

export interface DecodeOptions {
  /** The model's schema, for header detection and header-less mapping. */
  schema?: InputSchema;
  /** Parameters of the Content-Type, lower-cased keys (e.g. header=present|absent, charset). */
  mediaParams: Record<string, string>;
  limits: { maxRows: number; maxColumns: number };
}

export interface Codec {
  /** Canonical media type: 'text/csv' | 'application/json' | 'application/jsonlines'. */
  readonly mediaType: string;
  /** What its records can hold: scalar cells in columns (`table`) or nested values (`document`). */
  readonly structure: OutputStructure;
  /** Other media types that select this codec (e.g. 'application/jsonl'). */
  readonly aliases?: readonly string[];
  decode(body: Uint8Array, options: DecodeOptions): DecodedBatch;
  encode(batch: OutputBatch, requestShape: BatchShape): string;
}

/** Decodes the body as strict UTF-8, strips a leading BOM and refuses empty/blank bodies. */
// ignoreBOM: keep the BOM so that we strip it ourselves, exactly once. One decoder serves every
// request: decode() without {stream: true} starts afresh each call, even after an error.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeText(body: Uint8Array): string {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new RequestError('body is not valid UTF-8', 400);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new RequestError('empty body', 400);
  return text;
}

export function checkRowLimit(count: number, limits: DecodeOptions['limits'], what: string): void {
  if (count > limits.maxRows) {
    throw new RequestError(`${what} has more than ${limits.maxRows} records (the limit per request); split it into smaller requests`, 413);
  }
}

export function checkColumnLimit(count: number, limits: DecodeOptions['limits'], what: string): void {
  if (count > limits.maxColumns) {
    throw new RequestError(`${what} has ${count} columns, more than the limit of ${limits.maxColumns}`, 413);
  }
}

/** Builds a record without going through setters, so a column named "__proto__" stays a plain key. */
export function makeRecord(names: readonly string[], values: readonly Cell[]): InputRecord {
  const record: InputRecord = {};
  for (let i = 0; i < names.length; i++) setKey(record, names[i]!, values[i] ?? null);
  return record;
}

/**
 * Chooses the column names for a positional (header-less) row from the schema: all columns when the
 * count matches, else the required columns. Returns a message describing the mismatch otherwise.
 */
export function positionalNames(schema: InputSchema, fieldCount: number): string[] | { expected: string } {
  const all = schema.columns.map((c) => c.name);
  if (fieldCount === all.length) return all;
  if (fieldCount === schema.requiredColumns.length) return [...schema.requiredColumns];
  const describe = (names: string[]) => `${names.length} (${names.join(', ')})`;
  const expected = all.length === schema.requiredColumns.length ? describe(all) : `${describe(all)} or ${describe(schema.requiredColumns)}`;
  return { expected };
}

/** How many characters of request data an error message quotes. */
export const MAX_QUOTED_CHARS = 100;

/**
 * Request data quoted in an error message: `"text"`, or its first {@link MAX_QUOTED_CHARS}
 * characters, `…` and the original length (`"abc…" (6291456 characters)`), so that a 6 MB key or
 * column name does not come back as a 6 MB error body.
 */
export function quoteInput(text: string, max: number = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return `"${text}"`;
  let end = max;
  // Do not cut a surrogate pair in two.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `"${text.slice(0, end)}…" (${text.length} characters)`;
}

/** Text that is not request data but may embed it (a parser's message): capped, unquoted. */
export function capMessage(text: string, max: number = 4 * MAX_QUOTED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

export function isCell(value: unknown): value is Cell {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * JSON text of one object per row (keys from `columns`, a later duplicate key winning as in
 * JSON.parse): for rows, without building an object of 2,000 keys per row first.
 */
export function rowsToJson(columns: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  // The last position of each name: JSON.parse would keep the last duplicate anyway.
  const last = new Map<string, number>();
  columns.forEach((name, i) => last.set(name, i));
  const keys = [...last.entries()].map(([name, at]) => ({ key: `${JSON.stringify(name)}:`, at }));
  return rows.map((row) => {
    let text = '{';
    for (let k = 0; k < keys.length; k++) {
      const value = row[keys[k]!.at];
      text += `${k === 0 ? '' : ','}${keys[k]!.key}${value === undefined ? 'null' : toJson(value)}`;
    }
    return `${text}}`;
  });
}

/** Serialises records for JSON output; NaN and ±Infinity become null (JSON.stringify's own behaviour, made explicit). */
export function toJson(value: unknown): string {
  // JSON.stringify already writes NaN and ±Infinity as null; only a BigInt makes it throw. A
  // replacer function costs a call per value, so it is used only for that rare case.
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  }
}
