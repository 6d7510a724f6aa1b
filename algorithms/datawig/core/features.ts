/**
 * Turns table rows into model inputs: one sparse vector (hashed, tf-idf weighted text n-grams and
 * categorical ids, all indexing rows of one embedding table) plus a small dense numeric vector.
 * The same code runs at training and serving, so both see identical features.
 */
import type { Cell } from '../../../framework/contract/index.js';
import type { CatFeature, ColumnType, FeaturizerSpec, NumFeature, TextFeature, TokenKind } from '../format/featurizer-spec.js';
import { MissingValues, parseNumberText } from '../../../framework/contract/index.js';
import { bucketOf, fnv1a, hashedNgrams, IdList, ngrams, ngramsAt } from './hashing.js';

export interface FeatureOptions {
  tfidf: boolean;
  buckets: number;
  tokens: 'auto' | TokenKind;
  wordRange: [number, number];
  charRange: [number, number];
  maxTokens: number;
  missingTokens: string[];
}

/** Sparse rows in CSR form plus dense numeric rows. */
export interface EncodedTable {
  n: number;
  rowPtr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
  num: Float32Array;
  numDim: number;
}

export function chooseTokens(meanLength: number, opt: FeatureOptions['tokens']): TokenKind {
  if (opt !== 'auto') return opt;
  // short strings (names, codes) carry their signal in sub-word pieces; long text in words
  return meanLength <= 40 ? 'chars' : 'words';
}

export function fitFeaturizer(
  rows: Record<string, Cell>[],
  columns: { name: string; type: ColumnType; meanLength: number }[],
  opt: FeatureOptions,
): FeaturizerSpec {
  const missing = new MissingValues(opt.missingTokens);
  let next = opt.buckets;
  const text: TextFeature[] = [];
  const cat: CatFeature[] = [];
  const num: NumFeature[] = [];
  let slot = 0;
  for (const c of columns) {
    if (c.type === 'text') {
      const tokens = chooseTokens(c.meanLength, opt.tokens);
      const df = new Map<number, number>();
      let docs = 0;
      for (const r of opt.tfidf ? rows : []) {
        const v = missing.value(r[c.name]);
        if (v === null) continue;
        docs++;
        const seen = new Set<number>();
        for (const t of ngrams(v, tokens, opt.wordRange, opt.charRange)) seen.add(bucketOf(c.name, t, opt.buckets));
        for (const b of seen) df.set(b, (df.get(b) ?? 0) + 1);
      }
      const idfBuckets = [...df.keys()].sort((a, b) => a - b);
      const idfValues = idfBuckets.map((b) => round6(Math.log((docs + 1) / (df.get(b)! + 1)) + 1));
      text.push({ name: c.name, type: 'text', tokens, missingRow: next++, idfBuckets, idfValues, idfDefault: round6(Math.log(docs + 1) + 1) });
    } else if (c.type === 'categorical') {
      const counts = new Map<string, number>();
      for (const r of rows) {
        const v = missing.value(r[c.name]);
        if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const vocab = [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, opt.maxTokens)
        .map((e) => e[0]);
      cat.push({ name: c.name, type: 'categorical', offset: next, vocab });
      next += vocab.length + 2;
    } else {
      let s = 0;
      let s2 = 0;
      let k = 0;
      for (const r of rows) {
        const v = missing.value(r[c.name]);
        if (v === null) continue;
        const x = parseNumberText(v);
        if (Number.isNaN(x)) continue;
        s += x;
        s2 += x * x;
        k++;
      }
      const mean = k ? s / k : 0;
      const std = k > 1 ? Math.sqrt(Math.max(0, s2 / k - mean * mean)) : 1;
      num.push({ name: c.name, type: 'numeric', mean, std: std > 1e-12 ? std : 1, slot });
      slot += 2;
    }
  }
  return {
    buckets: opt.buckets,
    wordRange: opt.wordRange,
    charRange: opt.charRange,
    text,
    cat,
    num,
    tableRows: next,
    numDim: slot,
    missingTokens: opt.missingTokens,
    tfidf: opt.tfidf,
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

// 1 + ln(count) for the small counts n-grams have: a table lookup instead of a Math.log per n-gram.
const SUBLINEAR_TF = Float64Array.from({ length: 256 }, (_, c) => (c === 0 ? 0 : 1 + Math.log(c)));

/** Sub-linear term frequency of an n-gram seen `count` times in a cell. */
function sublinearTf(count: number): number {
  return count < 256 ? SUBLINEAR_TF[count]! : 1 + Math.log(count);
}

/** Sparse entries (bucket row, weight) appended row after row into reusable typed arrays. */
export class SparseEntries {
  idx = new Int32Array(1024);
  val = new Float32Array(1024);
  length = 0;

  push(index: number, value: number): void {
    if (this.length === this.idx.length) this.grow();
    this.idx[this.length] = index;
    this.val[this.length++] = value;
  }

  private grow(): void {
    const idx = new Int32Array(this.idx.length * 2);
    const val = new Float32Array(this.val.length * 2);
    idx.set(this.idx);
    val.set(this.val);
    this.idx = idx;
    this.val = val;
  }
}

/**
 * Where the text entries of one encoded row came from (they come first, in order): the text
 * column, and the position of the entry's first n-gram in `ngrams()` of that cell (-1 for the
 * missing-cell marker). Lets an explanation name only the n-grams it reports.
 */
export class EntryOrigins {
  readonly column: number[] = [];
  readonly position: number[] = [];

  push(column: number, position: number): void {
    this.column.push(column);
    this.position.push(position);
  }

  clear(): void {
    this.column.length = 0;
    this.position.length = 0;
  }
}

/** Encodings of text cells shared by the models of one row (complete mode). */
export type EncodingCache = Map<string, [Int32Array, Float32Array]>;

/** A fitted featurizer ready to encode rows fast (idf tables, vocab maps). */
export class Featurizer {
  readonly missing: MissingValues;
  private readonly idf: (Float32Array | undefined)[];
  private readonly vocab: Map<string, number>[];
  private readonly seeds: number[];
  private readonly scratch = new IdList();
  // Duplicate n-grams of a cell are counted with generation stamps per bucket: O(n), no sort.
  private stamp = new Int32Array(0);
  private counts = new Int32Array(0);
  private generation = 0;
  private unique = new Int32Array(1024);
  /** For each distinct id of the last countDistinct, the position of its first occurrence. */
  private firstAt = new Int32Array(1024);

  constructor(readonly spec: FeaturizerSpec) {
    this.missing = new MissingValues(spec.missingTokens);
    this.idf = spec.text.map((t) => {
      if (!spec.tfidf) return undefined;
      const a = new Float32Array(spec.buckets).fill(t.idfDefault);
      t.idfBuckets.forEach((b, i) => (a[b] = t.idfValues[i]!));
      return a;
    });
    this.vocab = spec.cat.map((c) => new Map(c.vocab.map((v, i) => [v, i])));
    this.seeds = spec.text.map((t) => fnv1a(t.name));
  }

  get inputColumns(): string[] {
    return [...this.spec.text, ...this.spec.cat, ...this.spec.num].map((c) => c.name);
  }

  /** Distinct ids (in first-seen order) into `this.unique`, their multiplicities into `this.counts`; returns how many. */
  private countDistinct(list: IdList, buckets: number): number {
    const { ids, length } = list;
    if (this.stamp.length < buckets) {
      this.stamp = new Int32Array(buckets);
      this.counts = new Int32Array(buckets);
    }
    if (this.unique.length < length) {
      this.unique = new Int32Array(length * 2);
      this.firstAt = new Int32Array(length * 2);
    }
    if (this.generation === 0x7fffffff) {
      this.stamp.fill(0);
      this.generation = 0;
    }
    const gen = ++this.generation;
    const { stamp, counts, unique, firstAt } = this;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const b = ids[i]!;
      if (stamp[b] !== gen) {
        stamp[b] = gen;
        counts[b] = 0;
        firstAt[n] = i;
        unique[n++] = b;
      }
      counts[b]!++;
    }
    return n;
  }

  /**
   * Appends the sparse entries of one row to idx/val and writes its dense numeric part into
   * `num` at `numOffset`. With `origins`, records which text n-gram produced each text entry (for explanations).
   */
  encodeRow(row: Record<string, Cell>, out: SparseEntries, num: Float32Array, numOffset: number, origins?: EntryOrigins, cache?: EncodingCache): void {
    const { spec } = this;
    for (let ti = 0; ti < spec.text.length; ti++) {
      const t = spec.text[ti]!;
      const v = this.missing.value(row[t.name]);
      if (v === null) {
        out.push(t.missingRow, 1);
        origins?.push(ti, -1);
        continue;
      }
      const start = out.length;
      let norm = 0;
      const idf = this.idf[ti];
      // complete mode: the models of one row share the encodings of its text cells
      const key =
        cache && !idf && !origins
          ? `${t.name}\u0000${t.tokens}\u0000${spec.buckets}\u0000${spec.wordRange.join(',')}\u0000${spec.charRange.join(',')}`
          : undefined;
      const hit = key ? cache!.get(key) : undefined;
      if (hit) {
        for (let i = 0; i < hit[0].length; i++) {
          out.push(hit[0][i]!, hit[1][i]!);
        }
        continue;
      }
      // Hash without strings, count duplicates with stamps (cheaper than a Map or a sort). An
      // explanation names each bucket by its first n-gram: its position among the ids.
      const ids = this.scratch;
      ids.length = 0;
      hashedNgrams(v, t.tokens, spec.wordRange, spec.charRange, this.seeds[ti]!, spec.buckets, ids);
      const unique = this.countDistinct(ids, spec.buckets);
      const counts = this.counts;
      for (let i = 0; i < unique; i++) {
        const b = this.unique[i]!;
        const w = sublinearTf(counts[b]!) * (idf ? idf[b]! : 1);
        out.push(b, w);
        norm += w * w;
        origins?.push(ti, this.firstAt[i]!);
      }
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let i = start; i < out.length; i++) out.val[i]! *= inv;
      }
      if (key) cache!.set(key, [out.idx.slice(start, out.length), out.val.slice(start, out.length)]);
    }
    for (let ci = 0; ci < spec.cat.length; ci++) {
      const c = spec.cat[ci]!;
      const v = this.missing.value(row[c.name]);
      const k = v === null ? -2 : (this.vocab[ci]!.get(v) ?? -1);
      out.push(c.offset + 2 + k, 1);
    }
    for (const f of spec.num) {
      const v = this.missing.value(row[f.name]);
      const x = v === null ? NaN : parseNumberText(v);
      if (Number.isNaN(x)) {
        num[numOffset + f.slot] = 0;
        num[numOffset + f.slot + 1] = 1;
      } else {
        // clipped so that one extreme value cannot dominate a batch
        num[numOffset + f.slot] = Math.max(-10, Math.min(10, (x - f.mean) / f.std));
        num[numOffset + f.slot + 1] = 0;
      }
    }
  }

  /** The n-grams of `row`'s text column `column` at the given positions (from EntryOrigins). */
  ngramsOf(row: Record<string, Cell>, column: number, positions: readonly number[]): string[] {
    const t = this.spec.text[column]!;
    return ngramsAt(this.missing.value(row[t.name]) ?? '', t.tokens, this.spec.wordRange, this.spec.charRange, positions);
  }

  encodeTable(rows: Record<string, Cell>[]): EncodedTable {
    const entries = new SparseEntries();
    const rowPtr = new Int32Array(rows.length + 1);
    const num = new Float32Array(rows.length * this.spec.numDim);
    for (let i = 0; i < rows.length; i++) {
      this.encodeRow(rows[i]!, entries, num, i * this.spec.numDim);
      rowPtr[i + 1] = entries.length;
    }
    const { idx, val, length } = entries;
    return { n: rows.length, rowPtr, idx: idx.slice(0, length), val: val.slice(0, length), num, numDim: this.spec.numDim };
  }
}
