/**
 * The benchmark's in-memory tables: column-oriented, typed. Numeric columns are Float64Array with NaN
 * for a missing cell; categorical and text columns are strings with null for a missing cell.
 */

export type ColumnKind = 'numeric' | 'categorical' | 'text';

interface ColumnBase {
  name: string;
  /** Masked and evaluated (text columns are inputs only: no imputer here models free text). */
  target: boolean;
}
export interface NumericColumn extends ColumnBase {
  kind: 'numeric';
  values: Float64Array;
}
export interface StringColumn extends ColumnBase {
  kind: 'categorical' | 'text';
  values: (string | null)[];
}
export type Column = NumericColumn | StringColumn;

export interface BenchTable {
  name: string;
  /** One line on where the data comes from and what was kept. */
  description: string;
  rows: number;
  columns: Column[];
  /**
   * Cells that every mask hides (per column name, row indices), e.g. catalogue rows whose category
   * never occurs in training: they test behaviour on labels unseen in training.
   */
  alwaysMasked?: Record<string, number[]>;
}

export function numericColumn(name: string, values: ArrayLike<number>, target = true): NumericColumn {
  return { name, kind: 'numeric', target, values: Float64Array.from(values) };
}

export function stringColumn(name: string, kind: 'categorical' | 'text', values: (string | null)[], target = kind === 'categorical'): StringColumn {
  return { name, kind, target, values };
}

export function isPresent(column: Column, row: number): boolean {
  return column.kind === 'numeric' ? !Number.isNaN(column.values[row]!) : column.values[row] !== null;
}

/** Checks that every column has `rows` cells and names are unique and CSV/hyperparameter-safe. */
export function validateTable(table: BenchTable): BenchTable {
  const seen = new Set<string>();
  for (const c of table.columns) {
    if (c.values.length !== table.rows) throw new Error(`table ${table.name}: column "${c.name}" has ${c.values.length} cells, expected ${table.rows}`);
    if (seen.has(c.name)) throw new Error(`table ${table.name}: duplicate column "${c.name}"`);
    // column_types is a comma-separated list of "name:type": a name must not contain either separator
    if (/[,:]/.test(c.name)) throw new Error(`table ${table.name}: column name "${c.name}" contains "," or ":"`);
    seen.add(c.name);
  }
  return table;
}
