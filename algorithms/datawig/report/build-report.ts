/**
 * The datawig training report: per imputed column, the model chosen and its settings, validation
 * metrics beside the baselines, its charts and warnings. Built from the model directory's
 * validated files only; complete mode reports each column's model of the last round.
 */
import type { ArtifactStore, ReportCell, ReportChart, ReportDocument, ReportSection, TrainingRecord } from '../../../framework/contract/index.js';
import { readModelIndex, readTargetArtifact } from '../format/model-directory.js';
import type { TargetEntry } from '../format/model-index.js';
import type { TargetArtifact } from '../format/target-artifact.js';
import { confusionMatrix, learningCurve, precisionCoverage, predictedVsTrue, reliabilityDiagram } from './charts.js';
import { metric, targetWarnings } from './warnings.js';

/** Per-class rows beyond this are left out of the table (the most frequent are kept). */
const MAX_CLASS_ROWS = 50;

export async function buildReport(model: ArtifactStore, trained: TrainingRecord): Promise<ReportDocument> {
  const index = await readModelIndex(model);
  const entries = lastRound(index.targets);
  const targets: { entry: TargetEntry; artifact: TargetArtifact }[] = [];
  for (const entry of entries) targets.push({ entry, artifact: await readTargetArtifact(model, entry.dir) });
  const seconds = (label: string): number | undefined => trained.metrics[index.mode === 'single' ? 'fit_seconds' : `${label}.fit_seconds`];
  const sections = targets.map(({ entry, artifact }) => targetSection(artifact, entry, seconds(artifact.label)));
  const rounds = Math.max(...index.targets.map((t) => t.round ?? 1));
  return {
    title: `Training report: ${index.mode === 'single' ? `imputing "${index.label ?? targets[0]!.artifact.label}"` : `${targets.length} imputed columns`}`,
    subtitle: `${trained.algorithm.name} ${trained.algorithm.version}, ${trained.createdAt === undefined ? '' : `trained ${trained.createdAt}, `}${index.mode} mode${rounds > 1 ? ` (${rounds} chained rounds; the last round's models are shown)` : ''}`,
    summary: {
      columns: ['column', 'family', 'metric', 'value', 'baseline', 'rows (train / validation)', 'seconds', 'warnings'],
      rows: targets.map(({ artifact }, i) => summaryRow(artifact, seconds(artifact.label), sections[i]!.warnings?.length ?? 0)),
    },
    warnings: [],
    sections,
  };
}

/** Each label's model of its last round (single mode: the one target). */
function lastRound(entries: readonly TargetEntry[]): TargetEntry[] {
  const last = new Map<string, TargetEntry>();
  for (const e of entries) if ((e.round ?? 1) >= (last.get(e.label)?.round ?? 1)) last.set(e.label, e);
  return [...last.values()];
}

/** The headline metric and its baseline: accuracy against the majority class, RMSE against the mean. */
function headline(a: TargetArtifact): { name: string; value: number | undefined; baseline: number | undefined } {
  return a.task === 'classification'
    ? { name: 'accuracy', value: metric(a, 'accuracy'), baseline: a.diagnostics?.majorityAccuracy }
    : { name: 'RMSE', value: metric(a, 'rmse'), baseline: metric(a, 'rmse_mean_baseline') };
}

function summaryRow(a: TargetArtifact, seconds: number | undefined, warnings: number): ReportCell[] {
  const h = headline(a);
  return [a.label, a.family ?? 'network', h.name, h.value ?? null, h.baseline ?? null, rowCounts(a), seconds ?? null, warnings];
}

function rowCounts(a: TargetArtifact): string {
  return `${metric(a, 'train_rows') ?? '?'} / ${metric(a, 'validation_rows') ?? '?'}`;
}

function targetSection(a: TargetArtifact, entry: TargetEntry, seconds: number | undefined): ReportSection {
  const members = a.members ?? [{ family: 'network', weight: 1, temperature: 1 }];
  const facts: [string, ReportCell][] = [
    ['task', a.task],
    ['model family', a.family ?? 'network'],
    ['members', members.map((m) => `${m.family} (weight ${Number(m.weight.toFixed(3))})`).join(', ')],
    ['rows (train / validation)', rowCounts(a)],
    [
      'features',
      Object.entries(a.featureTypes)
        .map(([name, type]) => `${name} (${type})`)
        .join(', ') || 'none',
    ],
  ];
  if (a.task === 'classification') facts.push(['classes', a.classes.length], ['temperature', a.temperature]);
  if (a.labelTransform) facts.push(['label scale', `${a.labelTransform} (modelled as log(1 + y))`]);
  if (entry.round !== undefined) facts.push(['round', entry.round]);
  if (seconds !== undefined) facts.push(['fit seconds', seconds]);
  const notes: string[] = [];
  const charts: ReportChart[] = [];
  if (a.history.length) charts.push(learningCurve(a.history, metric(a, 'best_epoch')));
  else notes.push(`No learning curve for this family (${a.family ?? 'network'}): it is not trained by epochs.`);
  if (a.task === 'classification') classCharts(a, charts, notes);
  else if (a.diagnostics?.predictedVsTrue?.predicted.length)
    charts.push(predictedVsTrue(a.diagnostics.predictedVsTrue.predicted, a.diagnostics.predictedVsTrue.actual, a.label));
  else notes.push('No predicted-against-true sample was recorded (a model trained before reports).');
  const tables = [metricsTable(a), candidatesTable(a), hyperparametersTable(a)];
  if (a.report) tables.push(classTable(a));
  return { heading: `Column "${a.label}"`, facts, warnings: targetWarnings(a), notes, tables, charts };
}

function classCharts(a: TargetArtifact, charts: ReportChart[], notes: string[]): void {
  if (a.report) charts.push(confusionMatrix(a.report, a.classes));
  const reliability = a.diagnostics?.reliability;
  if (reliability) charts.push(reliabilityDiagram(reliability.before, reliability.after));
  else notes.push('No reliability diagram: the model was trained before reports recorded its bins.');
  const rows = metric(a, 'validation_rows');
  if (a.curves && rows !== undefined) charts.push(precisionCoverage(a.curves, rows));
}

function metricsTable(a: TargetArtifact): { caption: string; columns: string[]; rows: ReportCell[][] } {
  const m = (name: string) => metric(a, name) ?? null;
  const rows: ReportCell[][] =
    a.task === 'classification'
      ? [
          ['accuracy', m('accuracy'), a.diagnostics?.majorityAccuracy ?? null, `most frequent class ("${a.classes[0]}")`],
          ['macro F1', m('macro_f1'), null, ''],
          ['log-loss (calibrated)', m('loss_calibrated'), m('loss_constant'), 'class frequencies (constant family)'],
          ['log-loss (before calibration)', a.diagnostics?.lossUncalibrated ?? null, null, ''],
          ['expected calibration error', m('ece'), m('ece_before'), 'before calibration'],
        ]
      : [
          ['RMSE', m('rmse'), m('rmse_mean_baseline'), 'mean of the training labels'],
          ['loss (standardised squared error)', m('loss'), m('loss_constant'), 'constant family'],
        ];
  return { caption: 'Validation metrics', columns: ['metric', 'model', 'baseline', 'baseline is'], rows };
}

function candidatesTable(a: TargetArtifact): { caption: string; columns: string[]; rows: ReportCell[][] } {
  const rows = (a.candidates ?? []).map((c): ReportCell[] => [c.family, c.loss, c.family === a.family ? 'chosen' : '']);
  return { caption: 'Families tried (validation loss, lower is better)', columns: ['family', 'validation loss', ''], rows };
}

function hyperparametersTable(a: TargetArtifact): { caption: string; columns: string[]; rows: ReportCell[][] } {
  const shown = (v: unknown): ReportCell => (typeof v === 'number' || typeof v === 'string' ? v : v === undefined ? null : JSON.stringify(v));
  return { caption: 'Settings of the fit', columns: ['setting', 'value'], rows: Object.entries(a.config).map(([k, v]) => [k, shown(v)]) };
}

function classTable(a: TargetArtifact): { caption: string; columns: string[]; rows: ReportCell[][] } {
  const per = a.report!.perClass;
  const rows = per.slice(0, MAX_CLASS_ROWS).map((c): ReportCell[] => [c.label, c.precision, c.recall, c.f1, c.support]);
  const more = per.length > MAX_CLASS_ROWS ? ` (the ${MAX_CLASS_ROWS} most frequent of ${per.length})` : '';
  return { caption: `Per class, on validation rows${more}`, columns: ['class', 'precision', 'recall', 'F1', 'support'], rows };
}
