/** How a report cell reads, in the page and on a terminal. */
import type { ReportCell } from '../contract/report.js';

/** Numbers with 4 significant digits (integers as they are); null as a dash. */
export function formatCell(cell: ReportCell): string {
  if (cell === null) return '–';
  if (typeof cell === 'string') return cell;
  if (!Number.isFinite(cell)) return String(cell);
  if (Number.isInteger(cell)) return String(cell);
  const abs = Math.abs(cell);
  return abs !== 0 && (abs >= 1e6 || abs < 1e-3) ? cell.toExponential(3) : String(Number(cell.toPrecision(4)));
}
