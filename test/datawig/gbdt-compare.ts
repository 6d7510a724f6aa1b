/**
 * Shared by the gbdt test and benchmark: generated data sets (numeric features with NaN, optional
 * categorical ones), their metrics, and scikit-learn's HistGradientBoosting run on the same rows by
 * test/datawig/gbdt_sklearn.py (Debian's python3-sklearn).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../../algorithms/datawig/core/rng.js';
import type { GbdtOptions } from '../../algorithms/datawig/fit/gbdt/fit-gbdt.js';

export interface Dataset {
  task: 'regression' | 'classification';
  categorical: boolean[];
  train: { features: Float64Array[]; y: Float64Array | Int32Array };
  test: { features: Float64Array[]; y: Float64Array | Int32Array };
}

export interface GenerateSpec {
  rows: number;
  testRows: number;
  numeric: number;
  /** Categorical features (each with `levels` codes, with an effect per code). */
  categorical?: number;
  levels?: number;
  nanFraction?: number;
  seed: number;
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** Features of n rows: uniform(-1, 1) numeric ones, then categorical codes; the signal is computed before NaN is planted. */
function features(spec: GenerateSpec, n: number, next: () => number): { clean: Float64Array[]; seen: Float64Array[] } {
  const cat = spec.categorical ?? 0;
  const clean = Array.from({ length: spec.numeric + cat }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < spec.numeric; f++) clean[f]![i] = 2 * next() - 1;
    for (let f = 0; f < cat; f++) clean[spec.numeric + f]![i] = Math.floor(next() * (spec.levels ?? 10));
  }
  const seen = clean.map((col) => col.map((x) => (next() < (spec.nanFraction ?? 0) ? NaN : x)));
  return { clean, seen };
}

/** Effect of each category code, seeded. */
function effects(levels: number, next: () => number, scale: number): Float64Array {
  return Float64Array.from({ length: levels }, () => scale * gaussian(next));
}

/** Friedman-like regression: interaction, curvature, linear terms, category effects and noise; other features are noise. */
export function regressionData(spec: GenerateSpec): Dataset {
  const next = rng(spec.seed);
  const fx = effects(spec.levels ?? 10, next, 3);
  const make = (n: number) => {
    const { clean, seen } = features(spec, n, next);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = (f: number) => clean[f]![i]!;
      y[i] = 10 * Math.sin(Math.PI * x(0) * x(1)) + 20 * (x(2) - 0.5) ** 2 + 10 * x(3) + 5 * x(4) + gaussian(next);
      if (spec.categorical) y[i]! += fx[x(spec.numeric)]!;
    }
    return { features: seen, y };
  };
  const categorical = Array.from({ length: spec.numeric + (spec.categorical ?? 0) }, (_, f) => f >= spec.numeric);
  return { task: 'regression', categorical, train: make(spec.rows), test: make(spec.testRows) };
}

/** Three classes from softmax of nonlinear scores of the first features and the first categorical one. */
export function classificationData(spec: GenerateSpec): Dataset {
  const next = rng(spec.seed);
  const fx = [effects(spec.levels ?? 10, next, 1.5), effects(spec.levels ?? 10, next, 1.5)];
  const make = (n: number) => {
    const { clean, seen } = features(spec, n, next);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const x = (f: number) => clean[f]![i]!;
      const c = spec.categorical ? x(spec.numeric) : -1;
      const s = [3 * x(0) - 2 * x(1) + (c >= 0 ? fx[0]![c]! : 0), 6 * x(1) * x(2) + (c >= 0 ? fx[1]![c]! : 0), 3 * Math.sin(3 * x(3))];
      const e = s.map((v) => Math.exp(v));
      let u = next() * (e[0]! + e[1]! + e[2]!);
      let k = 0;
      while (k < 2 && u >= e[k]!) u -= e[k++]!;
      y[i] = k;
    }
    return { features: seen, y };
  };
  const categorical = Array.from({ length: spec.numeric + (spec.categorical ?? 0) }, (_, f) => f >= spec.numeric);
  return { task: 'classification', categorical, train: make(spec.rows), test: make(spec.testRows) };
}

/** MSE over the variance of the truth (1 = predicting the mean). */
export function normalisedMse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i]!;
  mean /= y.length;
  let se = 0;
  let v = 0;
  for (let i = 0; i < y.length; i++) {
    se += (pred[i]! - y[i]!) ** 2;
    v += (y[i]! - mean) ** 2;
  }
  return se / v;
}

/** Share of rows whose highest-probability class (rows of k probabilities) is the label. */
export function accuracy(proba: Float64Array, k: number, y: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let o = 1; o < k; o++) if (proba[i * k + o]! > proba[i * k + best]!) best = o;
    if (best === y[i]) hits++;
  }
  return hits / y.length;
}

/** scikit-learn keyword arguments matching our options (same defaults otherwise). */
export function sklearnParams(o: GbdtOptions): Record<string, unknown> {
  return {
    learning_rate: o.learningRate ?? 0.1,
    max_iter: o.maxIter ?? 100,
    max_leaf_nodes: o.maxLeafNodes ?? 31,
    min_samples_leaf: o.minSamplesLeaf ?? 20,
    l2_regularization: o.l2 ?? 0,
    max_bins: o.maxBins ?? 255,
    early_stopping: o.earlyStopping ?? 'auto',
    validation_fraction: o.validationFraction ?? 0.1,
    n_iter_no_change: o.nIterNoChange ?? 10,
    tol: o.tol ?? 1e-7,
    random_state: o.seed ?? 0,
  };
}

function writeF64(file: string, columns: Float64Array[] | Float64Array | Int32Array): void {
  const parts = Array.isArray(columns) ? columns : [Float64Array.from(columns)];
  const all = new Float64Array(parts.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of parts) {
    all.set(c, at);
    at += c.length;
  }
  writeFileSync(file, new Uint8Array(all.buffer));
}

/** Writes a data set for gbdt_sklearn.py into `dir`. */
export function writeDataset(dir: string, d: Dataset, options: GbdtOptions): void {
  mkdirSync(dir, { recursive: true });
  const meta = {
    task: d.task,
    nTrain: d.train.y.length,
    nTest: d.test.y.length,
    nFeatures: d.categorical.length,
    categorical: d.categorical,
    params: sklearnParams(options),
  };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
  writeF64(path.join(dir, 'X_train.f64'), d.train.features);
  writeF64(path.join(dir, 'X_test.f64'), d.test.features);
  writeF64(path.join(dir, 'y_train.f64'), d.train.y);
  writeF64(path.join(dir, 'y_test.f64'), d.test.y);
}

/** A Python that imports sklearn: $GBDT_PYTHON, else python3 on PATH, else Debian's /usr/bin/python3. Throws when none does. */
export function sklearnPython(): string {
  const candidates = [process.env.GBDT_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import sklearn, numpy'], { stdio: 'ignore' });
    if (r.status === 0) return python;
  }
  throw new Error(
    `scikit-learn is not importable from ${candidates.join(', ')}: install Debian's python3-sklearn (apt-get install python3-sklearn) or set GBDT_PYTHON`,
  );
}

export interface SklearnResult {
  fitSeconds: number;
  fitCpuSeconds: number;
  nIter: number;
  nmse?: number;
  accuracy?: number;
  logLoss?: number;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'datawig', 'gbdt_sklearn.py');

/**
 * Runs scikit-learn on data sets written by writeDataset with `threads` OpenMP threads. `passive`:
 * idle OpenMP threads sleep instead of spinning (on a shared, busy machine spinning threads make
 * every parallel region wait for a descheduled peer).
 */
export function runSklearn(python: string, dirs: string[], threads = 2, passive = true): SklearnResult[] {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), ...(passive ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}) };
  const out = execFileSync(python, [SCRIPT, ...dirs], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out) as SklearnResult[];
}
