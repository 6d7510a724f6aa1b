/**
 * One imputation model (one target column): data preparation, training, calibration, metrics,
 * explanations, (de)serialisation and the per-row serving math.
 */
import { TrainingError, type Cell, type InputRecord } from '../../framework/contract/index.js';
import { classReport, ece, fitTemperature, precisionCurves, softmaxInto, thresholdFor, type ClassReport } from './calibration.js';
import { parseNumber, type ColumnType } from './columns.js';
import { EntryOrigins, Featurizer, fitFeaturizer, SparseEntries, type EncodingCache, type FeaturizerSpec } from './features.js';
import { Net, rng, weightShapes, type NetSpec } from './net.js';
import type { Tf } from './tf-backend.js';
import { evaluate, trainNet, type EpochReport, type Split, type Task } from './train.js';

export interface ModelConfig {
  tokens: 'auto' | 'words' | 'chars' | 'both';
  wordRange: [number, number];
  charRange: [number, number];
  buckets: number;
  maxTokens: number;
  latentDim: number;
  numericLatentDim: number;
  numericHiddenLayers: number;
  fcHidden: number[];
  learningRate: number;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  patience: number;
  seed: number;
  classWeights: string | undefined;
  missingTokens: string[];
  tfidf: boolean;
  /** Regression: clamp served values to the training labels' range (absent in older models: true). */
  clipRegression?: boolean;
}

export interface TargetArtifact {
  format: 'datawig-target/1';
  label: string;
  task: Task;
  classes: string[];
  labelMean: number;
  labelStd: number;
  /** Regression: [min, max] of the labels seen in training; served values are clamped to it. */
  labelRange?: [number, number];
  featurizer: FeaturizerSpec;
  featureTypes: Record<string, ColumnType>;
  net: NetSpec;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  temperature: number;
  config: ModelConfig;
  metrics: Record<string, number>;
  report?: ClassReport;
  curves?: { precision: number[][]; count: number[][] };
  /** Training class prior and validation joint P(predicted, true), for label-shift estimation. */
  trainPrior?: number[];
  valJoint?: number[][];
  explanations?: Record<string, string[]>;
  history: EpochReport[];
}

export interface FitInput {
  rows: InputRecord[];
  valRows?: InputRecord[];
  label: string;
  features: { name: string; type: ColumnType; meanLength: number }[];
  task: Task;
  validationSplit: number;
  deadline: number;
  signal: AbortSignal;
  onEpoch?: (e: EpochReport) => void;
}

export interface Fitted {
  artifact: TargetArtifact;
  weights: Map<string, Float32Array>;
  valLoss: number;
}

export async function fitTarget(tf: Tf, input: FitInput, cfg: ModelConfig): Promise<Fitted> {
  const { label, task } = input;
  const featurizerRows = input.rows;
  const miss = new Featurizer(fitFeaturizer([], [], featureOptions(cfg))).missing;
  let labelled = input.rows.filter((r) => !miss.isMissing(r[label]));
  let valRows: InputRecord[];
  if (input.valRows) {
    valRows = input.valRows.filter((r) => !miss.isMissing(r[label]));
  } else {
    const r = rng(cfg.seed ^ 0x1234567);
    const order = labelled.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const nVal = labelled.length >= 10 ? Math.max(1, Math.round(labelled.length * input.validationSplit)) : 0;
    valRows = order.slice(0, nVal).map((i) => labelled[i]!);
    labelled = order.slice(nVal).map((i) => labelled[i]!);
  }
  if (valRows.length === 0) valRows = labelled; // too few rows to hold any out: validate on train

  const featurizer = new Featurizer(fitFeaturizer(featurizerRows, input.features, featureOptions(cfg)));
  let classes: string[] = [];
  let labelMean = 0;
  let labelStd = 1;
  let labelRange: [number, number] | undefined;
  const toY = (rows: InputRecord[]): Float32Array => {
    if (task === 'classification') {
      const index = new Map(classes.map((c, i) => [c, i]));
      return Float32Array.from(rows, (r) => index.get(miss.value(r[label])!) ?? -1);
    }
    return Float32Array.from(rows, (r) => {
      const v = parseNumber(miss.value(r[label])!);
      if (Number.isNaN(v)) throw new TrainingError(`label column "${label}" is numeric but has the non-numeric value "${String(r[label])}"; fix the data or declare it categorical with column_types="${label}:categorical"`);
      return (v - labelMean) / labelStd;
    });
  };
  if (task === 'classification') {
    const counts = new Map<string, number>();
    for (const r of labelled) counts.set(miss.value(r[label])!, (counts.get(miss.value(r[label])!) ?? 0) + 1);
    classes = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]);
  } else {
    const vals = labelled.map((r) => parseNumber(miss.value(r[label])!));
    const bad = labelled.find((_, i) => Number.isNaN(vals[i]!));
    if (bad) toY([bad]);
    labelMean = vals.reduce((a, b) => a + b, 0) / vals.length;
    labelStd = Math.sqrt(vals.reduce((a, b) => a + (b - labelMean) ** 2, 0) / vals.length) || 1;
    if (cfg.clipRegression !== false) {
      // every observed label, validation rows included
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of [...vals, ...valRows.map((r) => parseNumber(miss.value(r[label])!))]) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo <= hi) labelRange = [lo, hi];
    }
  }
  const yTrain = toY(labelled);
  const yVal = toY(valRows);
  const wTrain = new Float32Array(labelled.length).fill(1);
  if (task === 'classification') applyClassWeights(cfg.classWeights, classes, yTrain, wTrain);

  const encTrain = featurizer.encodeTable(labelled);
  const encVal = featurizer.encodeTable(valRows);
  const trainSplit: Split = { enc: encTrain, rows: Int32Array.from(labelled, (_, i) => i), y: yTrain, w: wTrain };
  const valSplit: Split = { enc: encVal, rows: Int32Array.from(valRows, (_, i) => i), y: yVal, w: new Float32Array(valRows.length).fill(1) };
  const net: NetSpec = {
    tableRows: featurizer.spec.tableRows,
    embDim: cfg.latentDim,
    numDim: featurizer.spec.numDim,
    numHidden: new Array<number>(cfg.numericHiddenLayers).fill(cfg.numericLatentDim),
    fcHidden: cfg.fcHidden,
    outDim: task === 'classification' ? classes.length : 1,
  };
  const out = await trainNet(
    tf,
    {
      task,
      net,
      sparseColumns: featurizer.spec.text.length + featurizer.spec.cat.length,
      learningRate: cfg.learningRate,
      weightDecay: cfg.weightDecay,
      batchSize: cfg.batchSize,
      epochs: cfg.epochs,
      patience: cfg.patience,
      seed: cfg.seed,
      deadline: input.deadline,
      signal: input.signal,
      onEpoch: (e) => input.onEpoch?.(task === 'regression' ? { ...e, valRmse: (e.valRmse ?? NaN) * labelStd } : e),
    },
    trainSplit,
    valSplit,
  );
  const model = new Net(net, out.weights);
  const ev = evaluate(task, model, valSplit);
  const artifact: TargetArtifact = {
    format: 'datawig-target/1',
    label,
    task,
    classes,
    labelMean,
    labelStd,
    ...(labelRange ? { labelRange } : {}),
    featurizer: featurizer.spec,
    featureTypes: Object.fromEntries(input.features.map((f) => [f.name, f.type])),
    net,
    weightSpecs: weightShapes(net).map((w) => ({ ...w, dtype: 'float32' as const })),
    temperature: 1,
    config: cfg,
    metrics: { best_epoch: out.bestEpoch, epochs: out.epochs, train_rows: labelled.length, validation_rows: valRows.length },
    history: out.history,
  };
  let valLoss = out.bestValLoss;
  if (task === 'classification') {
    const K = classes.length;
    const known = Float32Array.from(yVal);
    const t = fitTemperature(ev.logits, known, K);
    artifact.temperature = t;
    const probs: Float64Array[] = [];
    const pred = new Int32Array(valRows.length);
    for (let i = 0; i < valRows.length; i++) {
      const p = new Float64Array(K);
      softmaxInto(ev.logits, i * K, K, t, p);
      probs.push(p);
      let arg = 0;
      for (let k = 1; k < K; k++) if (p[k]! > p[arg]!) arg = k;
      pred[i] = arg;
    }
    const report = classReport(pred, yVal, classes);
    artifact.report = report;
    artifact.curves = precisionCurves(probs, pred, yVal, K);
    artifact.metrics.accuracy = report.accuracy;
    artifact.metrics.macro_f1 = report.macroF1;
    artifact.metrics.ece_before = ece(ev.logits, yVal, K, 1);
    artifact.metrics.ece = ece(ev.logits, yVal, K, t);
    artifact.metrics.temperature = t;
    artifact.metrics.loss = valLoss;
    const calibrated = new Float64Array(K);
    let cl = 0;
    let cn = 0;
    for (let i = 0; i < valRows.length; i++) {
      if (yVal[i]! < 0) continue;
      softmaxInto(ev.logits, i * K, K, t, calibrated);
      cl -= Math.log(Math.max(1e-12, calibrated[yVal[i]!]!));
      cn++;
    }
    valLoss = cn ? cl / cn : valLoss;
    artifact.metrics.loss_calibrated = valLoss;
    const prior = new Array<number>(K).fill(0);
    for (const y of yTrain) prior[y]! += 1 / yTrain.length;
    artifact.trainPrior = prior;
    const joint = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    let jn = 0;
    for (let i = 0; i < pred.length; i++) if (yVal[i]! >= 0) jn++;
    for (let i = 0; i < pred.length; i++) if (yVal[i]! >= 0) joint[pred[i]!]![yVal[i]!]! += 1 / jn;
    artifact.valJoint = joint;
    if (featurizer.spec.text.length) artifact.explanations = classExplanations(artifact, out.weights, [...valRows.slice(0, 500), ...labelled.slice(0, 500)], toY([...valRows.slice(0, 500), ...labelled.slice(0, 500)]));
  } else {
    artifact.metrics.rmse = ev.rmse * labelStd;
    if (labelRange) {
      // RMSE of what is served: clamped to the training range
      let clampedSe = 0;
      for (let i = 0; i < yVal.length; i++) clampedSe += (clampTo(labelRange, ev.logits[i]! * labelStd + labelMean) - (yVal[i]! * labelStd + labelMean)) ** 2;
      artifact.metrics.rmse = Math.sqrt(clampedSe / Math.max(1, yVal.length));
    }
    artifact.metrics.loss = valLoss;
    let se = 0;
    for (const y of yVal) se += (y * labelStd) ** 2;
    artifact.metrics.rmse_mean_baseline = Math.sqrt(se / Math.max(1, yVal.length));
  }
  return { artifact, weights: out.weights, valLoss };
}

function featureOptions(cfg: ModelConfig) {
  return { buckets: cfg.buckets, tokens: cfg.tokens, wordRange: cfg.wordRange, charRange: cfg.charRange, maxTokens: cfg.maxTokens, missingTokens: cfg.missingTokens, tfidf: cfg.tfidf };
}

/** `balanced` (n / (K n_c)) or `a:2,b:0.5` (others 1). */
function applyClassWeights(spec: string | undefined, classes: string[], y: Float32Array, w: Float32Array): void {
  if (!spec) return;
  const K = classes.length;
  const per = new Float64Array(K).fill(1);
  if (spec.trim() === 'balanced') {
    const n = new Float64Array(K);
    for (const c of y) n[c]++;
    for (let k = 0; k < K; k++) per[k] = n[k] ? y.length / (K * n[k]!) : 1;
  } else {
    for (const part of spec.split(/[,;]/)) {
      const at = part.lastIndexOf(':');
      const name = part.slice(0, at).trim();
      const v = Number(part.slice(at + 1));
      const k = classes.indexOf(name);
      if (at < 0 || !Number.isFinite(v) || v < 0) throw new TrainingError(`class_weights: "${part}" is not <class>:<non-negative weight> (or use "balanced")`);
      if (k < 0) throw new TrainingError(`class_weights names class "${name}", which is not among the labels (${classes.slice(0, 20).join(', ')})`);
      per[k] = v;
    }
  }
  for (let i = 0; i < y.length; i++) w[i] = per[y[i]!]!;
}

/** Top n-grams supporting each class, summed (gradient x input) over rows of that class. */
function classExplanations(a: TargetArtifact, weights: Map<string, Float32Array>, rows: InputRecord[], y: Float32Array): Record<string, string[]> {
  const target = new LoadedTarget(a, weights);
  const sums = a.classes.map(() => new Map<string, number>());
  rows.forEach((r, i) => {
    if (y[i]! < 0) return;
    for (const [tok, s] of target.tokenContributions(r, y[i]!)) {
      const m = sums[y[i]!]!;
      m.set(tok, (m.get(tok) ?? 0) + s);
    }
  });
  return Object.fromEntries(a.classes.map((c, k) => [c, topTokens([...sums[k]!.entries()], 10)]));
}

/** A trained target model ready to answer rows (plain typed-array math). */
export class LoadedTarget {
  readonly featurizer: Featurizer;
  readonly net: Net;
  private readonly entries = new SparseEntries();
  private readonly num: Float32Array;
  private readonly logits: Float64Array;
  readonly probs: Float64Array;
  private readonly thresholds = new Map<number, Float64Array>();
  /** The last run's text entry origins and row, when it was traced (for explanations). */
  private readonly origins = new EntryOrigins();
  private traced: Record<string, Cell> | undefined;
  private scores = new Float64Array(256);

  constructor(readonly a: TargetArtifact, weights: Map<string, Float32Array>) {
    this.featurizer = new Featurizer(a.featurizer);
    this.net = new Net(a.net, weights);
    this.num = new Float32Array(Math.max(1, a.net.numDim));
    this.logits = new Float64Array(a.net.outDim);
    this.probs = new Float64Array(a.net.outDim);
  }

  /**
   * Runs one row; afterwards `probs` holds calibrated class probabilities. Returns the regression
   * value for numeric targets. `traced`: remember where each text entry came from, for
   * explainLastRun (which must follow before the next run).
   */
  run(row: Record<string, Cell>, cache?: EncodingCache, traced = false): number {
    const entries = this.entries;
    entries.length = 0;
    this.origins.clear();
    this.traced = traced ? row : undefined;
    this.featurizer.encodeRow(row, entries, this.num, 0, traced ? this.origins : undefined, cache);
    this.net.forward(entries.idx, entries.val, 0, entries.length, this.num, 0, this.logits);
    if (this.a.task === 'regression') return clampTo(this.a.labelRange, this.logits[0]! * this.a.labelStd + this.a.labelMean);
    softmaxInto(this.logits, 0, this.a.net.outDim, this.a.temperature, this.probs);
    return NaN;
  }

  /** Per-class probability thresholds that reach the requested validation precision. */
  thresholdsFor(precision: number): Float64Array {
    let t = this.thresholds.get(precision);
    if (!t) {
      t = Float64Array.from(this.a.classes, (_, k) => (this.a.curves ? thresholdFor(this.a.curves, k, precision) : 0));
      if (this.thresholds.size > 100) this.thresholds.clear();
      this.thresholds.set(precision, t);
    }
    return t;
  }

  /** Text n-grams of a row with their contribution to class k's score relative to the mean class. */
  tokenContributions(row: Record<string, Cell>, k: number): [string, number][] {
    this.run(row, undefined, true);
    return this.namedContributions(this.scoresOfLastRun(k));
  }

  /**
   * The n text n-grams of the row just run with `traced` that most support class k relative to the
   * mean class, best first: what `topTokens(tokenContributions(row, k), n)` gives, naming only the
   * n-grams it reports when the model has one text column.
   */
  explainLastRun(k: number, n: number): string[] {
    const scores = this.scoresOfLastRun(k);
    // Several text columns may share an n-gram: sum its contributions by name.
    if (this.featurizer.spec.text.length > 1) return topTokens(this.namedContributions(scores), n);
    // One text column: its entries are distinct n-grams already (the featurizer merges repeats).
    const best = bestIndices(scores, this.origins.position.length, n, true);
    return stripMarkers(this.featurizer.ngramsOf(this.traced!, 0, best.map((i) => this.origins.position[i]!)));
  }

  /** Contribution of each text entry of the last traced run (-Infinity for a missing cell's marker). */
  private scoresOfLastRun(k: number): Float64Array {
    if (!this.traced) throw new Error('explainLastRun needs the row run just before with traced = true');
    const g = this.net.relativeEmbeddingGradient(k);
    const { position } = this.origins;
    if (this.scores.length < position.length) this.scores = new Float64Array(2 * position.length);
    const scores = this.scores;
    for (let i = 0; i < position.length; i++) {
      scores[i] = position[i]! < 0 ? -Infinity : this.net.tokenScore(this.entries.idx[i]!, this.entries.val[i]!, g);
    }
    return scores;
  }

  /** (n-gram, contribution) of each named text entry of the last traced run. */
  private namedContributions(scores: Float64Array): [string, number][] {
    const row = this.traced!;
    const { column, position } = this.origins;
    const out: [string, number][] = [];
    for (let c = 0; c < this.featurizer.spec.text.length; c++) {
      const at: number[] = [];
      for (let i = 0; i < position.length; i++) if (column[i] === c && position[i]! >= 0) at.push(i);
      const names = this.featurizer.ngramsOf(row, c, at.map((i) => position[i]!));
      at.forEach((i, j) => out.push([names[j]!, scores[i]!]));
    }
    return out;
  }
}

/** v clamped to [lo, hi] when a range is given. */
function clampTo(range: [number, number] | undefined, v: number): number {
  return range ? Math.min(range[1], Math.max(range[0], v)) : v;
}

/** weights.bin: the float32 tensors of `weightSpecs` concatenated (the tf.io weights format). */
export function encodeWeights(a: TargetArtifact, weights: Map<string, Float32Array>): Uint8Array {
  const total = a.weightSpecs.reduce((s, w) => s + w.shape.reduce((x, y) => x * y, 1), 0);
  const buf = new Float32Array(total);
  let o = 0;
  for (const w of a.weightSpecs) {
    const data = weights.get(w.name)!;
    buf.set(data, o);
    o += data.length;
  }
  return new Uint8Array(buf.buffer);
}

export function decodeWeights(a: TargetArtifact, bytes: Uint8Array): Map<string, Float32Array> {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const all = new Float32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
  const m = new Map<string, Float32Array>();
  let o = 0;
  for (const w of a.weightSpecs) {
    const size = w.shape.reduce((x, y) => x * y, 1);
    if (o + size > all.length) throw new Error(`weights.bin is too short for "${w.name}" (corrupt model?)`);
    m.set(w.name, all.slice(o, o + size));
    o += size;
  }
  return m;
}

/** The n n-grams that most support a class (summed over repeats), without the char n-gram marker. */
export function topTokens(contributions: [string, number][], n: number): string[] {
  // Sum repeats (one n-gram can come from several text columns).
  const totals = new Map<string, number>();
  for (let i = 0; i < contributions.length; i++) {
    const [t, s] = contributions[i]!;
    totals.set(t, (totals.get(t) ?? 0) + s);
  }
  const names = [...totals.keys()];
  return stripMarkers(bestIndices([...totals.values()], names.length, n, true).map((i) => names[i]!));
}

/**
 * Indices of the n largest of values[0..length) (only positive ones with `positiveOnly`), best
 * first, ties in index order (what a stable sort gives): inserted into a short list, n being a
 * handful, instead of sorting them all.
 */
export function bestIndices(values: ArrayLike<number>, length: number, n: number, positiveOnly: boolean): number[] {
  const best: number[] = [];
  for (let i = 0; i < length; i++) {
    const v = values[i]!;
    if ((positiveOnly && !(v > 0)) || (best.length === n && !(v > values[best[n - 1]!]!))) continue;
    let at = best.length;
    while (at > 0 && values[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > n) best.pop();
  }
  return best;
}

/** N-gram names without the char n-gram marker. */
function stripMarkers(names: string[]): string[] {
  return names.map((t) => (t.startsWith('#') ? t.slice(1) : t));
}
