/**
 * What `byoc impute` did to each column, counted from the predictions of every chunk: cells
 * imputed, cells the model left empty on purpose (not confident enough for `precision_threshold`),
 * and gaps nobody filled (a column the model does not impute, or a record it gave no value for).
 */
import type { InputBatch } from '../contract/records.js';
import type { PredictionBatch } from '../contract/prediction.js';

export interface ColumnTally {
  column: string;
  imputed: number;
  /** Below the precision threshold: left empty on purpose. */
  withheld: number;
  /** Empty in a column the model does not impute. */
  notImputed: number;
  /** Empty in an imputed column, but the model gave this record no value. */
  unanswered: number;
}

/** A cell a CSV or JSON input left empty. Missing-value tokens are the model's business (it says what it imputed). */
function isEmpty(cell: unknown): boolean {
  return cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '');
}

export class ImputationTally {
  private readonly byColumn = new Map<string, ColumnTally>();

  constructor(private readonly targets: readonly string[]) {
    for (const t of targets) this.entry(t);
  }

  private entry(column: string): ColumnTally {
    let tally = this.byColumn.get(column);
    if (!tally) this.byColumn.set(column, (tally = { column, imputed: 0, withheld: 0, notImputed: 0, unanswered: 0 }));
    return tally;
  }

  add(input: InputBatch, predictions: PredictionBatch): void {
    const targets = new Set(this.targets);
    for (let r = 0; r < input.records.length; r++) {
      const record = input.records[r]!;
      const answered = new Set<string>();
      for (const t of predictions.records[r]!.targets) {
        if (t.status === 'imputed') this.entry(t.column).imputed++;
        else if (t.status === 'withheld') this.entry(t.column).withheld++;
        answered.add(t.column);
      }
      for (const column of input.columns) {
        if (answered.has(column) || !isEmpty(record[column])) continue;
        if (targets.has(column)) this.entry(column).unanswered++;
        else this.entry(column).notImputed++;
      }
    }
  }

  /** Columns with anything to say, targets first (in the model's order), then the others by name. */
  columns(): ColumnTally[] {
    const others = [...this.byColumn.values()].filter((t) => !this.targets.includes(t.column) && t.notImputed > 0);
    return [...this.targets.map((t) => this.byColumn.get(t)!), ...others.sort((a, b) => (a.column < b.column ? -1 : 1))];
  }

  /** One line per column, for people: what was filled, what was left empty and why. */
  lines(): string[] {
    return this.columns().map((t) => {
      if (!this.targets.includes(t.column)) return `${t.column}: ${t.notImputed} empty cells left empty: the model does not impute this column`;
      const parts = [`${t.imputed} imputed`];
      if (t.withheld > 0) parts.push(`${t.withheld} left empty: below precision_threshold`);
      if (t.unanswered > 0) parts.push(`${t.unanswered} left empty: the model gave no value`);
      return `${t.column}: ${parts.join(', ')}`;
    });
  }
}
