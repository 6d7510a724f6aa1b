/**
 * Turns table rows into model inputs: one sparse vector (hashed, tf-idf weighted text n-grams and
 * categorical ids, all indexing rows of one embedding table) plus a small dense numeric vector.
 * The same code runs at training and serving, so both see identical features.
 */
import type { Cell } from '../../framework/contract/index.js';
import { MissingSpec, parseNumber, type ColumnType } from './columns.js';
import { bucketOf, fnv1a, hashedNgrams, ngrams, type TokenKind } from './hashing.js';

export interface TextFeature {
  name: string;
  type: 'text';
  tokens: TokenKind;
  /** Embedding-table row used when the cell is missing. */
  missingRow: number;
  idfBuckets: number[];
  idfValues: number[];
  idfDefault: number;
}
export interface CatFeature {
  name: string;
  type: 'categorical';
  /** Rows offset (missing), offset+1 (unknown value), offset+2+i (vocab[i]). */
  offset: number;
  vocab: string[];
}
export interface NumFeature {
  name: string;
  type: 'numeric';
  mean: number;
  std: number;
  /** Dense slots: slot (normalised value), slot+1 (missing flag). */
  slot: number;
}
export interface FeaturizerSpec {
  buckets: number;
  wordRange: [number, number];
  charRange: [number, number];
  text: TextFeature[];
  cat: CatFeature[];
  num: NumFeature[];
  tableRows: number;
  numDim: number;
  missingTokens: string[];
  /** Weight n-grams by idf (rare n-grams up); off by default: unique n-grams then drown the signal. */
  tfidf: boolean;
}

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
  const missing = new MissingSpec(opt.missingTokens);
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
        const x = parseNumber(v);
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

/** A fitted featurizer ready to encode rows fast (idf tables, vocab maps). */
export class Featurizer {
  readonly missing: MissingSpec;
  private readonly idf: (Float32Array | undefined)[];
  private readonly vocab: Map<string, number>[];
  private readonly seeds: number[];
  private readonly scratch: number[] = [];
  private sorted = new Int32Array(1024);

  constructor(readonly spec: FeaturizerSpec) {
    this.missing = new MissingSpec(spec.missingTokens);
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

  /**
   * Appends the sparse entries of one row to idx/val and writes its dense numeric part into
   * `num` at `numOffset`. With `tokens`, records which text n-gram produced each entry (for explanations).
   */
  encodeRow(
    row: Record<string, Cell>,
    idx: number[],
    val: number[],
    num: Float32Array,
    numOffset: number,
    tokens?: (string | null)[],
    cache?: Map<string, [number[], number[]]>,
  ): void {
    const { spec } = this;
    for (let ti = 0; ti < spec.text.length; ti++) {
      const t = spec.text[ti]!;
      const v = this.missing.value(row[t.name]);
      if (v === null) {
        idx.push(t.missingRow);
        val.push(1);
        tokens?.push(null);
        continue;
      }
      const start = idx.length;
      let norm = 0;
      const idf = this.idf[ti];
      // complete mode: the models of one row share the encodings of its text cells
      const key = cache && !idf && !tokens ? `${t.name}\u0000${t.tokens}\u0000${spec.buckets}\u0000${spec.wordRange}\u0000${spec.charRange}` : undefined;
      const hit = key ? cache!.get(key) : undefined;
      if (hit) {
        for (let i = 0; i < hit[0].length; i++) {
          idx.push(hit[0][i]!);
          val.push(hit[1][i]!);
        }
        continue;
      }
      if (tokens) {
        // explanation path: keep the n-gram string of each bucket
        const counts = new Map<number, number>();
        const names = new Map<number, string>();
        for (const g of ngrams(v, t.tokens, spec.wordRange, spec.charRange)) {
          const b = bucketOf(t.name, g, spec.buckets);
          counts.set(b, (counts.get(b) ?? 0) + 1);
          if (!names.has(b)) names.set(b, g);
        }
        for (const [b, c] of counts) {
          const w = (1 + Math.log(c)) * (idf ? idf[b]! : 1);
          idx.push(b);
          val.push(w);
          norm += w * w;
          tokens.push(names.get(b)!);
        }
      } else {
        // hot path: hash without strings, count duplicates by sorting (cheaper than a Map)
        const ids = this.scratch;
        ids.length = 0;
        hashedNgrams(v, t.tokens, spec.wordRange, spec.charRange, this.seeds[ti]!, spec.buckets, ids);
        if (ids.length > this.sorted.length) this.sorted = new Int32Array(ids.length * 2);
        const sorted = this.sorted.subarray(0, ids.length);
        for (let i = 0; i < ids.length; i++) sorted[i] = ids[i]!;
        sorted.sort();
        for (let i = 0; i < sorted.length; ) {
          const b = sorted[i]!;
          let j = i + 1;
          while (j < sorted.length && sorted[j] === b) j++;
          const w = (1 + Math.log(j - i)) * (idf ? idf[b]! : 1);
          idx.push(b);
          val.push(w);
          norm += w * w;
          i = j;
        }
      }
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let i = start; i < val.length; i++) val[i]! *= inv;
      }
      if (key) cache!.set(key, [idx.slice(start), val.slice(start)]);
    }
    for (let ci = 0; ci < spec.cat.length; ci++) {
      const c = spec.cat[ci]!;
      const v = this.missing.value(row[c.name]);
      const k = v === null ? -2 : (this.vocab[ci]!.get(v) ?? -1);
      idx.push(c.offset + 2 + k);
      val.push(1);
      tokens?.push(null);
    }
    for (const f of spec.num) {
      const v = this.missing.value(row[f.name]);
      const x = v === null ? NaN : parseNumber(v);
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

  encodeTable(rows: Record<string, Cell>[]): EncodedTable {
    const idx: number[] = [];
    const val: number[] = [];
    const rowPtr = new Int32Array(rows.length + 1);
    const num = new Float32Array(rows.length * this.spec.numDim);
    for (let i = 0; i < rows.length; i++) {
      this.encodeRow(rows[i]!, idx, val, num, i * this.spec.numDim);
      rowPtr[i + 1] = idx.length;
    }
    return { n: rows.length, rowPtr, idx: Int32Array.from(idx), val: Float32Array.from(val), num, numDim: this.spec.numDim };
  }
}
