/**
 * The demo's table: the `movies` data set of the vega-datasets npm package (3,201 films with real
 * gaps), converted to CSV at run time so that no data is copied into the repository.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import Papa from 'papaparse';

export async function readMovies(): Promise<{ columns: string[]; rows: Array<Record<string, unknown>> }> {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    // The package exports only its JS entry, so locate its folder through that and read the data file.
    const entryFile = require.resolve('vega-datasets');
    file = path.join(entryFile.slice(0, entryFile.lastIndexOf(`${path.sep}vega-datasets${path.sep}`)), 'vega-datasets', 'data', 'movies.json');
  } catch {
    throw new Error('the demo needs the vega-datasets package (a dev dependency): run `npm ci` first');
  }
  const rows = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>;
  const columns = Object.keys(rows[0] ?? {});
  return { columns, rows };
}

/** CSV with a header; null cells become empty cells (the imputer's missing values). */
export function toCsv(columns: string[], rows: Array<Record<string, unknown>>): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- cells of a JSON dataset: strings, numbers, booleans
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))));
  // "\n" after every line, the last one included.
  return `${Papa.unparse([columns, ...cells], { newline: '\n', quotes: false, escapeFormulae: false })}\n`;
}
