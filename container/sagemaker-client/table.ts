/**
 * Prints a CSV (the imputed table an endpoint returns) as aligned columns for a terminal.
 */
import Papa from 'papaparse';

export function formatCsvTable(csv: string, opts: { maxCellWidth?: number; maxRows?: number } = {}): string {
  const maxCell = opts.maxCellWidth ?? 40;
  // Rows may differ in length; empty lines are skipped. CSV papaparse reports as malformed (an unclosed quote, text after a closing quote) is printed as is.
  const parsed = Papa.parse<string[]>(csv, { delimiter: ',', quoteChar: '"', escapeChar: '"', header: false, dynamicTyping: false, skipEmptyLines: true });
  if (parsed.errors.length > 0) return csv;
  const rows = parsed.data;
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
