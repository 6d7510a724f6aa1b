/**
 * The framework's presenters, usable by every algorithm that predicts table columns:
 * - `columns`: the input record, then `<column>_imputed` and `<column>_imputed_proba` per target
 *   (the original container's CSV shape);
 * - `fill`: the input record with its missing cells filled (what DataWig's `complete()` returns).
 */
import type { Presenter, PresentContext } from '../contract/prediction.js';
import { copyRecord, setKey, type Cell, type DataRecord, type OutputBatch, type RowBatch } from '../contract/records.js';

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
  present({ input, predictions, targets }: PresentContext): OutputBatch {
    const { names, index } = columnsOf(targets);
    const present = new Set(input.columns);
    const columns = [...input.columns];
    for (const n of names) for (const c of [n.value, n.probability]) if (!present.has(c)) columns.push(c);
    if (input.rows) return columnsAsRows(input.rows, input.columns, columns, names, index, predictions.records);
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

/** The `columns` output from the request's rows: each row's cells, then its targets' two cells. */
function columnsAsRows(
  inputRows: readonly (readonly Cell[])[],
  inputColumns: readonly string[],
  columns: readonly string[],
  names: TargetColumns['names'],
  index: TargetColumns['index'],
  predictions: PresentContext['predictions']['records'],
): RowBatch {
  // Where each target's cells go: appended, or over an input column of the same name (as a record would).
  const at = new Map(columns.map((c, i) => [c, i]));
  const slots = names.map((n) => ({ value: at.get(n.value)!, probability: at.get(n.probability)! }));
  const width = columns.length;
  const rows: unknown[][] = new Array<unknown[]>(inputRows.length);
  for (let r = 0; r < inputRows.length; r++) {
    const source = inputRows[r]!;
    const out = new Array<unknown>(width);
    for (let c = 0; c < inputColumns.length; c++) out[c] = source[c];
    for (const slot of slots) out[slot.value] = out[slot.probability] = null;
    for (const t of predictions[r]!.targets) {
      const slot = slots[index.get(t.column) ?? -1];
      if (!slot) continue;
      out[slot.value] = t.status === 'imputed' ? t.value : null;
      out[slot.probability] = t.status === 'present' ? null : roundProbability(t.probability);
    }
    rows[r] = out;
  }
  return { columns: [...columns], rows };
}

export const fillPresenter: Presenter = {
  name: 'fill',
  description: 'exactly the input columns, with the imputed values written into the missing cells',
  structures: ['table', 'document'],
  present({ input, predictions, targets }: PresentContext): OutputBatch {
    const have = new Set(input.columns);
    // A target the request did not carry is added, so that its imputations are not lost.
    const columns = [...input.columns, ...targets.filter((t) => !have.has(t))];
    if (input.rows) return filledRows(input.rows, input.columns.length, columns, predictions.records);
    const added = columns.slice(input.columns.length);
    const records: DataRecord[] = new Array<DataRecord>(input.records.length);
    for (let r = 0; r < input.records.length; r++) {
      const out: DataRecord = copyRecord(input.records[r]!);
      // Every record has every column, also a target the model said nothing of for this record.
      for (const column of added) setKey(out, column, null);
      for (const t of predictions.records[r]!.targets) {
        if (t.status === 'imputed') setKey(out, t.column, t.value);
      }
      records[r] = out;
    }
    return { columns, records };
  },
};

/** The `fill` output from the request's rows: imputed values written over their cells. */
function filledRows(
  inputRows: readonly (readonly Cell[])[],
  inputWidth: number,
  columns: readonly string[],
  predictions: PresentContext['predictions']['records'],
): RowBatch {
  const at = new Map(columns.map((c, i) => [c, i]));
  const rows: unknown[][] = new Array<unknown[]>(inputRows.length);
  for (let r = 0; r < inputRows.length; r++) {
    const source = inputRows[r]!;
    const out = new Array<unknown>(columns.length).fill(null);
    for (let c = 0; c < inputWidth; c++) out[c] = source[c];
    for (const t of predictions[r]!.targets) {
      const c = at.get(t.column);
      if (c !== undefined && t.status === 'imputed') out[c] = t.value;
    }
    rows[r] = out;
  }
  return { columns: [...columns], rows };
}

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
