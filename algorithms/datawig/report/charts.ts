/**
 * The report's charts of one target model, as vega-lite specifications with inline data (the
 * framework draws them). Only what the model directory recorded is plotted.
 */
import type { ReportChart } from '../../../framework/contract/index.js';
import type { ClassReport, EpochReport, PrecisionCurves, ReliabilityBin } from '../format/target-artifact.js';

/** More classes than this make an unreadable matrix: the most frequent ones are shown. */
export const MAX_MATRIX_CLASSES = 15;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const UNIT = { type: 'quantitative', scale: { domain: [0, 1] } } as const;

/** The diagonal y = x over [lo, hi], dashed: where a perfect model's points lie (on the other layer's fields, so that the axes keep their titles). */
function diagonal(lo: number, hi: number, x: string, y: string): Record<string, unknown> {
  return {
    data: {
      values: [
        { [x]: lo, [y]: lo },
        { [x]: hi, [y]: hi },
      ],
    },
    mark: { type: 'line', color: '#8c959f', strokeDash: [4, 4] },
    encoding: { x: { field: x, type: 'quantitative' }, y: { field: y, type: 'quantitative' } },
  };
}

export function learningCurve(history: readonly EpochReport[], bestEpoch: number | undefined): ReportChart {
  const values = history.flatMap((e) => [
    { epoch: e.epoch, split: 'train', loss: e.trainLoss },
    { epoch: e.epoch, split: 'validation', loss: e.valLoss },
  ]);
  const layers: Record<string, unknown>[] = [
    {
      data: { values: values.filter((v) => typeof v.loss === 'number' && Number.isFinite(v.loss)) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null },
      },
    },
  ];
  if (bestEpoch !== undefined)
    layers.push({
      data: { values: [{ epoch: bestEpoch }] },
      mark: { type: 'rule', strokeDash: [2, 2], color: '#57606a' },
      encoding: { x: { field: 'epoch', type: 'quantitative' } },
    });
  return {
    title: 'Learning curve',
    spec: { $schema: SCHEMA, layer: layers },
    caption: `Training and validation loss per epoch${bestEpoch === undefined ? '' : `; the dotted line marks the best epoch (${bestEpoch}), whose weights are kept`}.`,
  };
}

/** Rows: true class (the last row: labels the model does not know), columns: predicted class. */
export function confusionMatrix(report: ClassReport, classes: readonly string[]): ReportChart {
  const shown = classes.slice(0, MAX_MATRIX_CLASSES);
  const unknownLabel = '(unseen label)';
  const values: { true: string; predicted: string; count: number }[] = [];
  report.confusion.forEach((row, t) => {
    const truth = t < classes.length ? classes[t]! : unknownLabel;
    if (t < classes.length && t >= shown.length) return;
    if (t === classes.length && row.every((c) => c === 0)) return;
    row.slice(0, shown.length).forEach((count, p) => values.push({ true: truth, predicted: shown[p]!, count }));
  });
  const trueOrder = [...shown, ...(values.some((v) => v.true === unknownLabel) ? [unknownLabel] : [])];
  const side = Math.min(420, 28 * Math.max(shown.length, 4));
  return {
    title: 'Confusion matrix',
    spec: {
      $schema: SCHEMA,
      width: side,
      height: side,
      data: { values },
      encoding: {
        x: { field: 'predicted', type: 'nominal', sort: shown, title: 'predicted class', axis: { labelAngle: -45 } },
        y: { field: 'true', type: 'nominal', sort: trueOrder, title: 'true class' },
      },
      layer: [
        { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', title: 'rows', scale: { scheme: 'blues' } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'count', type: 'quantitative' } } },
      ],
    },
    caption:
      classes.length > shown.length
        ? `Validation rows by true and predicted class; the ${shown.length} most frequent of ${classes.length} classes.`
        : 'Validation rows by true and predicted class.',
  };
}

export function reliabilityDiagram(before: readonly ReliabilityBin[], after: readonly ReliabilityBin[]): ReportChart {
  const values = [...before.map((b) => ({ ...b, calibration: 'before' })), ...after.map((b) => ({ ...b, calibration: 'after' }))];
  return {
    title: 'Reliability diagram',
    spec: {
      $schema: SCHEMA,
      layer: [
        diagonal(0, 1, 'confidence', 'accuracy'),
        {
          data: { values },
          mark: { type: 'line', point: true },
          encoding: {
            x: { ...UNIT, field: 'confidence', title: 'predicted probability (top class)' },
            y: { ...UNIT, field: 'accuracy', title: 'share correct' },
            color: { field: 'calibration', type: 'nominal', title: 'calibration', sort: ['before', 'after'] },
            tooltip: [{ field: 'count', type: 'quantitative' }],
          },
        },
      ],
    },
    caption:
      'Per bin of the predicted probability, the share of validation rows predicted right, before and after temperature scaling; on the diagonal, probabilities mean what they say.',
  };
}

/**
 * Over all classes, for each threshold s/100: the precision of the predictions with probability
 * >= s/100 and the share of validation rows they cover (what precision_threshold trades).
 */
export function precisionCoverage(curves: PrecisionCurves, validationRows: number): ReportChart {
  const steps = curves.count[0]?.length ?? 0;
  const values: { threshold: number; measure: string; value: number }[] = [];
  for (let s = 0; s < steps; s++) {
    let rows = 0;
    let hits = 0;
    curves.count.forEach((c, k) => {
      rows += c[s]!;
      hits += c[s]! * curves.precision[k]![s]!;
    });
    const threshold = s / Math.max(1, steps - 1);
    if (rows > 0) values.push({ threshold, measure: 'precision', value: hits / rows });
    values.push({ threshold, measure: 'coverage', value: rows / Math.max(1, validationRows) });
  }
  return {
    title: 'Precision and coverage against the threshold',
    spec: {
      $schema: SCHEMA,
      data: { values },
      mark: 'line',
      encoding: {
        x: { ...UNIT, field: 'threshold', title: 'precision_threshold (minimum probability)' },
        y: { ...UNIT, field: 'value', title: null },
        color: { field: 'measure', type: 'nominal', title: null },
      },
    },
    caption: 'A cell is imputed only when its probability reaches the threshold: precision of those answers, and the share of validation rows still answered.',
  };
}

export function predictedVsTrue(predicted: readonly number[], actual: readonly number[], label: string): ReportChart {
  const values = predicted.map((p, i) => ({ predicted: p, actual: actual[i]! }));
  const all = [...predicted, ...actual];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  return {
    title: 'Predicted against true values',
    spec: {
      $schema: SCHEMA,
      layer: [
        diagonal(lo, hi, 'actual', 'predicted'),
        {
          data: { values },
          mark: { type: 'point', filled: true, opacity: 0.5, size: 20 },
          encoding: {
            x: { field: 'actual', type: 'quantitative', title: `true ${label}`, scale: { zero: false } },
            y: { field: 'predicted', type: 'quantitative', title: `predicted ${label}`, scale: { zero: false } },
          },
        },
      ],
    },
    caption: `${values.length} validation rows (evenly spaced); on the dashed line the prediction is exact.`,
  };
}
