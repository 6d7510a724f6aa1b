/**
 * The inputs of the tree family, derived from a target's featurizer spec so that every family of
 * one target reads its columns the same way: a numeric column is its parsed value, a categorical
 * column the position of its value in the featurizer's vocabulary (most frequent first), a text
 * column its length in characters. Missing cells are NaN: the trees learn where they go.
 */
import { parseNumberText, type Cell, type MissingValues } from '../../../framework/contract/index.js';
import type { FeaturizerSpec } from '../format/featurizer-spec.js';

/** Category codes the trees accept are 0..254; rarer values than the 254th share the last code. */
export const MAX_TREE_CATEGORY = 254;

export interface TreeColumn {
  name: string;
  kind: 'numeric' | 'categorical' | 'text-length';
  /** Categorical: value → code (an unknown value takes the code after the vocabulary). */
  codes?: ReadonlyMap<string, number>;
  /** Categorical: the code of a value outside the vocabulary. */
  unknownCode?: number;
}

export function treeColumns(spec: FeaturizerSpec): TreeColumn[] {
  const columns: TreeColumn[] = [];
  for (const f of spec.num) columns.push({ name: f.name, kind: 'numeric' });
  for (const f of spec.cat) {
    const codes = new Map(f.vocab.map((v, i) => [v, Math.min(i, MAX_TREE_CATEGORY)]));
    columns.push({ name: f.name, kind: 'categorical', codes, unknownCode: Math.min(f.vocab.length, MAX_TREE_CATEGORY) });
  }
  for (const f of spec.text) columns.push({ name: f.name, kind: 'text-length' });
  return columns;
}

/** Which of `treeColumns` are categorical, in their order. */
export function categoricalMask(columns: readonly TreeColumn[]): boolean[] {
  return columns.map((c) => c.kind === 'categorical');
}

/** One cell as a tree input. */
export function treeValue(column: TreeColumn, cell: Cell | undefined, missing: MissingValues): number {
  const text = missing.value(cell ?? null);
  if (text === null) return NaN;
  if (column.kind === 'numeric') return parseNumberText(text);
  if (column.kind === 'text-length') return text.length;
  return column.codes!.get(text) ?? column.unknownCode!;
}

/** The rows as column-major feature arrays (what the tree learner and its batch prediction take). */
export function treeMatrix(columns: readonly TreeColumn[], rows: readonly Record<string, Cell>[], missing: MissingValues): Float64Array[] {
  return columns.map((column) => {
    const values = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) values[r] = treeValue(column, rows[r]![column.name], missing);
    return values;
  });
}
