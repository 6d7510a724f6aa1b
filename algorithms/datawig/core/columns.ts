/** Column type inference (DataWig's heuristics, overridable). */
import { parseNumberText } from '../../../framework/contract/index.js';
import type { ColumnType } from '../format/featurizer-spec.js';

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
    if (!Number.isNaN(parseNumberText(v))) numeric++;
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
  const fewDistinct = s.distinct <= Math.max(10, 0.1 * s.present) || (s.distinct <= 100 && s.distinct <= 0.3 * s.present);
  if (fewDistinct && s.meanLength < 40) return 'categorical';
  return 'text';
}
