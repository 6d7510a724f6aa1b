/**
 * A ReportDocument's summary as a terminal table with its warnings under it: what `byoc train`
 * prints at the end when stderr is a terminal.
 */
import type { ReportDocument } from '../contract/report.js';
import { formatCell } from './cells.js';
import { printable } from './terminal-text.js';

export function renderReportText(doc: ReportDocument): string {
  const { columns, rows } = doc.summary;
  const cells = [columns, ...rows.map((r) => columns.map((_, i) => formatCell(r[i] ?? null)))].map((r) => r.map(printable));
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [printable(doc.title), line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  const warnings = [...doc.warnings, ...doc.sections.flatMap((s) => (s.warnings ?? []).map((w) => `${s.heading}: ${w}`))];
  if (warnings.length) out.push('', 'Warnings:', ...warnings.map((w) => `  - ${printable(w)}`));
  return `${out.join('\n')}\n`;
}
