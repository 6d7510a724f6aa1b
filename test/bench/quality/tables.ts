/** The benchmark's tables (issue 12: only vega-datasets movies, gapminder, flights-5k and generated ones) and text → category tasks. */
import { catalogueTable, coordinatesTable, lowRankTable, swissRollTable } from './generated.js';
import type { BenchTable } from './table.js';
import { flightsTable, gapminderTable, moviesTable } from './vega.js';

export interface TableEntry {
  name: string;
  load: (seed: number) => BenchTable;
  /** Part of the --quick subset. */
  quick: boolean;
  /** Labels of the text → category tasks on this table (ours vs the hashed linear model). */
  textLabels: string[];
  /** Masks of this table in --quick runs (default QUICK_MASKS). */
  quickMasks?: string[];
}

export const TABLES: readonly TableEntry[] = [
  { name: 'movies', load: () => moviesTable(), quick: false, textLabels: ['Major Genre', 'Creative Type', 'MPAA Rating'] },
  { name: 'gapminder', load: () => gapminderTable(), quick: true, textLabels: [] },
  { name: 'flights-5k', load: () => flightsTable(), quick: false, textLabels: [] },
  // one mask in --quick: 30 columns make it the slowest table, and it carries the complete-mode timing target
  { name: 'lowrank', load: (seed) => lowRankTable(seed), quick: true, textLabels: [], quickMasks: ['mcar30'] },
  { name: 'swissroll', load: (seed) => swissRollTable(seed), quick: false, textLabels: [] },
  { name: 'catalogue', load: (seed) => catalogueTable(seed), quick: true, textLabels: ['category'] },
  { name: 'coordinates', load: (seed) => coordinatesTable(seed), quick: true, textLabels: [] },
];

/** --quick: fewer masks (one per mechanism family) on the quick tables. */
export const QUICK_MASKS = ['mcar30', 'mnar10'];

export function selectTables(names: string[] | undefined, quick: boolean): TableEntry[] {
  if (!names) return TABLES.filter((t) => !quick || t.quick);
  return names.map((name) => {
    const entry = TABLES.find((t) => t.name === name || (name === 'flights' && t.name === 'flights-5k'));
    if (!entry) throw new Error(`unknown table "${name}"; the tables are: ${TABLES.map((t) => t.name).join(', ')}`);
    return entry;
  });
}
