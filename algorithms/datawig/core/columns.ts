/** Missing-cell detection and column type inference (DataWig's heuristics, overridable). */
import type { Cell } from '../../../framework/contract/index.js';
import type { ColumnType } from '../format/featurizer-spec.js';

export const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', 'none'];

export class MissingSpec {
  private readonly set: Set<string>;
  private readonly longest: number;
  constructor(tokens: readonly string[]) {
    this.set = new Set(tokens.map((t) => t.trim()));
    this.longest = Math.max(0, ...[...this.set].map((t) => t.length));
  }
  isMissing(v: Cell | undefined): boolean {
    if (v === null || v === undefined) return true;
    if (typeof v === 'number') return !Number.isFinite(v);
    if (typeof v === 'boolean') return false;
    // A cell longer than every token, with nothing to trim at its ends, cannot be one: skip the
    // trim and the hashing of (often long) text cells.
    if (v.length > this.longest && isVisibleAscii(v.charCodeAt(0)) && isVisibleAscii(v.charCodeAt(v.length - 1))) return false;
    return this.set.has(v.trim());
  }
  /** The cell as a trimmed string, or null when missing. */
  value(v: Cell | undefined): string | null {
    if (this.isMissing(v)) return null;
    return String(v).trim();
  }
}

const isVisibleAscii = (c: number): boolean => c > 0x20 && c < 0x7f;

/** Parses a numeric cell ("1,234" is not accepted: ambiguous across locales). */
export function parseNumber(s: string): number {
  if (s === '') return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

export interface ColumnStats {
  present: number;
  distinct: number;
  numeric: number;
  meanLength: number;
}

export function columnStats(values: (string | null)[]): ColumnStats {
  const seen = new Set<string>();
  let present = 0;
  let numeric = 0;
  let len = 0;
  for (const v of values) {
    if (v === null) continue;
    present++;
    seen.add(v);
    if (!Number.isNaN(parseNumber(v))) numeric++;
    len += v.length;
  }
  return { present, distinct: seen.size, numeric, meanLength: present ? len / present : 0 };
}

/**
 * numeric: every present cell parses as a number and there are more than 10 distinct values
 * (few distinct integers, e.g. a 1-5 rating, are treated as categories); categorical: few
 * distinct values relative to the rows (DataWig's ratio heuristic) and short values; text otherwise.
 */
export function inferType(s: ColumnStats): ColumnType {
  if (s.present === 0) return 'categorical';
  if (s.numeric === s.present && s.distinct > 10) return 'numeric';
  if (s.numeric === s.present) return 'categorical';
  const fewDistinct = s.distinct <= Math.max(10, 0.1 * s.present) || s.distinct <= 100 && s.distinct <= 0.3 * s.present;
  if (fewDistinct && s.meanLength < 40) return 'categorical';
  return 'text';
}
