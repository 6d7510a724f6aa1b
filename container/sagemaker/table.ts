/**
 * Prints a CSV (the imputed table an endpoint returns) as aligned columns for a terminal.
 */
import { parse } from 'csv-parse/sync';

export function formatCsvTable(csv: string, opts: { maxCellWidth?: number; maxRows?: number } = {}): string {
  const maxCell = opts.maxCellWidth ?? 40;
  let rows: string[][];
  try {
    rows = parse(csv, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch {
    return csv;
  }
  if (rows.length === 0) return '';
  const limit = opts.maxRows ?? rows.length;
  const shown = rows.slice(0, limit + 1);
  const clip = (v: string): string => {
    const flat = v.replace(/\s+/g, ' ');
    return flat.length > maxCell ? `${flat.slice(0, Math.max(1, maxCell - 1))}…` : flat;
  };
  const cells = shown.map((r) => r.map(clip));
  const cols = Math.max(...cells.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string =>
    widths
      .map((w, c) => (r[c] ?? '').padEnd(w))
      .join('  ')
      .trimEnd();
  const out = [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  if (rows.length > shown.length) out.push(`… ${rows.length - shown.length} more rows`);
  return out.join('\n');
}
