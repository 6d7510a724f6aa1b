/**
 * The framework's presenters, usable by every algorithm that predicts table columns:
 * - `columns`: the input record, then `<column>_imputed` and `<column>_imputed_proba` per target
 *   (the original container's CSV shape);
 * - `fill`: the input record with its missing cells filled (what DataWig's `complete()` returns).
 */
import type { Presenter, PresentContext } from '../contract/prediction.js';
import { copyRecord, setKey, type DataRecord, type RecordBatch } from '../contract/records.js';

/** Probabilities are written with 4 decimals. */
function roundProbability(p: number | undefined): number | null {
  return p === undefined ? null : Math.round(p * 1e4) / 1e4;
}

interface TargetColumns {
  /** Per target, in order: its output column names. */
  names: { value: string; probability: string }[];
  /** Target column -> its position in `names`. */
  index: ReadonlyMap<string, number>;
}

/** The output columns of each target list (one per loaded model), built once. */
const targetColumns = new WeakMap<readonly string[], TargetColumns>();

function columnsOf(targets: readonly string[]): TargetColumns {
  let columns = targetColumns.get(targets);
  if (!columns) {
    columns = { names: targets.map((t) => ({ value: `${t}_imputed`, probability: `${t}_imputed_proba` })), index: new Map(targets.map((t, i) => [t, i])) };
    targetColumns.set(targets, columns);
  }
  return columns;
}

export const columnsPresenter: Presenter = {
  name: 'columns',
  description: 'the input columns, then <column>_imputed and <column>_imputed_proba for each imputed column',
  structures: ['table', 'document'],
  present({ input, predictions, targets }: PresentContext): RecordBatch<DataRecord> {
    const { names, index } = columnsOf(targets);
    const present = new Set(input.columns);
    const columns = [...input.columns];
    for (const n of names) for (const c of [n.value, n.probability]) if (!present.has(c)) columns.push(c);
    const records: DataRecord[] = new Array<DataRecord>(input.records.length);
    for (let r = 0; r < input.records.length; r++) {
      const out = copyRecord(input.records[r]!);
      // Every target gets its two cells, also where the model said nothing for this record.
      for (const n of names) {
        out[n.value] = null;
        out[n.probability] = null;
      }
      for (const t of predictions.records[r]!.targets) {
        const n = names[index.get(t.column) ?? -1];
        if (!n) continue;
        out[n.value] = t.status === 'imputed' ? t.value : null;
        out[n.probability] = t.status === 'present' ? null : roundProbability(t.probability);
      }
      records[r] = out;
    }
    return { columns, records };
  },
};

export const fillPresenter: Presenter = {
  name: 'fill',
  description: 'exactly the input columns, with the imputed values written into the missing cells',
  structures: ['table', 'document'],
  present({ input, predictions, targets }: PresentContext): RecordBatch<DataRecord> {
    const have = new Set(input.columns);
    // A target the request did not carry is added, so that its imputations are not lost.
    const columns = [...input.columns, ...targets.filter((t) => !have.has(t))];
    const records: DataRecord[] = new Array<DataRecord>(input.records.length);
    for (let r = 0; r < input.records.length; r++) {
      const out: DataRecord = copyRecord(input.records[r]!);
      for (const t of predictions.records[r]!.targets) {
        if (t.status === 'imputed') setKey(out, t.column, t.value);
        else if (!Object.hasOwn(out, t.column)) setKey(out, t.column, null);
      }
      records[r] = out;
    }
    return { columns, records };
  },
};

/** The framework's presenters, by name; a model's own presenters of the same name take precedence. */
export class PresenterCatalog {
  private readonly byName: ReadonlyMap<string, Presenter>;

  constructor(presenters: readonly Presenter[] = [columnsPresenter, fillPresenter]) {
    this.byName = new Map(presenters.map((p) => [p.name, p]));
  }

  list(): Presenter[] {
    return [...this.byName.values()];
  }
}
