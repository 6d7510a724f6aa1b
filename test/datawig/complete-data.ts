/** Generated tables for the chained complete-mode tests (seeded: every run sees the same data). */
import type { InputRecord, Table } from '../../framework/contract/index.js';
import { rng } from '../../algorithms/datawig/core/rng.js';

/** A standard normal draw from a uniform source (Box-Muller). */
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** rows x columns numbers of the given rank plus N(0, noise²): every column depends on the others (the DataWig paper's synthetic data). */
export function lowRankTable(rows: number, columns: number, rank: number, seed = 3, noise = 0.1): Table {
  const r = rng(seed);
  const left = Array.from({ length: rows }, () => Array.from({ length: rank }, () => gaussian(r)));
  const right = Array.from({ length: rank }, () => Array.from({ length: columns }, () => gaussian(r)));
  const names = Array.from({ length: columns }, (_, j) => `x${j + 1}`);
  const records: InputRecord[] = left.map((l) => {
    const rec: InputRecord = {};
    names.forEach((name, j) => {
      let v = noise * gaussian(r);
      for (let k = 0; k < rank; k++) v += l[k]! * right[k]![j]!;
      rec[name] = v.toFixed(4);
    });
    return rec;
  });
  return { columns: names, records };
}

/** The table with each cell hidden (emptied) with probability `rate`, missing completely at random. */
export function mcar(table: Table, rate: number, seed = 4): Table {
  const r = rng(seed);
  return {
    columns: table.columns,
    records: table.records.map((rec) => {
      const out: InputRecord = { ...rec };
      for (const c of table.columns) if (r() < rate) out[c] = '';
      return out;
    }),
  };
}
