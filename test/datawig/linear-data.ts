/**
 * Data for the linear family's tests and benchmark: a generated product catalogue (title and
 * description text with planted colour words, 16 classes, noise words, a numeric column, unseen
 * labels on request), a numeric table, their encoding with the datawig featurizer, metrics, and
 * the scikit-learn peer (test/datawig/linear_sklearn.py) run as a child process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MISSING_VALUES, MissingValues, type InputRecord } from '../../framework/contract/index.js';
import { Featurizer, fitFeaturizer, type EncodedTable, type FeatureOptions } from '../../algorithms/datawig/core/features.js';
import { encodeLinearTable, joinedText, type TextWeighting } from '../../algorithms/datawig/core/linear-model.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import type { ColumnType } from '../../algorithms/datawig/format/featurizer-spec.js';
import type { LinearData } from '../../algorithms/datawig/fit/fit-linear.js';

const BASES = ['red', 'blue', 'green', 'black', 'white', 'grey', 'pink', 'brown'];
const SHADES = ['dark', 'light'];
/** The 16 catalogue classes, "dark red" ... "light brown". */
export const COLOURS = SHADES.flatMap((s) => BASES.map((b) => `${s} ${b}`));
/** Labels that only evaluation rows carry (with `unseenShare`). */
export const UNSEEN_COLOURS = ['purple', 'orange'];

/** Seeded pronounceable pseudo-words ("tobena"), distinct. */
function pseudoWords(count: number, seed: number): string[] {
  const r = rng(seed);
  const cons = 'bcdfgklmnprstvz';
  const vows = 'aeiou';
  const out = new Set<string>();
  while (out.size < count) {
    let w = '';
    const syllables = 2 + Math.floor(r() * 2);
    for (let s = 0; s < syllables; s++) w += cons[Math.floor(r() * cons.length)]! + vows[Math.floor(r() * vows.length)]!;
    out.add(w);
  }
  return [...out];
}

const VOCAB = pseudoWords(3000, 7);
const BRANDS = VOCAB.slice(0, 150);
const TYPES = VOCAB.slice(150, 190);
const FILLER = VOCAB.slice(190, 2900);
/** Two words per class (a synonym-like name for the colour), also for the unseen labels. */
const SYNONYMS = new Map([...COLOURS, ...UNSEEN_COLOURS].map((c, i) => [c, VOCAB.slice(2900 + 2 * i, 2902 + 2 * i)]));
// Zipf-like class frequencies: macro-F1 sees the rare classes
const CLASS_WEIGHTS = COLOURS.map((_, i) => 1 / (i + 1) ** 0.7);

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A filler word, Zipf-distributed (a few are frequent, most are rare). */
function filler(r: () => number): string {
  return FILLER[Math.floor(FILLER.length * r() ** 2.5)]!;
}

function weightedClass(r: () => number): string {
  const total = CLASS_WEIGHTS.reduce((a, b) => a + b, 0);
  let u = r() * total;
  for (let i = 0; i < COLOURS.length; i++) if ((u -= CLASS_WEIGHTS[i]!) <= 0) return COLOURS[i]!;
  return COLOURS[COLOURS.length - 1]!;
}

/**
 * A product catalogue: `title` (brand, type, often the colour), `description` (30-60 Zipfian
 * filler words, sometimes the colour or a synonym, distractor colour words, "dark"/"light" as
 * noise; 5 % missing), `price` (numeric, weakly tied to the shade; 10 % missing) and `colour`
 * (the label, 3 % noise). About 8 % of rows carry no colour signal. `unseenShare` of the rows get a
 * label from UNSEEN_COLOURS (with their own words).
 */
export function catalogue(n: number, seed: number, unseenShare = 0): InputRecord[] {
  const r = rng(seed);
  const rows: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const colour = r() < unseenShare ? pick(r, UNSEEN_COLOURS) : weightedClass(r);
    const signal = r() >= 0.08;
    const title = [pick(r, BRANDS), pick(r, TYPES)];
    if (signal && r() < 0.55) title.splice(1, 0, colour);
    else if (signal && r() < 0.3) title.push(pick(r, SYNONYMS.get(colour)!));
    const words: string[] = [];
    const length = 30 + Math.floor(r() * 31);
    for (let k = 0; k < length; k++) words.push(filler(r));
    const insert = (w: string) => words.splice(Math.floor(r() * (words.length + 1)), 0, w);
    if (signal && r() < 0.5) insert(colour);
    if (signal && r() < 0.4) insert(pick(r, SYNONYMS.get(colour)!));
    if (r() < 0.35) insert(`pairs well with ${pick(r, BASES)}`);
    if (r() < 0.3) insert(`${pick(r, SHADES)} ${filler(r)}`);
    const label = r() < 0.03 ? pick(r, COLOURS) : colour;
    const light = colour.startsWith('light');
    const price = Math.exp(3 + (light ? 0.3 : 0) + 0.5 * (r() + r() - 1)).toFixed(2);
    rows.push({ title: title.join(' '), description: r() < 0.05 ? '' : words.join(' '), price: r() < 0.1 ? '' : price, colour: label });
  }
  return rows;
}

/** Columns of the catalogue the models read, as the featurizer wants them. */
export const CATALOGUE_FEATURES: { name: string; type: ColumnType; meanLength: number }[] = [
  { name: 'title', type: 'text', meanLength: 30 },
  { name: 'description', type: 'text', meanLength: 300 },
  { name: 'price', type: 'numeric', meanLength: 5 },
];

/**
 * A numeric target, y = 3 x1 - 2 x2 + effect(group) + a word's effect + N(0, 0.5^2) with
 * x1, x2 ~ U(0, 10), and gaps (10 % per input column).
 */
export function numericTable(n: number, seed: number): InputRecord[] {
  const r = rng(seed);
  const groups: Record<string, number> = { north: 4, south: -4, east: 1, west: 0 };
  const tags: Record<string, number> = { premium: 3, basic: -3, standard: 0 };
  const rows: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = r() * 10;
    const x2 = r() * 10;
    const group = pick(r, Object.keys(groups));
    const tag = pick(r, Object.keys(tags));
    const noise = 0.5 * Math.sqrt(-2 * Math.log(Math.max(1e-12, r()))) * Math.cos(2 * Math.PI * r());
    const y = 3 * x1 - 2 * x2 + groups[group]! + tags[tag]! + noise;
    const note = [filler(r), tag, filler(r), filler(r)].join(' ');
    rows.push({ x1: x1.toFixed(4), x2: x2.toFixed(4), group, note, y: y.toFixed(4) });
  }
  return rows;
}

export const NUMERIC_FEATURES: { name: string; type: ColumnType; meanLength: number }[] = [
  { name: 'x1', type: 'numeric', meanLength: 6 },
  { name: 'x2', type: 'numeric', meanLength: 6 },
  { name: 'group', type: 'categorical', meanLength: 5 },
  { name: 'note', type: 'text', meanLength: 30 },
];

/** Featurizer options for the linear family: word 1-2-grams, no idf, 2^18 buckets. */
export function linearFeatureOptions(overrides: Partial<FeatureOptions> = {}): FeatureOptions {
  return {
    tfidf: false,
    buckets: 2 ** 18,
    tokens: 'words',
    wordRange: [1, 2],
    charRange: [1, 4],
    maxTokens: 1000,
    missingTokens: [...DEFAULT_MISSING_VALUES],
    ...overrides,
  };
}

/** Rows encoded for the trainer: targets per row (class index, -1 unknown; or the standardised value), weights 1. */
export interface Prepared {
  featurizer: Featurizer;
  textWeighting: TextWeighting;
  /** A table row as the featurizer reads it (text columns joined, if so). */
  join: (row: InputRecord) => InputRecord;
  /** Rows encoded for the linear model. */
  encode(rows: InputRecord[]): EncodedTable;
  classes: string[];
  labelMean: number;
  labelStd: number;
  data(rows: InputRecord[]): LinearData;
}

/** How the linear model reads the text columns: joined into one document, or apart (with core/linear-model.ts's weighting). */
export type TextInput = 'joined' | TextWeighting;

/**
 * Fits the featurizer on `train` and encodes labels as fit/fit-target.ts does: classes most frequent
 * first, numbers standardised by the training rows' mean and deviation.
 */
export function prepare(
  train: InputRecord[],
  label: string,
  task: 'classification' | 'regression',
  features: { name: string; type: ColumnType; meanLength: number }[],
  opt = linearFeatureOptions(),
  textInput: TextInput = 'joined',
): Prepared {
  const missing = new MissingValues(opt.missingTokens);
  const view = textInput === 'joined' ? joinedText(features, missing) : { features, join: (row: InputRecord) => row };
  const textWeighting: TextWeighting = textInput === 'joined' ? 'column' : textInput;
  const featurizer = new Featurizer(fitFeaturizer(train.map(view.join), view.features as typeof features, opt));
  const counts = new Map<string, number>();
  for (const row of train) counts.set(String(row[label]), (counts.get(String(row[label])) ?? 0) + 1);
  const classes = task === 'classification' ? [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]) : [];
  const index = new Map(classes.map((c, i) => [c, i]));
  const values = train.map((row) => Number(row[label]));
  const labelMean = task === 'regression' ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  const labelStd = task === 'regression' ? Math.sqrt(values.reduce((a, b) => a + (b - labelMean) ** 2, 0) / values.length) || 1 : 1;
  const encode = (rows: InputRecord[]) => encodeLinearTable(featurizer, textWeighting, rows.map(view.join));
  return {
    featurizer,
    textWeighting,
    join: view.join,
    encode,
    classes,
    labelMean,
    labelStd,
    data: (rows) => ({
      enc: encode(rows),
      rows: Int32Array.from(rows, (_, i) => i),
      y: Float32Array.from(rows, (row) => (task === 'classification' ? (index.get(String(row[label])) ?? -1) : (Number(row[label]) - labelMean) / labelStd)),
      w: new Float32Array(rows.length).fill(1),
    }),
  };
}

/** The first `share` of the rows (rounded) for validation, the rest for training (rows are already random). */
export function holdOut<T>(rows: T[], share: number): { train: T[]; val: T[] } {
  const nVal = Math.round(rows.length * share);
  return { val: rows.slice(0, nVal), train: rows.slice(nVal) };
}

export function accuracy(truth: readonly string[], pred: readonly string[]): number {
  let correct = 0;
  truth.forEach((t, i) => (correct += t === pred[i] ? 1 : 0));
  return truth.length ? correct / truth.length : 0;
}

/** Macro-F1 over the labels of the truth and the predictions (scikit-learn's `f1_score(average='macro')`). */
export function macroF1(truth: readonly string[], pred: readonly string[]): number {
  const labels = [...new Set([...truth, ...pred])];
  let sum = 0;
  for (const l of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      if (pred[i] === l && t === l) tp++;
      else if (pred[i] === l) fp++;
      else if (t === l) fn++;
    });
    sum += tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
  }
  return labels.length ? sum / labels.length : 0;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'datawig', 'linear_sklearn.py');

/** A Python interpreter that imports scikit-learn: $PYTHON, python3, or Debian's /usr/bin/python3. */
export function sklearnPython(): string {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const probe = spawnSync(c, ['-c', 'import sklearn'], { stdio: 'ignore' });
    if (probe.status === 0) return c;
  }
  throw new Error(
    `scikit-learn is not importable from any of ${candidates.join(', ')}: install Debian's python3-sklearn (apt-get install python3-sklearn) or set PYTHON to an interpreter that has it`,
  );
}

export interface PeerResult {
  fitSeconds: number;
  predictions: string[];
}

/**
 * The scikit-learn peer of the issue (HashingVectorizer word 1-2-grams + SGDClassifier log-loss) on
 * the concatenated text columns: trained on `train`, predicting `evaluate`.
 */
export function runSklearnPeer(train: InputRecord[], evaluate: InputRecord[], textColumns: string[], label: string, seed = 0): PeerResult {
  const python = sklearnPython();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'linear-peer-'));
  try {
    const text = (row: InputRecord) => textColumns.map((c) => String(row[c] ?? '')).join(' ');
    const input = path.join(dir, 'input.json');
    const output = path.join(dir, 'output.json');
    writeFileSync(
      input,
      JSON.stringify({ seed, train: { text: train.map(text), label: train.map((r) => String(r[label])) }, evaluate: { text: evaluate.map(text) } }),
    );
    execFileSync(python, [SCRIPT, input, output], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    const out = JSON.parse(readFileSync(output, 'utf8')) as { fit_seconds: number; predictions: string[] };
    return { fitSeconds: out.fit_seconds, predictions: out.predictions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
