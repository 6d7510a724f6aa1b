/**
 * The linear model family over the featurizer's inputs: one weight row per sparse id (hashed text
 * n-grams, categorical ids), dense weights for the numeric inputs, and a bias; softmax over the
 * scores for classes, the score on the label's standardised scale for numbers. Plain data and
 * typed-array math, shared by training (fit/fit-linear.ts) and serving; stored as a small JSON spec
 * plus one binary blob, which `validateLinearModel` checks before anything uses it.
 */
import type { Cell } from '../../../framework/contract/index.js';
import { ModelFormatError } from '../format/json-rules.js';
import {
  checkLinearSpec,
  LINEAR_FORMAT,
  LINEAR_TENSORS,
  type LinearLayout,
  type LinearShape,
  type LinearSpec,
  type TextWeighting,
} from '../format/linear-format.js';
import { softmaxInto } from './calibration.js';
import { EntryOrigins, Featurizer, SparseEntries, type EncodedTable } from './features.js';

export {
  checkLinearSpec,
  LINEAR_FORMAT,
  LINEAR_TENSORS,
  linearTensorShapes,
  type LinearLayout,
  type LinearShape,
  type LinearSpec,
  type TensorShape,
  type TextWeighting,
} from '../format/linear-format.js';

/** A linear model ready to score: the spec and its weights as typed arrays. */
export interface LinearModel {
  spec: LinearSpec;
  /** [storedRows x outDim], row-major. */
  sparse: Float32Array;
  /** `rows` layout: where each stored id's row is (undefined: dense, row = id). */
  lookup: RowLookup | undefined;
  /** [numDim x outDim], row-major. */
  numeric: Float32Array;
  /** [outDim]. */
  bias: Float32Array;
}

/** Open-addressing map from sparse id to stored row: memory in proportion to the stored rows, not the ids. */
export interface RowLookup {
  keys: Int32Array;
  rows: Int32Array;
  mask: number;
}

function buildLookup(ids: Int32Array): RowLookup {
  let size = 16;
  while (size < 2 * ids.length) size *= 2;
  const keys = new Int32Array(size).fill(-1);
  const rows = new Int32Array(size);
  const mask = size - 1;
  for (let r = 0; r < ids.length; r++) {
    let h = slotOf(ids[r]!, mask);
    while (keys[h] !== -1) h = (h + 1) & mask;
    keys[h] = ids[r]!;
    rows[h] = r;
  }
  return { keys, rows, mask };
}

function slotOf(id: number, mask: number): number {
  return (Math.imul(id, 0x9e3779b1) >>> 7) & mask;
}

/** The stored row of sparse id `id`, or -1 when the model has no weights for it (all zero, or out of range). */
export function rowOfId(m: LinearModel, id: number): number {
  const l = m.lookup;
  if (!l) return id >= 0 && id < m.spec.sparseDim ? id : -1;
  for (let h = slotOf(id, l.mask); ; h = (h + 1) & l.mask) {
    const k = l.keys[h]!;
    if (k === id) return l.rows[h]!;
    if (k === -1) return -1;
  }
}

/**
 * Scores of one row given as sparse entries idx/val[start..end) and dense numeric inputs at
 * num[numOff..], into out[outOff..outOff + outDim).
 */
export function scoreEntries(
  m: LinearModel,
  idx: Int32Array,
  val: Float32Array,
  start: number,
  end: number,
  num: Float32Array,
  numOff: number,
  out: Float32Array | Float64Array,
  outOff = 0,
): void {
  const { outDim: K, numDim } = m.spec;
  const { sparse, numeric, bias } = m;
  for (let k = 0; k < K; k++) out[outOff + k] = bias[k]!;
  for (let p = start; p < end; p++) {
    const r = rowOfId(m, idx[p]!);
    if (r < 0) continue;
    const v = val[p]!;
    const o = r * K;
    for (let k = 0; k < K; k++) out[outOff + k] += v * sparse[o + k]!;
  }
  for (let j = 0; j < numDim; j++) {
    const x = num[numOff + j]!;
    if (x === 0) continue;
    const o = j * K;
    for (let k = 0; k < K; k++) out[outOff + k] += x * numeric[o + k]!;
  }
}

/** Scores (logits, or the standardised regression value) of row `row` of an encoded table. */
export function linearScores(m: LinearModel, enc: EncodedTable, row: number, out: Float32Array | Float64Array, outOff = 0): void {
  scoreEntries(m, enc.idx, enc.val, enc.rowPtr[row]!, enc.rowPtr[row + 1]!, enc.num, row * enc.numDim, out, outOff);
}

/** Scores of the given rows (all rows by default), [rows.length x outDim]. */
export function linearScoresBatch(m: LinearModel, enc: EncodedTable, rows?: Int32Array): Float32Array {
  const K = m.spec.outDim;
  const n = rows ? rows.length : enc.n;
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) linearScores(m, enc, rows ? rows[i]! : i, out, i * K);
  return out;
}

/** Class probabilities softmax(scores / temperature) of row `row`, into `out` (classification). */
export function linearProbabilities(m: LinearModel, enc: EncodedTable, row: number, out: Float64Array, temperature = 1): void {
  linearScores(m, enc, row, out);
  softmaxInto(out, 0, m.spec.outDim, temperature, out);
}

/** The predicted value of row `row`, on the label's scale (regression). */
export function linearValue(m: LinearModel, enc: EncodedTable, row: number): number {
  const s = new Float64Array(1);
  linearScores(m, enc, row, s);
  return s[0]! * m.spec.labelStd + m.spec.labelMean;
}

/**
 * What each sparse entry idx/val[start..end) adds to class k's score relative to the mean class
 * score, val * (w[id][k] - mean_c w[id][c]) (for a single output, val * w[id]): the exact
 * decomposition of the linear score, as gradient x input is for the network. Into out[0..end-start).
 */
export function entryContributions(m: LinearModel, idx: Int32Array, val: Float32Array, start: number, end: number, k: number, out: Float64Array): void {
  const K = m.spec.outDim;
  const { sparse } = m;
  for (let p = start; p < end; p++) {
    const r = rowOfId(m, idx[p]!);
    if (r < 0) {
      out[p - start] = 0;
      continue;
    }
    const o = r * K;
    let mean = 0;
    if (K > 1) {
      for (let c = 0; c < K; c++) mean += sparse[o + c]!;
      mean /= K;
    }
    out[p - start] = val[p]! * (sparse[o + k]! - mean);
  }
}

/** Contributions of the sparse entries of row `row` of an encoded table to class k (see entryContributions). */
export function linearContributions(m: LinearModel, enc: EncodedTable, row: number, k: number): Float64Array {
  const start = enc.rowPtr[row]!;
  const end = enc.rowPtr[row + 1]!;
  const out = new Float64Array(end - start);
  entryContributions(m, enc.idx, enc.val, start, end, k, out);
  return out;
}

/** The name under which joinedText puts the joined text columns (no table header starts with a NUL). */
export const JOINED_TEXT_COLUMN = '\u0000text';

/**
 * The linear family's view of a table's columns when its text columns are read as one document
 * (as the scikit-learn peer does): one text column, JOINED_TEXT_COLUMN, in place of the text
 * columns, so that an n-gram weighs the same wherever it occurs (one weight, pooled evidence),
 * and `join` builds that column of a row (the text cells joined by a space, missing ones left out).
 * Other columns stay as they are. Fewer than two text columns: nothing changes.
 */
export function joinedText(
  features: readonly { name: string; type: string; meanLength: number }[],
  missing: { value(cell: Cell | undefined): string | null },
): { features: { name: string; type: string; meanLength: number }[]; join: (row: Record<string, Cell>) => Record<string, Cell> } {
  const text = features.filter((f) => f.type === 'text');
  if (text.length < 2) return { features: [...features], join: (row) => row };
  const joined = { name: JOINED_TEXT_COLUMN, type: 'text', meanLength: text.reduce((s, f) => s + f.meanLength + 1, 0) };
  return {
    features: [joined, ...features.filter((f) => f.type !== 'text')],
    join: (row) => {
      const parts: string[] = [];
      for (const f of text) {
        const v = missing.value(row[f.name]);
        if (v !== null) parts.push(v);
      }
      return { ...row, [JOINED_TEXT_COLUMN]: parts.length ? parts.join(' ') : null };
    },
  };
}

/**
 * Appends the entries of one row as the linear family reads them (the featurizer's, see
 * Featurizer.encodeRow; `origins` is required and cleared first). With `joint` weighting each text
 * column's unit vector is scaled by sqrt(m_c / M), m_c its distinct n-grams and M those of all the
 * row's text columns, so that together they form one unit vector in which every n-gram weighs about
 * the same, as if the columns were one document. Without it a short title's n-grams would weigh
 * several times a long description's: an L1/L2 penalty then makes the description's signal costly.
 */
export function encodeLinearRow(
  featurizer: Featurizer,
  weighting: TextWeighting,
  row: Record<string, Cell>,
  out: SparseEntries,
  num: Float32Array,
  numOff: number,
  origins: EntryOrigins,
): void {
  origins.clear();
  const start = out.length;
  featurizer.encodeRow(row, out, num, numOff, origins);
  if (weighting === 'joint') applyJointWeighting(featurizer.spec.text.length, origins, out.val, start);
}

/**
 * The `joint` weighting of one row's entries val[start..] (encoded by the featurizer with
 * `origins`), in place: see encodeLinearRow. Fewer than two text columns: nothing changes.
 */
export function applyJointWeighting(textColumns: number, origins: EntryOrigins, val: Float32Array, start: number): void {
  if (textColumns < 2) return;
  const { column, position } = origins;
  const grams = new Array<number>(textColumns).fill(0);
  for (let i = 0; i < column.length; i++) if (position[i]! >= 0) grams[column[i]!]!++;
  const total = grams.reduce((a, b) => a + b, 0);
  const scale = grams.map((m) => Math.sqrt(m / total));
  for (let i = 0; i < column.length; i++) if (position[i]! >= 0) val[start + i]! *= scale[column[i]!]!;
}

/** Rows encoded by encodeLinearRow into an encoded table. */
export function encodeLinearTable(featurizer: Featurizer, weighting: TextWeighting, rows: Record<string, Cell>[]): EncodedTable {
  const entries = new SparseEntries();
  const origins = new EntryOrigins();
  const { numDim } = featurizer.spec;
  const rowPtr = new Int32Array(rows.length + 1);
  const num = new Float32Array(rows.length * numDim);
  for (let i = 0; i < rows.length; i++) {
    encodeLinearRow(featurizer, weighting, rows[i]!, entries, num, i * numDim, origins);
    rowPtr[i + 1] = entries.length;
  }
  const { idx, val, length } = entries;
  return { n: rows.length, rowPtr, idx: idx.slice(0, length), val: val.slice(0, length), num, numDim };
}

/** The text n-grams of a table row with their contribution to class k relative to the mean class (repeats not merged). */
export function linearTokenContributions(m: LinearModel, featurizer: Featurizer, row: Record<string, Cell>, k: number): [string, number][] {
  const entries = new SparseEntries();
  const origins = new EntryOrigins();
  const num = new Float32Array(Math.max(1, featurizer.spec.numDim));
  encodeLinearRow(featurizer, m.spec.textWeighting, row, entries, num, 0, origins);
  const scores = new Float64Array(entries.length);
  entryContributions(m, entries.idx, entries.val, 0, entries.length, k, scores);
  const out: [string, number][] = [];
  for (let c = 0; c < featurizer.spec.text.length; c++) {
    const at: number[] = [];
    for (let i = 0; i < origins.position.length; i++) if (origins.column[i] === c && origins.position[i]! >= 0) at.push(i);
    const names = featurizer.ngramsOf(
      row,
      c,
      at.map((i) => origins.position[i]!),
    );
    at.forEach((i, j) => out.push([names[j]!, scores[i]!]));
  }
  return out;
}

/** A model from dense sparse weights [sparseDim x outDim]: the storage layout is chosen at encoding. */
export function linearModel(
  spec: Omit<LinearSpec, 'format' | 'layout' | 'storedRows'>,
  sparse: Float32Array,
  numeric: Float32Array,
  bias: Float32Array,
): LinearModel {
  const K = spec.outDim;
  if (sparse.length !== spec.sparseDim * K || numeric.length !== spec.numDim * K || bias.length !== K)
    throw new RangeError(`linear weights do not match [${spec.sparseDim} x ${K}], [${spec.numDim} x ${K}], [${K}]`);
  return { spec: { format: LINEAR_FORMAT, ...spec, layout: 'dense', storedRows: spec.sparseDim }, sparse, lookup: undefined, numeric, bias };
}

/** A model from the weight rows of some ids only (`ids` increasing; other ids weigh nothing), [ids.length x outDim]. */
export function linearModelFromRows(
  spec: Omit<LinearSpec, 'format' | 'layout' | 'storedRows'>,
  ids: Int32Array,
  sparse: Float32Array,
  numeric: Float32Array,
  bias: Float32Array,
): LinearModel {
  const K = spec.outDim;
  if (sparse.length !== ids.length * K || numeric.length !== spec.numDim * K || bias.length !== K)
    throw new RangeError(`linear weights do not match [${ids.length} x ${K}], [${spec.numDim} x ${K}], [${K}]`);
  for (let r = 0; r < ids.length; r++) {
    if (!(ids[r]! >= 0 && ids[r]! < spec.sparseDim && (r === 0 || ids[r]! > ids[r - 1]!)))
      throw new RangeError('linear weight row ids must increase within sparseDim');
  }
  return { spec: { format: LINEAR_FORMAT, ...spec, layout: 'rows', storedRows: ids.length }, sparse, lookup: buildLookup(ids), numeric, bias };
}

/** The ids whose weight rows hold a non-zero value, increasing. */
function nonZeroIds(m: LinearModel): Int32Array {
  const K = m.spec.outDim;
  const ids: number[] = [];
  for (let id = 0; id < m.spec.sparseDim; id++) {
    const r = rowOfId(m, id);
    if (r < 0) continue;
    for (let k = 0; k < K; k++) {
      if (m.sparse[r * K + k] !== 0) {
        ids.push(id);
        break;
      }
    }
  }
  return Int32Array.from(ids);
}

/**
 * The model as a JSON spec and one binary blob: ([storedRows] int32 ids with the `rows` layout),
 * [storedRows x outDim] sparse weights, [numDim x outDim] numeric weights, [outDim] bias, all
 * float32 little-endian as the platform writes them. The layout is the smaller of the two.
 */
export function encodeLinearModel(m: LinearModel): { spec: LinearSpec; bytes: Uint8Array } {
  const K = m.spec.outDim;
  const ids = nonZeroIds(m);
  const layout: LinearLayout = ids.length * (K + 1) < m.spec.sparseDim * K ? 'rows' : 'dense';
  const storedRows = layout === 'rows' ? ids.length : m.spec.sparseDim;
  const spec: LinearSpec = { ...m.spec, layout, storedRows };
  const head = layout === 'rows' ? storedRows : 0;
  const buf = new ArrayBuffer(4 * (head + storedRows * K + m.spec.numDim * K + K));
  const floats = new Float32Array(buf, 4 * head);
  if (layout === 'rows') {
    new Int32Array(buf, 0, head).set(ids);
    ids.forEach((id, r) => floats.set(m.sparse.subarray(rowOfId(m, id) * K, rowOfId(m, id) * K + K), r * K));
  } else {
    for (let id = 0; id < storedRows; id++) {
      const r = rowOfId(m, id);
      if (r >= 0) floats.set(m.sparse.subarray(r * K, r * K + K), id * K);
    }
  }
  floats.set(m.numeric, storedRows * K);
  floats.set(m.bias, storedRows * K + m.spec.numDim * K);
  return { spec, bytes: new Uint8Array(buf) };
}

/**
 * A stored linear model (its parsed JSON spec and its weight bytes, both untrusted) checked and
 * decoded: fields of the right type, shapes consistent with each other and with `expected`, sizes
 * capped before anything is allocated, the byte length exact, ids increasing and in range, every
 * weight finite. Errors are ModelFormatErrors naming `source` and the field, never the content.
 */
export function validateLinearModel(json: unknown, weightsBytes: Uint8Array, expected: LinearShape = {}, source = 'linear model'): LinearModel {
  const fail = (problem: string): never => {
    throw new ModelFormatError(source, problem);
  };
  const spec = checkLinearSpec(json, expected, source);
  const K = spec.outDim;
  const values = (spec.storedRows + spec.numDim + 1) * K;
  const head = spec.layout === 'rows' ? spec.storedRows : 0;
  if (weightsBytes.byteLength !== 4 * (head + values)) fail(`the weights are ${weightsBytes.byteLength} bytes, the spec needs ${4 * (head + values)}`);
  const aligned = weightsBytes.byteOffset % 4 === 0 ? weightsBytes : weightsBytes.slice();
  const ids = new Int32Array(aligned.buffer, aligned.byteOffset, head);
  for (let r = 0; r < head; r++) {
    if (!(ids[r]! >= 0 && ids[r]! < spec.sparseDim && (r === 0 || ids[r]! > ids[r - 1]!)))
      fail(`stored row ${r} has an id that is out of range or not increasing`);
  }
  const floats = new Float32Array(aligned.buffer, aligned.byteOffset + 4 * head, values);
  for (let i = 0; i < values; i++) if (!Number.isFinite(floats[i])) fail(`weight ${i} is not finite (NaN or infinity)`);
  const sparseEnd = spec.storedRows * K;
  const numericEnd = sparseEnd + spec.numDim * K;
  return {
    spec: { ...spec },
    sparse: floats.slice(0, sparseEnd),
    lookup: head ? buildLookup(ids.slice()) : undefined,
    numeric: floats.slice(sparseEnd, numericEnd),
    bias: floats.slice(numericEnd),
  };
}

/** The model as its spec and named tensors (the smaller layout, as encodeLinearModel chooses). */
export function linearTensors(m: LinearModel): { spec: LinearSpec; tensors: Map<string, Float32Array | Int32Array> } {
  const { spec, bytes } = encodeLinearModel(m);
  const head = spec.layout === 'rows' ? spec.storedRows : 0;
  const tensors = new Map<string, Float32Array | Int32Array>();
  if (spec.layout === 'rows') tensors.set(LINEAR_TENSORS.ids, new Int32Array(bytes.buffer, bytes.byteOffset, head).slice());
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset + 4 * head);
  const sparseEnd = spec.storedRows * spec.outDim;
  const numericEnd = sparseEnd + spec.numDim * spec.outDim;
  tensors.set(LINEAR_TENSORS.sparse, floats.slice(0, sparseEnd));
  tensors.set(LINEAR_TENSORS.numeric, floats.slice(sparseEnd, numericEnd));
  tensors.set(LINEAR_TENSORS.bias, floats.slice(numericEnd));
  return { spec, tensors };
}

/**
 * A linear model from its (untrusted) spec and the tensors read from weights.bin, with every check
 * of validateLinearModel (shapes, ids increasing and in range, finite weights).
 */
export function linearFromTensors(
  spec: unknown,
  tensors: ReadonlyMap<string, Float32Array | Int32Array>,
  expected: LinearShape = {},
  source = 'linear model',
): LinearModel {
  const parts = [LINEAR_TENSORS.ids, LINEAR_TENSORS.sparse, LINEAR_TENSORS.numeric, LINEAR_TENSORS.bias].map((n) => tensors.get(n));
  const bytes = new Uint8Array(parts.reduce((s, p) => s + (p?.byteLength ?? 0), 0));
  let at = 0;
  for (const p of parts) {
    if (!p) continue;
    bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return validateLinearModel(spec, bytes, expected, source);
}
