/**
 * The featurizer spec stored in `target.json`: how each input column becomes model inputs (hashed
 * text n-grams, categorical ids, normalised numbers). core/features.ts fits and applies it.
 */

/** A column's type: what the featurizer does with it, and how a target is learnt (numeric: regression). */
export type ColumnType = 'numeric' | 'categorical' | 'text';

/** The n-grams taken from a text cell. */
export type TokenKind = 'words' | 'chars' | 'both';

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
