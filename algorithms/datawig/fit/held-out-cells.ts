/**
 * Complete mode's validation rows. A column's validation rows must look like its gaps. In round 1
 * they do: the cell is hidden from the column's own model and the other cells of the row are raw.
 * From round 2 on, the other columns' imputations in the same row were computed from this very
 * cell, so they carry it, and the validation loss flatters the model more with every round. So a
 * column's validation rows are carried through the rounds on their own, with the column's cell
 * missing ("blind"): the fills they see were made without it, as a gap's are. The cell still
 * serves the other columns' models as a feature, so no known value is lost to training.
 */
import { copyRecord, setKey, type Cell, type InputRecord, type MissingValues } from '../../../framework/contract/index.js';
import { rng } from '../core/rng.js';

/** A column with fewer known cells than this has no validation cells (its fit validates on its training rows). */
export const MIN_VALIDATION_COLUMN = 10;

/** One column's validation cells. */
export interface ColumnValidation {
  /** Their rows, ascending. */
  rows: number[];
  /** Their known values. */
  values: Cell[];
  /** The raw rows at `rows` with the column's cell missing: round 1's validation rows (before the labels go back in). */
  blindRaw: InputRecord[];
}

/** round(share * known) (at least 1) of each column's known cells, seeded per column; none for a column with fewer than MIN_VALIDATION_COLUMN. */
export function validationCells(
  records: readonly InputRecord[],
  columns: readonly string[],
  share: number,
  seed: number,
  missing: MissingValues,
): Map<string, ColumnValidation> {
  const out = new Map<string, ColumnValidation>();
  columns.forEach((c, ci) => {
    const known = records.flatMap((r, j) => (missing.isMissing(r[c]) ? [] : [j]));
    if (known.length < MIN_VALIDATION_COLUMN) return;
    const r = rng((seed ^ 0x5eed0c11) + ci * 0x9e3779b1);
    for (let i = known.length - 1; i > 0; i--) {
      const k = Math.floor(r() * (i + 1));
      [known[i], known[k]] = [known[k]!, known[i]!];
    }
    const rows = known.slice(0, Math.max(1, Math.round(known.length * share))).sort((a, b) => a - b);
    out.set(c, { rows, values: rows.map((j) => records[j]![c]!), blindRaw: rows.map((j) => withCell(records[j]!, c, null)) });
  });
  return out;
}

/** The column's training rows of a round: the round's rows with the validation cells missing. */
export function withoutValidationCells(rows: readonly InputRecord[], column: string, v: ColumnValidation): InputRecord[] {
  const out = rows.slice();
  for (const j of v.rows) out[j] = withCell(rows[j]!, column, null);
  return out;
}

/** The column's validation rows of a round: its blind rows of that round with the known values as labels. */
export function validationRows(blind: readonly InputRecord[], column: string, v: ColumnValidation): InputRecord[] {
  return blind.map((r, k) => withCell(r, column, v.values[k]!));
}

export function withCell(r: InputRecord, key: string, value: Cell): InputRecord {
  const out = copyRecord(r);
  setKey(out, key, value);
  return out;
}
