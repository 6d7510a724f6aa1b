/** Scores every method's imputations of the hidden cells of one task against the truth. */
import type { Mask } from './masks.js';
import { bestOf, errorRate, errorRatio, macroF1, mean, normalisedMse, variance } from './metrics.js';
import type { BenchTable, Column } from './table.js';

/** Imputed values of the hidden rows of one column, in the mask's row order (null: left empty). */
export type Imputations = (string | number | null)[];

export interface MethodScore {
  /** Normalised MSE (numbers) or error rate (classes). */
  error: number;
  /** Classes only. */
  macroF1?: number;
  /** Hidden cells the method left empty (scored as the column's known mean / most frequent value). */
  unfilled: number;
}

export interface ColumnScores {
  table: string;
  mask: string;
  column: string;
  kind: 'numeric' | 'categorical';
  cells: number;
  peers: Record<string, MethodScore>;
  ours: Record<string, MethodScore>;
  bestPeer: string | null;
  /** Per variant: its error / the best peer's error. */
  ratio: Record<string, number>;
}

function knownMean(values: Float64Array): number {
  return mean(values.filter((v) => !Number.isNaN(v)));
}

function knownMode(values: (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)!) best = v;
  return best;
}

/** Scores one method on one column; `masked` is the column as the imputers saw it (for the fallback of empty cells). */
export function scoreColumn(truth: Column, masked: Column, rows: number[], imputed: Imputations): MethodScore {
  if (imputed.length !== rows.length) throw new Error(`column "${truth.name}": ${imputed.length} imputations for ${rows.length} hidden cells`);
  let unfilled = 0;
  if (truth.kind === 'numeric' && masked.kind === 'numeric') {
    const fallback = knownMean(masked.values);
    const predicted = Float64Array.from(imputed, (v) => {
      const x = v === null || v === '' ? NaN : Number(v);
      if (Number.isNaN(x)) unfilled++;
      return Number.isNaN(x) ? fallback : x;
    });
    const trueValues = Float64Array.from(rows, (r) => truth.values[r]!);
    return { error: normalisedMse(trueValues, predicted, variance(truth.values)), unfilled };
  }
  if (truth.kind === 'numeric' || masked.kind === 'numeric') throw new Error(`column "${truth.name}": truth and masked column differ in kind`);
  const fallback = knownMode(masked.values);
  const predicted = imputed.map((v) => {
    if (v === null || v === '') unfilled++;
    return v === null || v === '' ? fallback : String(v);
  });
  const trueValues = rows.map((r) => truth.values[r]!);
  return { error: errorRate(trueValues, predicted), macroF1: macroF1(trueValues, predicted), unfilled };
}

/** Picks the hidden rows out of a full column of our output. */
export function hiddenCells(fullColumn: (string | null)[] | undefined, rows: number[]): Imputations {
  return rows.map((r) => fullColumn?.[r] ?? null);
}

export interface TaskImputations {
  /** Peer name → column → imputations of the hidden rows (absent: the peer failed). */
  peers: Map<string, Map<string, Imputations>>;
  /** Variant name → column → imputations of the hidden rows (absent: the run failed). */
  ours: Map<string, Map<string, Imputations>>;
}

export function scoreTask(truth: BenchTable, masked: BenchTable, mask: Mask, imputations: TaskImputations): ColumnScores[] {
  const out: ColumnScores[] = [];
  for (const [name, rows] of mask.hidden) {
    if (rows.length === 0) continue;
    const column = truth.columns.find((c) => c.name === name)!;
    const maskedColumn = masked.columns.find((c) => c.name === name)!;
    const score = (source: Map<string, Map<string, Imputations>>) => {
      const scores: Record<string, MethodScore> = {};
      for (const [method, columns] of source) {
        const values = columns.get(name);
        scores[method] = values ? scoreColumn(column, maskedColumn, rows, values) : { error: NaN, unfilled: rows.length };
      }
      return scores;
    };
    const peers = score(imputations.peers);
    const ours = score(imputations.ours);
    const best = bestOf(new Map(Object.entries(peers).map(([k, v]) => [k, v.error])));
    const ratio = Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, best ? errorRatio(v.error, best.error) : NaN]));
    out.push({
      table: truth.name,
      mask: mask.spec.id,
      column: name,
      kind: column.kind === 'numeric' ? 'numeric' : 'categorical',
      cells: rows.length,
      peers,
      ours,
      bestPeer: best?.name ?? null,
      ratio,
    });
  }
  return out;
}
