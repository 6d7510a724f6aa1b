/**
 * The model families of one target, each trained on the same training rows and scored on the same
 * validation rows: gradient-boosted trees, the linear n-gram model, the n-gram network and the
 * constant (training mean / class prior). Every family answers with the same kind of validation
 * scores (class logits or standardised values), so selection, ensembling and calibration are one
 * code path (fit/select-family.ts, fit/fit-target.ts).
 */
import type { InputRecord, MissingValues } from '../../../framework/contract/index.js';
import type { EncodedTable, Featurizer } from '../core/features.js';
import { featureGains, predictRaw } from '../core/gbdt-model.js';
import { encodeLinearTable, linearScoresBatch, linearTensorShapes, linearTensors } from '../core/linear-model.js';
import { Net } from '../core/net.js';
import { treeScores } from '../core/target-model.js';
import { categoricalMask, treeColumns, treeMatrix } from '../core/tree-features.js';
import { weightShapes, type NetSpec } from '../format/net-spec.js';
import { indicatedColumn } from '../format/model-index.js';
import type { EpochReport, ModelFamily, TargetArtifact, TargetConfig, Task } from '../format/target-artifact.js';
import type { Tensors } from '../format/weights.js';
import { fitGbdt, type GbdtData, type GbdtFit, type GbdtOptions } from './gbdt/fit-gbdt.js';
import { fitLinearAdaptive, linearDefaults } from './fit-linear.js';
import { fitRidge, ridgeApplies } from './fit-ridge.js';
import { screenTreeInputs, widenFeatures } from './tree-inputs.js';
import type { Tf, TfLoader } from './tf-backend.js';
import { familyFinished, familyStarted, familySteps, type FitProgress } from './fit-progress.js';
import { evaluate, trainNet, type EpochCheckpoints, type Split } from './train-net.js';

/** What every family of one target trains on. */
export interface TargetData {
  task: Task;
  /** Classes, or 1 for a number. */
  K: number;
  featurizer: Featurizer;
  missing: MissingValues;
  cfg: TargetConfig;
  /** The rows with a known label: training and validation (the same array when too few to hold any out). */
  train: InputRecord[];
  val: InputRecord[];
  /** The featurizer's encodings with targets and loss weights (train-net's splits). */
  splits: { train: Split; val: Split };
  deadline: number;
  signal: AbortSignal;
  onEpoch?: (e: EpochReport) => void;
  /** The job's progress display, and the target's name on it. */
  progress?: FitProgress;
  epochCheckpoints?: EpochCheckpoints;
  /** Boosts the trees elsewhere (another thread), while the other families train here; absent: here. */
  boostTrees?: TreeBooster;
}

/** Runs fitGbdt, possibly on another thread (the same inputs give the same model wherever it runs). */
export type TreeBooster = (job: TreeJob) => Promise<GbdtFit>;

/** fitGbdt's arguments, as plain data (structured-cloneable). */
export interface TreeJob {
  data: GbdtData;
  options: GbdtOptions;
  /** The target's name on the progress display (absent: no display). */
  progressUnit?: string;
}

/** One trained family: its validation scores and what it adds to the artifact. */
export interface FamilyFit {
  family: ModelFamily;
  /** Per validation row: K class logits, or the standardised value (row-major). */
  scores: Float64Array;
  /** Writes the family's payload into the artifact and its tensors into `tensors`. */
  store(a: TargetArtifact, tensors: Tensors): void;
}

export async function fitFamily(tf: TfLoader, family: ModelFamily, d: TargetData): Promise<FamilyFit> {
  if (family === 'network') return { family, ...(await fitNetwork(await tf(), d)) };
  if (family === 'linear') return { family, ...(await fitLinearFamily(d)) };
  return { family, ...(family === 'trees' ? await fitTrees(d) : fitConstant(d)) };
}

/**
 * Fits the families, in their order: the trees on `d.boostTrees` (if given, and there are others)
 * while the others train here one after the other (cheapest first: the deadline may stop the network).
 */
export async function fitFamilies(tf: TfLoader, families: readonly ModelFamily[], d: TargetData): Promise<FamilyFit[]> {
  // alone, the trees are boosted here: a thread would only add its start-up and the copies
  const beside = families.some((f) => f !== 'trees' && f !== 'constant');
  const elsewhere = (f: ModelFamily) => d.boostTrees !== undefined && beside && f === 'trees';
  const started = new Map(families.filter(elsewhere).map((f) => [f, fitFamily(tf, f, d)]));
  // awaited below; a failure here first must not leave them unhandled
  for (const p of started.values()) p.catch(() => undefined);
  const fits: FamilyFit[] = [];
  for (const f of families) if (!elsewhere(f)) fits.push(await fitFamily(tf, f, d));
  for (const [f, p] of started) fits.splice(families.indexOf(f), 0, await p);
  return fits;
}

/** The DataWig network: hashed n-gram embeddings and numeric layers, trained in TensorFlow.js. */
async function fitNetwork(tf: Tf, d: TargetData): Promise<Omit<FamilyFit, 'family'>> {
  const { cfg, featurizer, splits } = d;
  const net: NetSpec = {
    tableRows: featurizer.spec.tableRows,
    embDim: cfg.latentDim,
    numDim: featurizer.spec.numDim,
    numHidden: new Array<number>(cfg.numericHiddenLayers).fill(cfg.numericLatentDim),
    fcHidden: cfg.fcHidden,
    outDim: d.K,
  };
  familyStarted(d.progress, 'network', cfg.epochs);
  const out = await trainNet(
    tf,
    {
      task: d.task,
      net,
      sparseColumns: featurizer.spec.text.length + featurizer.spec.cat.length,
      learningRate: cfg.learningRate,
      weightDecay: cfg.weightDecay,
      batchSize: cfg.batchSize,
      epochs: cfg.epochs,
      patience: cfg.patience,
      seed: cfg.seed,
      deadline: d.deadline,
      signal: d.signal,
      checkpoints: d.epochCheckpoints,
      onEpoch: d.onEpoch,
      onStep: familySteps(d.progress, 'network'),
    },
    splits.train,
    splits.val,
  );
  familyFinished(d.progress, 'network', stepsSummary('epochs', out.epochs, out.bestEpoch, out.stopReason));
  const ev = evaluate(d.task, new Net(net, out.weights), splits.val);
  return {
    scores: Float64Array.from(ev.logits),
    store(a, tensors) {
      a.net = net;
      const shapes = weightShapes(net);
      a.weightSpecs.push(...shapes.map((w) => ({ ...w, dtype: 'float32' as const })));
      for (const w of shapes) tensors.set(w.name, out.weights.get(w.name)!);
      Object.assign(a.metrics, { best_epoch: out.bestEpoch, epochs: out.epochs });
      a.history = out.history;
    },
  };
}

/** The linear model over the same hashed features (text columns weighted as one document). */
async function fitLinearFamily(d: TargetData): Promise<Omit<FamilyFit, 'family'>> {
  const { featurizer, splits } = d;
  // With one text column the joint weighting changes nothing: the network's encodings serve.
  const joint = featurizer.spec.text.length > 1;
  const enc = (rows: InputRecord[], s: Split) => withoutIndicators(featurizer, joint ? encodeLinearTable(featurizer, 'joint', rows) : s.enc);
  const train = { ...splits.train, enc: enc(d.train, splits.train) };
  const val = d.val === d.train ? train : { ...splits.val, enc: enc(d.val, splits.val) };
  const ridge = d.task === 'regression' && featurizer.spec.text.length === 0 && ridgeApplies(train, val);
  const defaults = linearDefaults(d.task, d.train.length);
  if (!ridge) familyStarted(d.progress, 'linear', defaults.epochs);
  const out = ridge
    ? { ...fitRidge(train, val, featurizer.spec.tableRows), epochs: 0 }
    : await fitLinearAdaptive(
        {
          ...defaults,
          seed: d.cfg.seed,
          task: d.task,
          outDim: d.K,
          sparseDim: featurizer.spec.tableRows,
          textWeighting: 'joint',
          deadline: d.deadline,
          signal: d.signal,
          // the per-epoch metrics the original container emitted (SageMaker metric definitions read them)
          onEpoch: d.onEpoch,
          onStep: familySteps(d.progress, 'linear'),
        },
        train,
        val,
      );
  familyFinished(
    d.progress,
    'linear',
    'stopReason' in out ? stepsSummary('epochs', out.epochs, out.bestEpoch, out.stopReason) : 'ridge, solved in closed form',
  );
  return {
    // the ridge model is refitted on the validation rows too: its scores come from the fit without them
    scores: 'valScores' in out ? out.valScores : Float64Array.from(linearScoresBatch(out.model, val.enc, val.rows)),
    store(a, tensors) {
      const { spec, tensors: own } = linearTensors(out.model);
      a.linear = spec;
      for (const w of linearTensorShapes(spec)) {
        a.weightSpecs.push(w);
        tensors.set(w.name, own.get(w.name)!);
      }
      a.metrics.linear_epochs = out.epochs;
    },
  };
}

/**
 * The encoding with the dense slots of complete mode's missing indicators zeroed, so the linear
 * family gives them no weight (and reads none at serving): for a linear model they are noise
 * features wherever the gaps are random (measured: low-rank table, MNAR masks, median ratio to
 * the best peer 1.10 with them, 1.00 without); the trees keep them.
 */
function withoutIndicators(featurizer: Featurizer, enc: EncodedTable): EncodedTable {
  const slots = featurizer.spec.num.filter((n) => indicatedColumn(n.name) !== undefined).map((n) => n.slot);
  if (slots.length === 0) return enc;
  const num = Float32Array.from(enc.num);
  for (let r = 0; r < enc.n; r++) for (const s of slots) num[r * enc.numDim + s] = 0;
  return { ...enc, num };
}

/** Gradient-boosted trees on the columns' values (text columns by their length), early-stopped on the validation rows. */
async function fitTrees(d: TargetData): Promise<Omit<FamilyFit, 'family'>> {
  const columns = treeColumns(d.featurizer.spec);
  const classes = d.task === 'classification';
  const held = d.val !== d.train;
  // Early stopping needs the validation rows' labels: rows of a class the training rows lack are scored, not stopped on.
  const stopRows = held ? [...d.splits.val.y.keys()].filter((i) => !classes || d.splits.val.y[i]! >= 0) : [];
  const rows = [...d.train, ...stopRows.map((i) => d.val[i]!)];
  const yOf = (i: number) => (i < d.train.length ? d.splits.train.y[i]! : d.splits.val.y[stopRows[i - d.train.length]!]!);
  const y = classes ? Int32Array.from(rows, (_, i) => yOf(i)) : Float64Array.from(rows, (_, i) => yOf(i));
  const weights = Float64Array.from(rows, (_, i) => (i < d.train.length ? d.splits.train.w[i]! : 1));
  const features = treeMatrix(columns, rows, d.missing);
  const categorical = categoricalMask(columns);
  // a wide table's trees scan the inputs most related to the target (fit/tree-inputs.ts); the model still names every column
  const kept = screenTreeInputs(columns, features, y, d.train.length, classes ? d.K : undefined);
  const job: TreeJob = {
    data: { features: kept.map((f) => features[f]!), categorical: kept.map((f) => categorical[f]!), y, weights },
    options: {
      seed: d.cfg.seed,
      maxIter: 300,
      ...(classes ? { nClasses: d.K } : {}),
      ...(stopRows.length ? { validationRows: stopRows.map((_, j) => d.train.length + j) } : { earlyStopping: false, maxIter: 100 }),
    },
  };
  if (d.progress) job.progressUnit = d.progress.unit;
  familyStarted(d.progress, 'trees', job.options.maxIter!);
  const boosted = d.boostTrees ? await d.boostTrees(job) : fitGbdt(job.data, job.options, familySteps(d.progress, 'trees'));
  const fit = kept.length < columns.length ? { ...boosted, model: widenFeatures(boosted.model, kept, categorical) } : boosted;
  familyFinished(d.progress, 'trees', stepsSummary('rounds', fit.iterationsRun, fit.bestIteration, fit.stoppedEarly ? 'early_stopping' : 'num_epochs'));
  const raw = predictRaw(fit.model, treeMatrix(columns, d.val, d.missing));
  const scores = new Float64Array(d.val.length * d.K);
  const row = new Float64Array(d.K);
  for (let i = 0; i < d.val.length; i++) {
    treeScores(fit.model, raw, i * fit.model.nOutputs, d.K, row);
    scores.set(row, i * d.K);
  }
  return {
    scores,
    store(a) {
      a.trees = fit.model;
      const gains = featureGains(fit.model);
      const total = gains.reduce((s, g) => s + g, 0) || 1;
      a.featureImportance = Object.fromEntries(columns.map((c, f) => [c.name, gains[f]! / total]));
      a.metrics.tree_iterations = fit.bestIteration;
    },
  };
}

/** How a family's training ended, in words: `12 epochs, best 9, stopped early`. */
function stepsSummary(unit: 'epochs' | 'rounds', ran: number, best: number, stopReason: string): string {
  const end = stopReason === 'early_stopping' ? ', stopped early' : stopReason === 'max_training_seconds' ? ', stopped at max_training_seconds' : '';
  return `${ran} ${unit}, best ${best}${end}`;
}

/** The training mean (standardised: 0), or the class prior with add-one smoothing as logits. */
function fitConstant(d: TargetData): Omit<FamilyFit, 'family'> {
  const constant = new Array<number>(d.K).fill(0);
  if (d.task === 'classification') {
    const counts = new Float64Array(d.K).fill(1);
    for (const y of d.splits.train.y) if (y >= 0) counts[y]!++;
    const total = counts.reduce((s, c) => s + c, 0);
    counts.forEach((c, k) => (constant[k] = Math.log(c / total)));
  }
  const scores = new Float64Array(d.val.length * d.K);
  for (let i = 0; i < d.val.length; i++) scores.set(constant, i * d.K);
  return {
    scores,
    store(a) {
      a.constant = constant;
    },
  };
}
