/**
 * The datawig training report on models trained in-process: a section per imputed column with its
 * family, metrics beside the baselines, the charts the column's task calls for (with their data
 * checked against the stored figures), the warnings in words, and the page they make.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestTrainContext, MemoryArtifactStore, RecordingLogger } from '../../framework/testing.js';
import type { InputRecord, ReportChart, ReportDocument, ReportSection, Table } from '../../framework/contract/index.js';
import { createManifest, trainingRecord } from '../../framework/model/manifest.js';
import { renderReportHtml } from '../../framework/report/html-page.js';
import { renderReportText } from '../../framework/report/text-summary.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import type { TargetArtifact } from '../../algorithms/datawig/format/target-artifact.js';
import type { ModelIndex } from '../../algorithms/datawig/format/model-index.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import type { DatawigHyperparameters } from '../../algorithms/datawig/hyperparameters.js';
import { MIN_VALIDATION_ROWS } from '../../algorithms/datawig/report/warnings.js';
import { hp, textTable } from './helpers.js';

const alg = new DatawigAlgorithm();
const COLOURS = ['red', 'green', 'blue'];

/** colour follows x in three bands, price is 3x plus noise, unit is always "kg" (a model has nothing to learn); gaps in all three. */
function shopTable(n: number, seed: number, gapRate: number): Table {
  const r = rng(seed);
  const records: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const x = r() * 10;
    const rec: InputRecord = {
      x: x.toFixed(3),
      noise: (r() * 5).toFixed(2),
      colour: COLOURS[x < 3.3 ? 0 : x < 6.6 ? 1 : 2]!,
      price: (3 * x + (r() - 0.5)).toFixed(2),
      unit: 'kg',
    };
    for (const c of ['colour', 'price', 'unit'] as const) if (r() < gapRate) rec[c] = '';
    records.push(rec);
  }
  return { columns: ['x', 'noise', 'colour', 'price', 'unit'], records };
}

interface Trained {
  model: MemoryArtifactStore;
  document: ReportDocument;
}

/** Trains, then reports the way a training job does: from the manifest's training record. */
async function trainAndReport(channels: Record<string, Table>, overrides: Partial<DatawigHyperparameters>): Promise<Trained> {
  const hyperparameters = hp({ seed: 7, ...overrides });
  const ctx = createTestTrainContext(channels, hyperparameters);
  const result = await alg.train(ctx);
  const manifest = createManifest({
    algorithm: { name: alg.name, version: alg.version },
    framework: { name: 'sagemaker-byoc', version: '0.0.0-test' },
    inputSchema: result.inputSchema,
    hyperparameters: { label_column: overrides.label_column ?? null },
    metrics: result.metrics ?? {},
    now: new Date('2026-02-03T04:05:06.000Z'),
  });
  return { model: ctx.model, document: await report(ctx.model, manifest) };
}

function report(model: MemoryArtifactStore, manifest: ReturnType<typeof createManifest>): Promise<ReportDocument> {
  return alg.report({ model, trained: trainingRecord(manifest), logger: new RecordingLogger() });
}

async function artifactOf(model: MemoryArtifactStore, label: string): Promise<TargetArtifact> {
  const index = await model.readJson<ModelIndex>('model.json');
  const entry = index.targets.filter((t) => t.label === label).at(-1)!;
  return model.readJson<TargetArtifact>(`${entry.dir}/target.json`);
}

function section(doc: ReportDocument, label: string): ReportSection {
  const found = doc.sections.find((s) => s.heading === `Column "${label}"`);
  assert.ok(found, `a section for ${label}: ${doc.sections.map((s) => s.heading).join(', ')}`);
  return found;
}

function chart(s: ReportSection, title: string): ReportChart {
  const found = s.charts?.find((c) => c.title === title);
  assert.ok(found, `chart "${title}" in ${s.heading}: ${(s.charts ?? []).map((c) => c.title).join(', ')}`);
  return found;
}

const fact = (s: ReportSection, key: string) => s.facts?.find(([k]) => k === key)?.[1];
const titles = (s: ReportSection) => (s.charts ?? []).map((c) => c.title);

/** The inline values of a chart's spec, or of one of its layers. */
function values(c: ReportChart, layer?: number): Record<string, unknown>[] {
  const spec = (layer === undefined ? c.spec : (c.spec.layer as Record<string, unknown>[])[layer]!) as { data: { values: Record<string, unknown>[] } };
  return spec.data.values;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

describe('the datawig report of a complete-mode model (auto families, a validation channel)', () => {
  let trained: Trained;
  // 120 validation rows: enough that no column's set counts as too small
  before(async () => {
    trained = await trainAndReport({ train: shopTable(300, 1, 0.15), validation: shopTable(120, 2, 0) }, { num_epochs: 3 });
  });

  it('has a section and a summary row per imputed column, naming the family, the metric and its baseline', async () => {
    const doc = trained.document;
    assert.equal(doc.title, 'Training report: 3 imputed columns');
    assert.equal(doc.subtitle, 'datawig 1.0.0, trained 2026-02-03T04:05:06.000Z, complete mode');
    assert.deepEqual(doc.sections.map((s) => s.heading).sort(), ['Column "colour"', 'Column "price"', 'Column "unit"']);
    const { columns, rows } = doc.summary;
    assert.deepEqual(columns, ['column', 'family', 'metric', 'value', 'baseline', 'rows (train / validation)', 'seconds', 'warnings']);
    assert.equal(rows.length, 3);
    const row = (label: string) => rows.find((r) => r[0] === label)!;
    for (const label of ['colour', 'price', 'unit']) {
      const a = await artifactOf(trained.model, label);
      const s = section(doc, label);
      assert.ok(a.family, label);
      assert.equal(fact(s, 'model family'), a.family, `${label}: the facts name the family`);
      assert.equal(row(label)[1], a.family);
      assert.equal(fact(s, 'task'), a.task);
      assert.equal(row(label)[5], `${a.metrics.train_rows} / ${a.metrics.validation_rows}`);
      assert.equal(fact(s, 'rows (train / validation)'), row(label)[5]);
      assert.equal(typeof row(label)[6], 'number', `${label}: fit seconds from the manifest metrics`);
      assert.equal(row(label)[7], s.warnings!.length);
    }
    assert.equal(row('unit')[1], 'constant', 'one value: nothing to learn');
    // the learnable columns beat their baselines by far
    const [, , cMetric, cValue, cBaseline] = row('colour');
    assert.equal(cMetric, 'accuracy');
    assert.equal(cValue, (await artifactOf(trained.model, 'colour')).metrics.accuracy);
    assert.ok((cValue as number) > 0.8 && (cBaseline as number) < 0.5, `accuracy ${cValue}, majority ${cBaseline}`);
    const [, , pMetric, pValue, pBaseline] = row('price');
    assert.equal(pMetric, 'RMSE');
    assert.equal(pBaseline, (await artifactOf(trained.model, 'price')).metrics.rmse_mean_baseline);
    assert.ok((pValue as number) < (pBaseline as number) / 4, `RMSE ${pValue}, mean baseline ${pBaseline}`);
  });

  it('a class column: labelled confusion matrix, reliability before/after, precision and coverage; tables of metrics, families, settings, classes', async () => {
    const a = await artifactOf(trained.model, 'colour');
    const s = section(trained.document, 'colour');
    assert.deepEqual(titles(s), ['Confusion matrix', 'Reliability diagram', 'Precision and coverage against the threshold']);
    assert.deepEqual(s.notes, [`No learning curve for this family (${a.family}): it is not trained by epochs.`]);
    assert.equal(fact(s, 'classes'), 3);
    const rows = a.metrics.validation_rows!;
    assert.equal(rows, 120);

    const matrix = chart(s, 'Confusion matrix');
    const cells = values(matrix) as { true: string; predicted: string; count: number }[];
    assert.deepEqual([...new Set(cells.map((c) => c.true))].sort(), [...COLOURS].sort(), 'rows labelled with the class names');
    assert.deepEqual([...new Set(cells.map((c) => c.predicted))].sort(), [...COLOURS].sort());
    assert.equal(cells.length, 9);
    assert.equal(sum(cells.map((c) => c.count)), rows);
    const diagonal = sum(cells.filter((c) => c.true === c.predicted).map((c) => c.count));
    assert.equal(diagonal / rows, a.metrics.accuracy);

    const reliability = values(chart(s, 'Reliability diagram'), 1) as { calibration: string; count: number; confidence: number; accuracy: number }[];
    for (const when of ['before', 'after']) {
      const bins = reliability.filter((b) => b.calibration === when);
      assert.ok(bins.length > 0, when);
      assert.equal(sum(bins.map((b) => b.count)), rows, `${when}: every validation row in a bin`);
      for (const b of bins) assert.ok(b.confidence >= 0 && b.confidence <= 1 && b.accuracy >= 0 && b.accuracy <= 1);
    }

    const curve = values(chart(s, 'Precision and coverage against the threshold')) as { threshold: number; measure: string; value: number }[];
    const coverage = curve.filter((v) => v.measure === 'coverage');
    const precision = curve.filter((v) => v.measure === 'precision');
    assert.equal(coverage[0]!.threshold, 0);
    assert.equal(coverage.at(-1)!.threshold, 1);
    assert.equal(coverage[0]!.value, 1, 'at threshold 0 every row is answered');
    assert.ok(Math.abs(precision[0]!.value - a.metrics.accuracy!) < 1e-9, 'at threshold 0 the precision is the accuracy');
    for (let i = 1; i < coverage.length; i++) assert.ok(coverage[i]!.value <= coverage[i - 1]!.value, 'coverage falls as the threshold rises');

    const captions = s.tables!.map((t) => t.caption);
    assert.deepEqual(captions, [
      'Validation metrics',
      'Families tried (validation loss, lower is better)',
      'Settings of the fit',
      'Per class, on validation rows',
    ]);
    const metrics = s.tables![0]!;
    assert.deepEqual(metrics.rows[0], ['accuracy', a.metrics.accuracy, a.diagnostics!.majorityAccuracy, `most frequent class ("${a.classes[0]}")`]);
    const families = s.tables![1]!.rows;
    assert.deepEqual(
      families.filter((r) => r[2] === 'chosen').map((r) => r[0]),
      [a.family],
    );
    assert.deepEqual(s.tables![3]!.rows.map((r) => r[0]).sort(), [...COLOURS].sort());
  });

  it('a number column: predicted against true values from the validation rows; RMSE beside the mean', async () => {
    const a = await artifactOf(trained.model, 'price');
    const s = section(trained.document, 'price');
    assert.deepEqual(titles(s), ['Predicted against true values']);
    assert.equal(fact(s, 'classes'), undefined);
    const points = values(chart(s, 'Predicted against true values'), 1) as { predicted: number; actual: number }[];
    assert.equal(points.length, 120);
    const rmse = Math.sqrt(sum(points.map((p) => (p.predicted - p.actual) ** 2)) / points.length);
    // the stored pairs are what the served values are: rounded to the labels' 2 decimals
    assert.ok(Math.abs(rmse - a.metrics.rmse!) < 0.01, `RMSE of the points ${rmse}, stored ${a.metrics.rmse}`);
    const layer = (chart(s, 'Predicted against true values').spec.layer as { encoding?: { x: { title: string } } }[])[1]!;
    assert.equal(layer.encoding!.x.title, 'true price');
    assert.deepEqual(s.tables![0]!.rows[0], ['RMSE', a.metrics.rmse, a.metrics.rmse_mean_baseline, 'mean of the training labels']);
    assert.equal(s.tables!.length, 3, 'no per-class table');
  });

  it('warns about the constant fallback, and not about the validation sets (120 rows each)', () => {
    const unit = section(trained.document, 'unit');
    assert.ok(
      unit.warnings!.some((w) => w.startsWith('No model was learnt: too few labelled rows or a single class')),
      unit.warnings!.join('\n'),
    );
    for (const s of trained.document.sections)
      assert.ok(!s.warnings!.some((w) => w.includes('validation set is too small')), `${s.heading}: ${s.warnings!.join('\n')}`);
    for (const label of ['colour', 'price']) assert.deepEqual(section(trained.document, label).warnings, [], label);
  });

  it('makes a page whose every chart is drawn as inline SVG, the class names on the matrix axes', async () => {
    const html = await renderReportHtml(trained.document);
    const charts = trained.document.sections.reduce((n, s) => n + (s.charts?.length ?? 0), 0);
    // colour and unit: the three charts of a class column (unit's constant model has no learning curve either); price: one
    assert.equal(charts, 7);
    assert.deepEqual(titles(section(trained.document, 'unit')), titles(section(trained.document, 'colour')));
    assert.doesNotMatch(html, /class="chart-error"/);
    assert.equal([...html.matchAll(/<svg\b/g)].length, charts);
    const matrix = html.split('<figcaption>Confusion matrix</figcaption>')[1]!.split('</figure>')[0]!;
    for (const c of COLOURS) assert.match(matrix, new RegExp(`>${c}</text>`), c);
    const text = renderReportText(trained.document);
    assert.match(text, /^column +family +metric +value +baseline/m);
    assert.match(text, /Column "unit": No model was learnt/);
  });
});

describe('the datawig report of a network trained on a tiny validation set', () => {
  let trained: Trained;
  // 300 rows and the default split: 30 validation rows; 3 epochs: the loss is still falling at the end
  before(async () => {
    trained = await trainAndReport({ train: textTable(300, 3) }, { label_column: 'label', model_family: 'network', num_epochs: 3 });
  });

  it('single mode: one section and row, the network family, a learning curve over the epochs with the best one marked', async () => {
    const doc = trained.document;
    const a = await artifactOf(trained.model, 'label');
    assert.equal(doc.title, 'Training report: imputing "label"');
    assert.match(doc.subtitle!, /, single mode$/);
    assert.equal(doc.sections.length, 1);
    assert.equal(doc.summary.rows.length, 1);
    assert.deepEqual(doc.summary.rows[0]!.slice(0, 3), ['label', 'network', 'accuracy']);
    const s = section(doc, 'label');
    assert.equal(fact(s, 'model family'), 'network');
    assert.equal(fact(s, 'members'), 'network (weight 1)');
    assert.deepEqual(titles(s), ['Learning curve', 'Confusion matrix', 'Reliability diagram', 'Precision and coverage against the threshold']);
    const curve = chart(s, 'Learning curve');
    const points = values(curve, 0) as { epoch: number; split: string; loss: number }[];
    assert.deepEqual(
      points.filter((p) => p.split === 'validation').map((p) => [p.epoch, p.loss]),
      a.history.map((e) => [e.epoch, e.valLoss]),
    );
    assert.equal(points.filter((p) => p.split === 'train').length, 3);
    assert.deepEqual(values(curve, 1), [{ epoch: a.metrics.best_epoch }]);
    assert.match(curve.caption!, new RegExp(`the best epoch \\(${a.metrics.best_epoch}\\)`));
  });

  it('warns that the validation set is too small and that the best epoch is the last, in words', async () => {
    const a = await artifactOf(trained.model, 'label');
    assert.equal(a.metrics.validation_rows, 30);
    assert.equal(a.metrics.best_epoch, 3);
    const s = section(trained.document, 'label');
    assert.deepEqual(s.warnings, [
      `The validation set is too small (30 rows, fewer than ${MIN_VALIDATION_ROWS}): its metrics are rough; add labelled rows or a validation channel.`,
      'The best epoch is the last one (3): the validation loss was still falling when training stopped; more epochs (num_epochs) may help.',
    ]);
    assert.equal(trained.document.summary.rows[0]![7], 2);
    const text = renderReportText(trained.document);
    assert.match(text, /^ {2}- Column "label": The validation set is too small \(30 rows/m);
  });

  it('the learning curve and the other charts draw', async () => {
    const html = await renderReportHtml(trained.document);
    assert.doesNotMatch(html, /class="chart-error"/);
    assert.equal([...html.matchAll(/<svg\b/g)].length, 4);
  });
});

describe('the warnings follow the stored figures', () => {
  let source: Trained;
  before(async () => {
    source = await trainAndReport({ train: shopTable(300, 1, 0.15), validation: shopTable(120, 2, 0) }, { num_epochs: 3 });
  });

  /** A copy of the model with one target's stored figures changed. */
  async function edited(label: string, change: (a: TargetArtifact) => void): Promise<ReportSection> {
    const copy = new MemoryArtifactStore();
    for (const [name, data] of source.model.files) await copy.writeFile(name, data);
    const index = await copy.readJson<ModelIndex>('model.json');
    const dir = index.targets.find((t) => t.label === label)!.dir;
    const a = await copy.readJson<TargetArtifact>(`${dir}/target.json`);
    change(a);
    await copy.writeJson(`${dir}/target.json`, a);
    const manifest = createManifest({
      algorithm: { name: alg.name, version: alg.version },
      framework: { name: 'sagemaker-byoc', version: '0.0.0-test' },
      inputSchema: { columns: [], requiredColumns: [] },
      hyperparameters: {},
    });
    return section(await report(copy, manifest), label);
  }

  it('accuracy below the majority class, and calibration that made the error and the log-loss worse', async () => {
    const s = await edited('colour', (a) => {
      a.metrics.accuracy = 0.25;
      a.diagnostics!.majorityAccuracy = 0.4;
      a.metrics.ece_before = 0.05;
      a.metrics.ece = 0.125;
      a.diagnostics!.lossUncalibrated = 0.5;
      a.metrics.loss_calibrated = 0.75;
    });
    const first = (await artifactOf(source.model, 'colour')).classes[0];
    assert.deepEqual(s.warnings, [
      `Accuracy (0.250) is below the majority class's (0.400): always answering "${first}" would do better.`,
      'Calibration made it worse: the expected calibration error rose from 0.050 to 0.125 on the validation rows.',
      'Calibration made the validation log-loss worse: 0.500 before, 0.750 after.',
    ]);
  });

  it('an RMSE no better than the mean; a small validation set', async () => {
    const s = await edited('price', (a) => {
      a.metrics.rmse = 3;
      a.metrics.rmse_mean_baseline = 2.5;
      a.metrics.validation_rows = 12;
    });
    assert.deepEqual(s.warnings, [
      `The validation set is too small (12 rows, fewer than ${MIN_VALIDATION_ROWS}): its metrics are rough; add labelled rows or a validation channel.`,
      'The RMSE (3.000) is no better than predicting the mean (2.500).',
    ]);
  });

  it('no seconds in the manifest: the summary shows none and the facts leave them out', async () => {
    const s = await edited('price', () => {});
    assert.equal(fact(s, 'fit seconds'), undefined);
  });
});
