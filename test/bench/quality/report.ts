/** Markdown tables of the results (stdout), ready to paste into docs. */
import type { ColumnScores } from './evaluate.js';
import { summarise, type AcceptanceSummary, type ColumnCase } from './metrics.js';
import { PEER_LABELS, type PeerName } from './peers.js';
import type { TableTaskResult, TextTaskResult } from './runner.js';

/** The issue's timing targets: complete mode on the 600 x 30 numeric table, text → category fit vs the linear model. */
export const COMPLETE_MODE_TARGET_SECONDS = 60;
export const TEXT_FIT_TARGET_RATIO = 3;

export function formatNumber(x: number | undefined, digits = 3): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return 'inf';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(digits);
}

/** An aligned markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ratioCell = (ratio: number) => (Number.isNaN(ratio) ? '–' : `${formatNumber(ratio, 2)}${ratio > 1.1 ? ' ✗' : ''}`);

export function columnsTable(results: TableTaskResult[], peers: readonly PeerName[], variants: string[]): string {
  const header = ['table', 'mask', 'column', 'metric', 'cells', ...peers.map((p) => p), ...variants, 'best peer', ...variants.map((v) => `${v}/best`)];
  const rows = results.flatMap((task) =>
    task.columns.map((c) => [
      c.table,
      c.mask,
      c.column,
      c.kind === 'numeric' ? 'nMSE' : 'err',
      String(c.cells),
      ...peers.map((p) => formatNumber(c.peers[p]?.error)),
      ...variants.map((v) => `${formatNumber(c.ours[v]?.error)}${c.ours[v]?.unfilled ? ` (${c.ours[v]!.unfilled} empty)` : ''}`),
      c.bestPeer ?? '–',
      ...variants.map((v) => ratioCell(c.ratio[v]!)),
    ]),
  );
  return markdownTable(header, rows);
}

export function classF1Table(results: TableTaskResult[], peers: readonly PeerName[], variants: string[]): string {
  const header = ['table', 'mask', 'column', ...peers, ...variants];
  const rows = results.flatMap((task) =>
    task.columns
      .filter((c) => c.kind === 'categorical')
      .map((c) => [
        c.table,
        c.mask,
        c.column,
        ...peers.map((p) => formatNumber(c.peers[p]?.macroF1)),
        ...variants.map((v) => formatNumber(c.ours[v]?.macroF1)),
      ]),
  );
  return markdownTable(header, rows);
}

export function timingTable(results: TableTaskResult[], peers: readonly PeerName[], variants: string[]): string {
  const header = ['table', 'mask', 'rows', ...variants.map((v) => `${v} train s`), ...variants.map((v) => `${v} impute s`), ...peers.map((p) => `${p} s`)];
  const rows = results.map((task) => {
    const seconds = (method: string, field: 'trainSeconds' | 'imputeSeconds' = 'trainSeconds') => {
      const t = task.timings.find((x) => x.method === method);
      return t?.error ? 'failed' : formatNumber(t?.[field], 2);
    };
    return [
      task.table,
      task.mask,
      String(task.rows),
      ...variants.map((v) => seconds(v)),
      ...variants.map((v) => seconds(v, 'imputeSeconds')),
      ...peers.map((p) => seconds(p)),
    ];
  });
  return markdownTable(header, rows);
}

export function casesOf(results: TableTaskResult[], variant: string): ColumnCase[] {
  return results.flatMap((task) =>
    task.columns.map((c: ColumnScores) => ({ table: c.table, mask: c.mask, column: c.column, kind: c.kind, ratio: c.ratio[variant]! })),
  );
}

export function acceptanceTable(summaries: Map<string, AcceptanceSummary>): string {
  const variants = [...summaries.keys()];
  const tables = [...new Set([...summaries.values()].flatMap((s) => s.perTable.map((t) => t.table)))];
  const header = ['median ratio to the best peer', ...variants.flatMap((v) => [`${v} numbers`, `${v} classes`])];
  const rows = tables.map((table) => [
    table,
    ...variants.flatMap((v) => {
      const t = summaries.get(v)!.perTable.find((x) => x.table === table);
      return [formatNumber(t?.numbers, 2), formatNumber(t?.classes, 2)];
    }),
  ]);
  rows.push([
    '**all columns**',
    ...variants.flatMap((v) => [formatNumber(summaries.get(v)!.overallNumbers, 2), formatNumber(summaries.get(v)!.overallClasses, 2)]),
  ]);
  rows.push(['columns > 10 % worse', ...variants.flatMap((v) => [`${summaries.get(v)!.worse.length} of ${summaries.get(v)!.cases}`, ''])]);
  rows.push(['acceptance (issue 12)', ...variants.flatMap((v) => [summaries.get(v)!.passes ? 'pass' : 'FAIL', ''])]);
  return markdownTable(header, rows);
}

export function textTable(results: TextTaskResult[], variants: string[]): string {
  const header = [
    'task',
    'classes',
    'train',
    'eval',
    'unseen',
    ...variants.flatMap((v) => [`${v} acc`, `${v} F1`, `${v} fit s (process s)`]),
    'linear acc',
    'linear F1',
    'linear fit s',
    ...variants.map((v) => `${v} beats linear`),
  ];
  const rows = results.map((r) => {
    const linear = r.methods.hashed_linear;
    return [
      `${r.table}: ${r.label}`,
      String(r.classes),
      String(r.trainRows),
      String(r.evalRows),
      String(r.unseenRows),
      ...variants.flatMap((v) => [
        formatNumber(r.methods[v]?.accuracy),
        formatNumber(r.methods[v]?.macroF1),
        `${formatNumber(r.methods[v]?.fitSeconds, 2)} (${formatNumber(r.methods[v]?.trainSeconds, 2)})`,
      ]),
      formatNumber(linear?.accuracy),
      formatNumber(linear?.macroF1),
      `${formatNumber(linear?.trainSeconds, 2)}${linear?.details?.alpha ? ` (α ${linear.details.alpha.toExponential(0)})` : ''}`,
      ...variants.map((v) => {
        const ours = r.methods[v];
        if (!ours || !linear || Number.isNaN(ours.accuracy) || Number.isNaN(linear.accuracy)) return '–';
        return ours.accuracy > linear.accuracy && ours.macroF1 > linear.macroF1 ? 'yes' : 'no';
      }),
    ];
  });
  return markdownTable(header, rows);
}

export function timingTargetsTable(tableResults: TableTaskResult[], textResults: TextTaskResult[], variants: string[]): string {
  const rows: string[][] = [];
  for (const v of variants) {
    const lowRank = tableResults.filter((t) => t.table === 'lowrank').map((t) => t.timings.find((x) => x.method === v)?.trainSeconds ?? NaN);
    const worst = lowRank.length ? Math.max(...lowRank) : NaN;
    rows.push([
      v,
      `complete mode, lowrank 600 x 30, slowest of ${lowRank.length} mask(s)`,
      Number.isNaN(worst) ? 'not run' : `${formatNumber(worst, 1)} s`,
      `< ${COMPLETE_MODE_TARGET_SECONDS} s`,
      Number.isNaN(worst) ? '–' : worst < COMPLETE_MODE_TARGET_SECONDS ? 'pass' : 'FAIL',
    ]);
    for (const r of textResults) {
      // both sides' fitting, featurising included, without a process start-up (the peer's Python start is not counted either)
      const ours = r.methods[v]?.fitSeconds ?? NaN;
      const linear = r.methods.hashed_linear?.fitSeconds ?? NaN;
      const ratio = ours / linear;
      rows.push([
        v,
        `text → category fit, ${r.table}: ${r.label} (${formatNumber(ours, 1)} s vs linear ${formatNumber(linear, 2)} s)`,
        Number.isNaN(ratio) ? '–' : `${formatNumber(ratio, 1)}x`,
        `≤ ${TEXT_FIT_TARGET_RATIO}x`,
        Number.isNaN(ratio) ? '–' : ratio <= TEXT_FIT_TARGET_RATIO ? 'pass' : 'FAIL',
      ]);
    }
  }
  return markdownTable(['variant', 'target', 'measured', 'goal', ''], rows);
}

/** The worst cases first, at most `limit` of them named. */
function worseList(worse: readonly ColumnCase[], limit = 12): string {
  const sorted = [...worse].sort((a, b) => (Number.isNaN(a.ratio) ? -1 : Number.isNaN(b.ratio) ? 1 : b.ratio - a.ratio));
  const named = sorted
    .slice(0, limit)
    .map(
      (w) =>
        `${w.table}/${w.mask}/${w.column} ${Number.isNaN(w.ratio) ? 'failed' : Number.isFinite(w.ratio) ? `${formatNumber(w.ratio, 2)}x` : 'inf (best peer 0)'}`,
    );
  return `${named.join(', ')}${worse.length > limit ? `, and ${worse.length - limit} more` : ''}`;
}

export function fullReport(tableResults: TableTaskResult[], textResults: TextTaskResult[], peers: readonly PeerName[], variants: string[]): string {
  const tablePeers = peers.filter((p) => p !== 'hashed_linear');
  const summaries = new Map(variants.map((v) => [v, summarise(casesOf(tableResults, v))]));
  const legend = tablePeers.map((p) => `${p} = ${PEER_LABELS[p]}`).join('; ');
  const parts = [
    `## Per column: error on the hidden cells (nMSE = MSE / variance of the column's known values; err = error rate; lower is better)\n\n${legend}. ✗ = more than 10 % worse than the best peer.\n`,
    columnsTable(tableResults, tablePeers, variants),
  ];
  if (tableResults.some((t) => t.columns.some((c) => c.kind === 'categorical')))
    parts.push(
      '\n## Categorical columns: macro-F1 over the classes present in the truth (higher is better)\n',
      classF1Table(tableResults, tablePeers, variants),
    );
  parts.push(
    '\n## Training seconds (ours: `byoc train` process incl. start-up; peers: fit / fit_transform)\n',
    timingTable(tableResults, tablePeers, variants),
  );
  if (tableResults.length) parts.push('\n## Acceptance: median over columns of (ours / best peer), per table and overall\n', acceptanceTable(summaries));
  for (const [v, s] of summaries) if (s.worse.length) parts.push(`\n${v}: columns more than 10 % worse than the best peer: ${worseList(s.worse)}`);
  if (textResults.length)
    parts.push(
      '\n## Text → category (single label_column; 20 % of the known labels held out; linear = hashed 1-2-gram SGD logistic, α chosen on 10 % of the training rows, linear fit s = its final fit; ours: the training job seconds (manifest training_seconds), the whole `byoc train` process in parentheses)\n',
      textTable(textResults, variants),
    );
  parts.push('\n## Timing targets (issue 12, part 3)\n', timingTargetsTable(tableResults, textResults, variants));
  return `${parts.join('\n')}\n`;
}
