/**
 * The original DataWig container's record shape, for document output (JSON, JSON Lines):
 * single mode `{label_column, predictions: [{predicted, predicted_probability}], prediction_explanations}`
 * (numbers: `{label_column, predicted}`), complete mode `{imputations: [...]}` listing the gaps
 * only, and `label_shift` on every record when the request asked for it.
 */
import type { DataRecord, PresentContext, Presenter, RecordBatch, TargetPrediction } from '../../../framework/contract/index.js';
import type { Task } from '../format/target-artifact.js';
import type { DatawigAttributes } from '../attributes.js';

export const ORIGINAL_SHAPE = 'datawig';

/** What `predict` puts in `TargetPrediction.explanation`: the class explained and its top n-grams. */
export interface Explanation {
  label: string;
  tokens: string[];
}

/** 4 decimals, as the original container wrote numbers (or `decimals`: a numeric column's own). */
export function round(x: number, decimals = 4): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}

function targetRecord(t: TargetPrediction, task: Task | undefined): DataRecord {
  if (task === 'regression') return { label_column: t.column, predicted: t.value };
  const record: DataRecord = {
    label_column: t.column,
    predictions: (t.candidates ?? []).map((c) => ({ predicted: c.value, predicted_probability: round(c.probability) })),
  };
  const explanation = t.explanation as Explanation | undefined;
  if (explanation) record.prediction_explanations = [{ explained_label: explanation.label, tokens: explanation.tokens }];
  return record;
}

export function originalShapePresenter(mode: 'single' | 'complete', tasks: ReadonlyMap<string, Task>): Presenter<DatawigAttributes> {
  return {
    name: ORIGINAL_SHAPE,
    description: 'the original DataWig container\'s records: top-k predictions with probabilities and explanations (complete mode: "imputations")',
    structures: ['document'],
    detail: { candidates: true, explanations: true },
    present({ predictions }: PresentContext<DatawigAttributes>): RecordBatch<DataRecord> {
      const shift = predictions.summary?.label_shift;
      const records = predictions.records.map((p) => {
        const out: DataRecord = {};
        if (mode === 'complete') {
          out.imputations = p.targets.filter((t) => t.status !== 'present').map((t) => targetRecord(t, tasks.get(t.column)));
        } else {
          Object.assign(out, targetRecord(p.targets[0]!, tasks.get(p.targets[0]!.column)));
        }
        if (shift !== undefined) out.label_shift = shift;
        return out;
      });
      // The keys the records carry, in first-seen order.
      const keys = new Set<string>();
      for (const r of records) for (const k of Object.keys(r)) keys.add(k);
      return { columns: [...keys], records };
    },
  };
}
