/**
 * Missingness masks in the spirit of DataWig's `generate_missing_mask` (Biessmann et al.): per target
 * column, a share of its known cells is hidden
 *   MCAR  uniformly at random,
 *   MAR   where another (seeded, randomly chosen) column is high,
 *   MNAR  where the column itself is high.
 * "High" is soft, as in DataWig's random percentile window: the hidden cells are drawn at random from
 * the top 2·rate of the ranking (at 30 %: the top 60 %), so the mask depends on the value without
 * being a threshold. Categorical columns are ranked by a seeded random order of their categories.
 */
import { deriveSeed, seededRandom, shuffled, type Random } from './random.js';
import { isPresent, type BenchTable, type Column } from './table.js';

export type Mechanism = 'MCAR' | 'MAR' | 'MNAR';

export interface MaskSpec {
  /** e.g. "mcar10". */
  id: string;
  mechanism: Mechanism;
  /** Share of each target column's known cells to hide, 0..1. */
  rate: number;
}

/** Hidden cells per target column: row indices, ascending. */
export interface Mask {
  spec: MaskSpec;
  hidden: Map<string, number[]>;
  /** The column whose values drive each target's MAR mask. */
  drivers: Map<string, string>;
}

export const ALL_MASKS: readonly MaskSpec[] = (['MCAR', 'MAR', 'MNAR'] as const).flatMap((mechanism) =>
  [10, 30].map((percent) => ({ id: `${mechanism.toLowerCase()}${percent}`, mechanism, rate: percent / 100 })),
);

export function parseMaskId(id: string): MaskSpec {
  const match = /^(mcar|mar|mnar)(\d{1,2})$/.exec(id.trim().toLowerCase());
  if (!match || Number(match[2]) < 1) throw new Error(`mask "${id}": expected mcar|mar|mnar followed by a percentage 1-99, e.g. mcar10, mnar30`);
  return { id: match[0], mechanism: match[1]!.toUpperCase() as Mechanism, rate: Number(match[2]) / 100 };
}

/** A sort key per row (NaN for a missing cell): the value itself, or the rank of a category in a seeded random order. */
export function rankingKey(column: Column, random: Random): Float64Array {
  if (column.kind === 'numeric') return column.values;
  const categories = shuffled([...new Set(column.values.filter((v): v is string => v !== null))].sort(), random);
  const order = new Map(categories.map((c, i) => [c, i]));
  return Float64Array.from(column.values, (v) => (v === null ? NaN : order.get(v)!));
}

/** Picks `count` of `candidates`: at random (MCAR) or at random among the highest 2·count by `key` (ties broken at random). */
export function pickHidden(candidates: number[], count: number, key: Float64Array | null, random: Random): number[] {
  if (count <= 0) return [];
  const jitter = new Map(candidates.map((row) => [row, random()]));
  let pool = candidates;
  if (key) {
    // rows whose driving value is missing rank lowest: their missingness cannot depend on a value nobody knows
    const keyOf = (row: number) => (Number.isNaN(key[row]!) ? -Infinity : key[row]!);
    pool = [...candidates].sort((a, b) => keyOf(b) - keyOf(a) || jitter.get(a)! - jitter.get(b)!).slice(0, Math.min(candidates.length, 2 * count));
  }
  return shuffled(pool, random)
    .slice(0, count)
    .sort((a, b) => a - b);
}

function chooseDriver(table: BenchTable, target: Column, random: Random): Column {
  const others = table.columns.filter((c) => c !== target && c.kind !== 'text');
  if (others.length === 0) return target;
  return others[Math.min(others.length - 1, Math.floor(random() * others.length))]!;
}

/**
 * Builds the mask for one table. Cells missing in the data are never "hidden" (there is no truth to
 * score); `table.alwaysMasked` cells are hidden on top of the rate. In a table without text, a row
 * left without any known cell gets its first hidden cell back, so that it keeps something to impute from.
 */
export function generateMask(table: BenchTable, spec: MaskSpec, seed: number): Mask {
  const hidden = new Map<string, number[]>();
  const drivers = new Map<string, string>();
  for (const column of table.columns) {
    if (!column.target) continue;
    const random = seededRandom(deriveSeed(seed, `${table.name}/${spec.id}/${column.name}`));
    const always = new Set(table.alwaysMasked?.[column.name] ?? []);
    const candidates: number[] = [];
    for (let row = 0; row < table.rows; row++) if (isPresent(column, row) && !always.has(row)) candidates.push(row);
    const count = Math.round(spec.rate * candidates.length);
    let key: Float64Array | null = null;
    if (spec.mechanism !== 'MCAR') {
      const driver = spec.mechanism === 'MAR' ? chooseDriver(table, column, random) : column;
      drivers.set(column.name, driver.name);
      key = rankingKey(driver, random);
    }
    const rows = new Set([...pickHidden(candidates, count, key, random), ...always]);
    hidden.set(
      column.name,
      [...rows].sort((a, b) => a - b),
    );
  }
  keepOneKnownCellPerRow(table, hidden);
  return { spec, hidden, drivers };
}

function keepOneKnownCellPerRow(table: BenchTable, hidden: Map<string, number[]>): void {
  // a text cell is something to impute from: only tables without text can lose a whole row
  if (table.columns.some((c) => c.kind === 'text')) return;
  const hiddenSets = new Map([...hidden].map(([name, rows]) => [name, new Set(rows)]));
  for (let row = 0; row < table.rows; row++) {
    const known = table.columns.some((c) => isPresent(c, row) && !hiddenSets.get(c.name)?.has(row));
    if (known) continue;
    const restore = table.columns.find((c) => hiddenSets.get(c.name)?.has(row) && !(table.alwaysMasked?.[c.name] ?? []).includes(row));
    if (restore) hiddenSets.get(restore.name)!.delete(row);
  }
  for (const [name, rows] of hiddenSets)
    hidden.set(
      name,
      [...rows].sort((a, b) => a - b),
    );
}

/** A copy of the table with the hidden cells missing (the imputers' input). */
export function applyMask(table: BenchTable, mask: Mask): BenchTable {
  return {
    ...table,
    columns: table.columns.map((column) => {
      const rows = mask.hidden.get(column.name);
      if (!rows?.length) return column;
      if (column.kind === 'numeric') {
        const values = Float64Array.from(column.values);
        for (const row of rows) values[row] = NaN;
        return { ...column, values };
      }
      const values = [...column.values];
      for (const row of rows) values[row] = null;
      return { ...column, values };
    }),
  };
}

/** The single-target holdout of a text → category task: `rate` of the label's known cells (MCAR) plus its always-masked cells. */
export function labelHoldout(table: BenchTable, label: string, rate: number, seed: number): Mask {
  const only: BenchTable = { ...table, columns: table.columns.map((c) => ({ ...c, target: c.name === label })) };
  return generateMask(only, { id: `holdout${Math.round(rate * 100)}`, mechanism: 'MCAR', rate }, seed);
}
