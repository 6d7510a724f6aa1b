/**
 * The vocabulary of cell values every algorithm shares: which cells are missing, how a cell reads
 * as a number or a boolean, and the index of the largest score.
 */
import type { Cell } from './records.js';

/**
 * Cell values read as missing (after trimming spaces) unless an algorithm is told otherwise: the
 * empty cell and the spellings that pandas, R and SQL exports write for a missing value.
 */
export const DEFAULT_MISSING_VALUES: readonly string[] = Object.freeze(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', 'none']);

/** Tells missing cells from present ones: null, non-finite numbers, and the given tokens (trimmed). */
export class MissingValues {
  private readonly tokens: Set<string>;
  private readonly longest: number;

  constructor(tokens: readonly string[] = DEFAULT_MISSING_VALUES) {
    this.tokens = new Set(tokens.map((t) => t.trim()));
    this.longest = Math.max(0, ...[...this.tokens].map((t) => t.length));
  }

  /** The tokens, trimmed and without repeats, in the order given. */
  list(): string[] {
    return [...this.tokens];
  }

  isMissing(cell: Cell | undefined): boolean {
    if (cell === null || cell === undefined) return true;
    if (typeof cell === 'number') return !Number.isFinite(cell);
    if (typeof cell === 'boolean') return false;
    // A cell longer than every token, with nothing to trim at its ends, cannot be one: skip the
    // trim and the set lookup of (often long) text cells.
    if (cell.length > this.longest && isVisibleAscii(cell.charCodeAt(0)) && isVisibleAscii(cell.charCodeAt(cell.length - 1))) return false;
    return this.tokens.has(cell.trim());
  }

  /** The cell as a trimmed string, or null when missing. */
  value(cell: Cell | undefined): string | null {
    if (this.isMissing(cell)) return null;
    return String(cell).trim();
  }
}

const isVisibleAscii = (c: number): boolean => c > 0x20 && c < 0x7f;

/**
 * The number written in plain decimal notation, `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
 * after trimming spaces, or NaN for any other text. A value too large for a 64-bit float is
 * ±Infinity (a range error, not a notation error). Linear in the text's length: Number() does the
 * reading, and the few texts it reads that are not plain decimals are told apart by their first and
 * last characters, with no regular expression (whose backtracking was quadratic on long digit runs).
 */
export function parseDecimalText(text: string): number {
  const n = Number(text);
  if (Number.isNaN(n)) return NaN;
  const t = text.trim();
  // Number() reads '' as 0, and also reads 'Infinity' and 0x.., 0o.., 0b.. literals.
  if (t === '' || t.charCodeAt(t.length - 1) === 0x79 /* y: Infinity */) return NaN;
  if (t.length > 2 && t.charCodeAt(0) === 0x30) {
    const c = t.charCodeAt(1) | 0x20;
    if (c === 0x78 /* x */ || c === 0x6f /* o */ || c === 0x62 /* b */) return NaN;
  }
  return n;
}

/**
 * A cell's number in plain decimal notation (`12`, `-3.5`, `.5`, `1e-3`; spaces around allowed), or
 * NaN. Not numbers: the empty cell, `Infinity`, `1,234` (ambiguous across locales) and `0x1A`-style
 * literals, which are identifiers in tables far more often than numbers; nor a value beyond a 64-bit
 * float's range. The same notation as `parseDecimalText`.
 */
export function parseNumberText(text: string): number {
  const n = parseDecimalText(text);
  return Number.isFinite(n) ? n : NaN;
}

/** `true`/`1`/`yes` and `false`/`0`/`no` (any case, spaces trimmed); undefined for anything else. */
export function parseBooleanText(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  return undefined;
}

/** Index of the largest of `length` scores starting at `offset` (the first one on ties). */
export function argmax(scores: ArrayLike<number>, length = scores.length, offset = 0): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (scores[offset + k]! > scores[offset + best]!) best = k;
  return best;
}
