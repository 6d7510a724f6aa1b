/**
 * A ReportDocument as one self-contained HTML page: inline CSS, charts as inline SVG, no script,
 * and a content security policy that forbids loading anything, so the page opens offline.
 * Every text from the document is escaped (it comes from an untrusted model directory).
 */
import type { ReportChart, ReportDocument, ReportSection, ReportTable } from '../contract/report.js';
import { formatCell } from './cells.js';
import { renderChartSvg } from './svg-chart.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 0 auto; max-width: 1200px; padding: 1.5em; }
h1 { margin-bottom: 0.1em; } h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; }
.subtitle { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.25em; }
ul.warnings { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.6em 0.6em 0.6em 2em; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; }
dl.facts dt { color: #57606a; } dl.facts dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; } figcaption { font-weight: 600; } .chart-note { color: #57606a; max-width: 420px; }
.chart-error { color: #cf222e; }
nav ul { columns: 3; }
`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export async function renderReportHtml(doc: ReportDocument): Promise<string> {
  const sections: string[] = [];
  // one chart at a time: rendering is CPU-bound, and a training job's threads are done by now
  for (const [i, section] of doc.sections.entries()) sections.push(await renderSection(section, i));
  const toc =
    doc.sections.length > 1
      ? `<nav><ul>${doc.sections.map((s, i) => `<li><a href="#section-${i}">${escapeHtml(s.heading)}</a></li>`).join('')}</ul></nav>`
      : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(doc.title)}</h1>`,
    doc.subtitle ? `<p class="subtitle">${escapeHtml(doc.subtitle)}</p>` : '',
    renderTable(doc.summary, 'summary'),
    renderWarnings(doc.warnings),
    toc,
    ...sections,
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

async function renderSection(section: ReportSection, index: number): Promise<string> {
  const parts = [`<section id="section-${index}" class="report-section">`, `<h2>${escapeHtml(section.heading)}</h2>`];
  parts.push(renderWarnings(section.warnings ?? []));
  if (section.facts?.length)
    parts.push(`<dl class="facts">${section.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(formatCell(v))}</dd>`).join('')}</dl>`);
  for (const note of section.notes ?? []) parts.push(`<p class="note">${escapeHtml(note)}</p>`);
  if (section.charts?.length) {
    const figures: string[] = [];
    for (const chart of section.charts) figures.push(await renderFigure(chart));
    parts.push(`<div class="charts">${figures.join('\n')}</div>`);
  }
  for (const table of section.tables ?? []) parts.push(renderTable(table));
  parts.push('</section>');
  return parts.filter((p) => p !== '').join('\n');
}

/** A chart that cannot be drawn says so in its place: the rest of the page still renders. */
async function renderFigure(chart: ReportChart): Promise<string> {
  let body: string;
  try {
    body = await renderChartSvg(chart);
  } catch (error) {
    body = `<p class="chart-error">This chart could not be drawn: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`;
  }
  const caption = chart.caption ? `<p class="chart-note">${escapeHtml(chart.caption)}</p>` : '';
  return `<figure class="chart"><figcaption>${escapeHtml(chart.title)}</figcaption>${body}${caption}</figure>`;
}

function renderWarnings(warnings: readonly string[]): string {
  if (!warnings.length) return '';
  return `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`;
}

function renderTable(table: ReportTable, className = ''): string {
  const head = `<tr>${table.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')}</tr>`;
  const rows = table.rows.map(
    (row) => `<tr>${row.map((cell) => `<td${typeof cell === 'number' ? ' class="num"' : ''}>${escapeHtml(formatCell(cell))}</td>`).join('')}</tr>`,
  );
  const caption = table.caption ? `<caption>${escapeHtml(table.caption)}</caption>` : '';
  return `<table${className ? ` class="${className}"` : ''}>${caption}<thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}
