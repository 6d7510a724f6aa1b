/**
 * Fits one imputation model (one target column): data preparation, training, calibration,
 * metrics and explanations, into the artifact that target.json stores.
 */
import { TrainingError, type InputRecord } from '../../../framework/contract/index.js';
import { classReport, ece, fitTemperature, precisionCurves, softmaxInto } from '../core/calibration.js';
import { parseNumberText } from '../../../framework/contract/index.js';
import { Featurizer, fitFeaturizer } from '../core/features.js';
import { Net } from '../core/net.js';
import { topTokens } from '../core/ranking.js';
import { rng } from '../core/rng.js';
import { clampTo, TargetModel } from '../core/target-model.js';
import type { ColumnType } from '../format/featurizer-spec.js';
import { weightShapes, type NetSpec } from '../format/net-spec.js';
import { TARGET_FORMAT, type EpochReport, type TargetArtifact, type TargetConfig, type Task } from '../format/target-artifact.js';
import type { Tf } from './tf-backend.js';
import { evaluate, trainNet, type Split } from './train-net.js';

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

export async function fitTarget(tf: Tf, input: FitInput, cfg: TargetConfig): Promise<Fitted> {
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
      const v = parseNumberText(miss.value(r[label])!);
      if (Number.isNaN(v)) throw new TrainingError(`label column "${label}" is numeric but has the non-numeric value "${String(r[label])}"; fix the data or declare it categorical with column_types="${label}:categorical"`);
      return (v - labelMean) / labelStd;
    });
  };
  if (task === 'classification') {
    const counts = new Map<string, number>();
    for (const r of labelled) counts.set(miss.value(r[label])!, (counts.get(miss.value(r[label])!) ?? 0) + 1);
    classes = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]);
  } else {
    const vals = labelled.map((r) => parseNumberText(miss.value(r[label])!));
    const bad = labelled.find((_, i) => Number.isNaN(vals[i]!));
    if (bad) toY([bad]);
    labelMean = vals.reduce((a, b) => a + b, 0) / vals.length;
    labelStd = Math.sqrt(vals.reduce((a, b) => a + (b - labelMean) ** 2, 0) / vals.length) || 1;
    if (cfg.clipRegression !== false) {
      // every observed label, validation rows included
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of [...vals, ...valRows.map((r) => parseNumberText(miss.value(r[label])!))]) {
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
    format: TARGET_FORMAT,
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

function featureOptions(cfg: TargetConfig) {
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
  const target = new TargetModel(a, weights);
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
