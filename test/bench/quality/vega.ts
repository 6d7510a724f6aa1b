/** The vega-datasets tables (movies, gapminder, flights-5k) as benchmark tables: chosen columns, dates as numbers. */
import { readFileSync } from 'node:fs';
import { numericColumn, stringColumn, validateTable, type BenchTable, type Column } from './table.js';

type JsonRecord = Record<string, unknown>;

/** The package's "exports" hide data/, so the file is read from node_modules (dist/test/bench/quality → repo root). */
function readVega(file: string): JsonRecord[] {
  const url = new URL(`../../../../node_modules/vega-datasets/data/${file}`, import.meta.url);
  const data: unknown = JSON.parse(readFileSync(url, 'utf8'));
  if (!Array.isArray(data) || data.length === 0) throw new Error(`vega-datasets ${file}: expected a non-empty array of records`);
  return data as JsonRecord[];
}

function numbers(records: JsonRecord[], key: string, transform: (v: unknown) => number = Number): Float64Array {
  return Float64Array.from(records, (r) => (r[key] === null || r[key] === undefined || r[key] === '' ? NaN : transform(r[key])));
}

function strings(records: JsonRecord[], key: string): (string | null)[] {
  return records.map((r) => {
    const v = r[key];
    if (v === null || v === undefined || v === '') return null;
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/** "Jun 12 1998" → 1998.45 (fractional year); NaN when unparseable. */
export function fractionalYear(text: unknown): number {
  const ms = Date.parse(String(text));
  if (Number.isNaN(ms)) return NaN;
  const date = new Date(ms);
  const start = Date.UTC(date.getUTCFullYear(), 0, 1);
  const end = Date.UTC(date.getUTCFullYear() + 1, 0, 1);
  return date.getUTCFullYear() + (ms - start) / (end - start);
}

/**
 * movies (3,201 rows): Title as text (input), Distributor as categorical input (174 values), the
 * other numeric and categorical columns as targets; Release Date as a fractional year. Dropped: US DVD
 * Sales (82 % missing) and Director (550 names: nearly an identifier).
 */
export function moviesTable(): BenchTable {
  const records = readVega('movies.json');
  const numeric = ['US Gross', 'Worldwide Gross', 'Production Budget', 'Running Time min', 'Rotten Tomatoes Rating', 'IMDB Rating', 'IMDB Votes'];
  const categorical = ['MPAA Rating', 'Source', 'Major Genre', 'Creative Type'];
  const columns: Column[] = [
    stringColumn('Title', 'text', strings(records, 'Title')),
    numericColumn('Release Year', numbers(records, 'Release Date', fractionalYear)),
    ...numeric.map((c) => numericColumn(c, numbers(records, c))),
    ...categorical.map((c) => stringColumn(c, 'categorical', strings(records, c))),
    stringColumn('Distributor', 'categorical', strings(records, 'Distributor'), false),
  ];
  return validateTable({
    name: 'movies',
    description: 'vega-datasets movies: 7 numeric + release year, 4 categorical targets; Title (text) and Distributor as inputs',
    rows: records.length,
    columns,
  });
}

/** gapminder (682 rows): year, country, cluster (categorical), population, life expectancy, fertility. */
export function gapminderTable(): BenchTable {
  const records = readVega('gapminder.json');
  return validateTable({
    name: 'gapminder',
    description: 'vega-datasets gapminder: year, country (62), cluster (6), pop, life_expect, fertility',
    rows: records.length,
    columns: [
      numericColumn('year', numbers(records, 'year')),
      stringColumn('country', 'categorical', strings(records, 'country')),
      stringColumn('cluster', 'categorical', strings(records, 'cluster')),
      numericColumn('pop', numbers(records, 'pop')),
      numericColumn('life_expect', numbers(records, 'life_expect')),
      numericColumn('fertility', numbers(records, 'fertility')),
    ],
  });
}

/** "2001/01/01 01:10" → [day of year (1-based), hour of day with minutes as a fraction]. */
export function flightTime(text: unknown): [number, number] {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/.exec(String(text));
  if (!match) return [NaN, NaN];
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const day = (Date.UTC(y, mo - 1, d) - Date.UTC(y, 0, 1)) / 86_400_000 + 1;
  return [day, h + mi / 60];
}

/** flights-5k (5,000 rows): day of year, hour, delay, distance as targets; origin and destination (~180 airports each) as inputs. */
export function flightsTable(): BenchTable {
  const records = readVega('flights-5k.json');
  const times = records.map((r) => flightTime(r.date));
  return validateTable({
    name: 'flights-5k',
    description: 'vega-datasets flights-5k: day of year, hour, delay, distance; origin and destination airports as inputs',
    rows: records.length,
    columns: [
      numericColumn(
        'day_of_year',
        times.map((t) => t[0]),
      ),
      numericColumn(
        'hour',
        times.map((t) => t[1]),
      ),
      numericColumn('delay', numbers(records, 'delay')),
      numericColumn('distance', numbers(records, 'distance')),
      stringColumn('origin', 'categorical', strings(records, 'origin'), false),
      stringColumn('destination', 'categorical', strings(records, 'destination'), false),
    ],
  });
}
