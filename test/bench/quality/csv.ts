/** The CSV both our imputer and the peers read: a header row, RFC 4180 quoting, missing cells empty. */
import { writeFile } from 'node:fs/promises';
import type { BenchTable } from './table.js';

/** Strings our imputer (hyperparameter `missing_values`, default) and the peers read as a missing cell. */
export const MISSING_TOKENS = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', 'none'];

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Serialises the table; numbers at full precision (String(x) round-trips a double). */
export function tableToCsv(table: BenchTable): string {
  const lines = [table.columns.map((c) => csvField(c.name)).join(',')];
  for (let row = 0; row < table.rows; row++) {
    lines.push(
      table.columns
        .map((c) => {
          if (c.kind === 'numeric') return Number.isNaN(c.values[row]!) ? '' : String(c.values[row]);
          const v = c.values[row];
          if (v !== null && MISSING_TOKENS.includes(v.trim()))
            throw new Error(`table ${table.name}, column "${c.name}": the value "${v}" would be read as missing`);
          return v === null ? '' : csvField(v);
        })
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function writeTableCsv(file: string, table: BenchTable): Promise<void> {
  await writeFile(file, tableToCsv(table));
}
