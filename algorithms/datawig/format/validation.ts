/**
 * Checks of what is read from a model directory before anything uses it: the format string, every
 * field of the type this code writes, the consistency of the specs, and the byte length of
 * `weights.bin` against the tensors the network spec implies. Failures throw a ModelFormatError
 * naming the file and the problem.
 */
import { validateGbdtModel } from './gbdt-format.js';
import { checkLinearSpec, linearTensorShapes } from './linear-format.js';
import type { CatFeature, FeaturizerSpec, NumFeature, TextFeature } from './featurizer-spec.js';
import {
  arrayOf,
  arrayOfAtMost,
  boolean,
  check,
  count,
  fields,
  intIn,
  MAX_WEIGHT_VALUES,
  ModelFormatError,
  number,
  object,
  oneOf,
  positive,
  probability,
  rangeIn,
  recordOf,
  storedNumber,
  string,
} from './json-rules.js';
import { MODEL_INDEX_FORMAT, type ModelIndex, type ServingDefaults, type TargetEntry } from './model-index.js';
import { shapeSize, weightShapes, type NetSpec } from './net-spec.js';
import {
  MAX_REPORT_PAIRS,
  TARGET_FORMAT,
  type ClassReport,
  type EpochReport,
  type FamilyCandidate,
  type FamilyMember,
  type PrecisionCurves,
  type ReliabilityBin,
  type TargetArtifact,
  type TargetDiagnostics,
  type TargetConfig,
} from './target-artifact.js';

const columnType = oneOf('numeric', 'categorical', 'text');
const familyName = oneOf('network', 'trees', 'linear', 'constant');
const task = oneOf('classification', 'regression');
const tokenKind = oneOf('words', 'chars', 'both');
const strings = arrayOf(string);
const counts = arrayOf(count);
const numbers = arrayOf(number);
const probabilities = arrayOf(probability);

/*
 * Bounds: those of the hyperparameter schema (hyperparameters.ts), since a model file is untrusted
 * input and these sizes decide what serving allocates and indexes.
 */
const buckets = intIn(256, 4194304);
const wordRange = rangeIn(1, 6);
const charRange = rangeIn(1, 8);
const latentDim = intIn(4, 1024);
const hiddenWidth = intIn(1, 4096);
const MAX_NUMERIC_HIDDEN_LAYERS = 8;
const MAX_FC_LAYERS = 64;
const MAX_VOCAB = 1000000;

const modelIndex = fields<ModelIndex>(
  {
    format: oneOf(MODEL_INDEX_FORMAT),
    mode: oneOf('single', 'complete'),
    features: strings,
    columns: arrayOf(fields<{ name: string; type: string }>({ name: string, type: columnType }, {})),
    // rounds: at most the `iterations` hyperparameter's maximum
    targets: arrayOf(fields<TargetEntry>({ label: string, dir: string, task }, { round: intIn(1, 20) })),
    defaults: fields<ServingDefaults>({ precision_threshold: probability, top_k: intIn(1, 1000), explain_tokens: intIn(1, 100) }, {}),
    backend: string,
    missingTokens: strings,
  },
  { label: string },
);

const featurizerSpec = fields<FeaturizerSpec>(
  {
    buckets,
    wordRange,
    charRange,
    text: arrayOf(
      fields<TextFeature>(
        { name: string, type: oneOf('text'), tokens: tokenKind, missingRow: count, idfBuckets: counts, idfValues: numbers, idfDefault: number },
        {},
      ),
    ),
    cat: arrayOf(fields<CatFeature>({ name: string, type: oneOf('categorical'), offset: count, vocab: arrayOfAtMost(string, MAX_VOCAB) }, {})),
    num: arrayOf(fields<NumFeature>({ name: string, type: oneOf('numeric'), mean: number, std: positive, slot: count }, {})),
    tableRows: count,
    numDim: count,
    missingTokens: strings,
    tfidf: boolean,
  },
  {},
);

const netSpec = fields<NetSpec>(
  {
    tableRows: count,
    embDim: latentDim,
    numDim: count,
    numHidden: arrayOfAtMost(hiddenWidth, MAX_NUMERIC_HIDDEN_LAYERS),
    fcHidden: arrayOfAtMost(hiddenWidth, MAX_FC_LAYERS),
    outDim: intIn(1, MAX_WEIGHT_VALUES),
  },
  {},
);

const targetConfig = fields<TargetConfig>(
  {
    tokens: oneOf('auto', 'words', 'chars', 'both'),
    wordRange,
    charRange,
    buckets,
    maxTokens: intIn(1, MAX_VOCAB),
    latentDim,
    numericLatentDim: hiddenWidth,
    numericHiddenLayers: intIn(0, MAX_NUMERIC_HIDDEN_LAYERS),
    fcHidden: arrayOfAtMost(hiddenWidth, MAX_FC_LAYERS),
    learningRate: number,
    weightDecay: number,
    batchSize: count,
    epochs: count,
    patience: count,
    seed: count,
    missingTokens: strings,
    tfidf: boolean,
  },
  { classWeights: string, clipRegression: boolean },
);

const epochReport = fields<EpochReport>({ epoch: count, trainLoss: storedNumber, valLoss: storedNumber }, { valAccuracy: storedNumber, valRmse: storedNumber });

const classReport = fields<ClassReport>(
  {
    accuracy: probability,
    macroF1: probability,
    perClass: arrayOf(
      fields<ClassReport['perClass'][number]>({ label: string, precision: probability, recall: probability, f1: probability, support: count }, {}),
    ),
    confusion: arrayOf(counts),
  },
  {},
);

const reliabilityBins = arrayOfAtMost(fields<ReliabilityBin>({ confidence: probability, accuracy: probability, count }, {}), 100);
const diagnostics = fields<TargetDiagnostics>(
  {},
  {
    seconds: number,
    majorityAccuracy: probability,
    lossUncalibrated: storedNumber,
    reliability: fields<NonNullable<TargetDiagnostics['reliability']>>({ before: reliabilityBins, after: reliabilityBins }, {}),
    predictedVsTrue: fields<NonNullable<TargetDiagnostics['predictedVsTrue']>>(
      { predicted: arrayOfAtMost(number, MAX_REPORT_PAIRS), actual: arrayOfAtMost(number, MAX_REPORT_PAIRS) },
      {},
    ),
  },
);

const targetArtifact = fields<TargetArtifact>(
  {
    format: oneOf(TARGET_FORMAT),
    label: string,
    task,
    classes: strings,
    labelMean: number,
    labelStd: positive,
    featurizer: featurizerSpec,
    featureTypes: recordOf(columnType),
    weightSpecs: arrayOf(fields<TargetArtifact['weightSpecs'][number]>({ name: string, shape: counts, dtype: oneOf('float32', 'int32') }, {})),
    temperature: positive,
    config: targetConfig,
    metrics: recordOf(storedNumber),
    history: arrayOf(epochReport),
  },
  {
    net: netSpec,
    family: oneOf('network', 'trees', 'linear', 'constant', 'ensemble'),
    members: arrayOfAtMost(fields<FamilyMember>({ family: familyName, weight: probability, temperature: positive }, {}), 4),
    candidates: arrayOfAtMost(fields<FamilyCandidate>({ family: oneOf('network', 'trees', 'linear', 'constant', 'ensemble'), loss: storedNumber }, {}), 16),
    trees: object,
    linear: object,
    featureImportance: recordOf(number),
    constant: numbers,
    labelTransform: oneOf('log'),
    labelRange: arrayOf(number, 2),
    labelDecimals: intIn(0, 6),
    report: classReport,
    curves: fields<PrecisionCurves>({ precision: arrayOf(probabilities), count: arrayOf(counts) }, {}),
    trainPrior: probabilities,
    valJoint: arrayOf(probabilities),
    explanations: recordOf(strings),
    diagnostics,
  },
);

/** A parsed `model.json`, checked. */
export function validateModelIndex(value: unknown, file: string): ModelIndex {
  const index = check<ModelIndex>(modelIndex, value, file);
  if (index.targets.length === 0) throw new ModelFormatError(file, '"targets" is empty: the model has no target model');
  checkRounds(index, file);
  return index;
}

/**
 * Chained rounds are replayed in order, each on the previous one's imputations: the targets come
 * round by round from round 1 without a gap, every round models the same columns (each once), and
 * single mode has one round.
 */
function checkRounds(index: ModelIndex, file: string): void {
  const rounds: Set<string>[] = [new Set()];
  for (const [i, t] of index.targets.entries()) {
    const round = t.round ?? 1;
    if (round === rounds.length + 1) rounds.push(new Set());
    if (round !== rounds.length)
      throw new ModelFormatError(file, `"targets[${i}].round" is ${round} after round ${rounds.length}: rounds must run 1, 2, ... in order`);
    const labels = rounds[round - 1]!;
    if (labels.has(t.label)) throw new ModelFormatError(file, `"targets[${i}]": column "${t.label}" appears twice in round ${round}`);
    labels.add(t.label);
  }
  if (index.mode === 'single' && rounds.length > 1) throw new ModelFormatError(file, `single mode has one model, but "targets" reach round ${rounds.length}`);
  const first = rounds[0]!;
  for (const [r, labels] of rounds.entries())
    if (labels.size !== first.size || [...labels].some((l) => !first.has(l)))
      throw new ModelFormatError(file, `round ${r + 1} models other columns than round 1 (${[...labels].join(', ')})`);
}

/** A parsed `target.json`, checked, its specs consistent with each other. */
export function validateTargetArtifact(value: unknown, file: string): TargetArtifact {
  const a = check<TargetArtifact>(targetArtifact, value, file);
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  const K = a.task === 'classification' ? a.classes.length : 1;
  if (a.labelRange && !(a.labelRange[0] <= a.labelRange[1])) fail('"labelRange" is not [min, max] with min <= max');
  checkFeaturizer(a.featurizer, fail);
  const shapes = memberTensors(a, K, file, fail);
  // Dimensions are bounded, so these products are exact; the total is capped before anything is allocated.
  const values = shapes.reduce((n, w) => n + shapeSize(w.shape), 0);
  if (values > MAX_WEIGHT_VALUES) fail(`the model implies ${values} weights, more than the ${MAX_WEIGHT_VALUES} allowed`);
  const same =
    shapes.length === a.weightSpecs.length &&
    shapes.every((s, i) => s.name === a.weightSpecs[i]!.name && s.shape.join() === a.weightSpecs[i]!.shape.join() && s.dtype === a.weightSpecs[i]!.dtype);
  if (!same) fail(`"weightSpecs" (${describeShapes(a.weightSpecs)}) are not the tensors the model's members imply (${describeShapes(shapes)})`);
  const rowPerClass: [string, number[][] | undefined][] = [
    ['curves.precision', a.curves?.precision],
    ['curves.count', a.curves?.count],
    ['valJoint', a.valJoint],
  ];
  for (const [name, rows] of rowPerClass) if (rows && rows.length !== K) fail(`"${name}" has ${rows.length} rows for ${K} classes`);
  if (a.trainPrior && a.trainPrior.length !== K) fail(`"trainPrior" has ${a.trainPrior.length} values for ${K} classes`);
  if (a.valJoint?.some((row) => row.length !== K)) fail(`"valJoint" is not ${K} x ${K}`);
  const pairs = a.diagnostics?.predictedVsTrue;
  if (pairs && pairs.predicted.length !== pairs.actual.length) fail('"diagnostics.predictedVsTrue" has predicted and actual values of different lengths');
  return a;
}

/** The members' payloads checked (network, linear spec, trees, constant); returns the tensors they imply, in storage order. */
function memberTensors(a: TargetArtifact, K: number, file: string, fail: (problem: string) => never): { name: string; shape: number[]; dtype: string }[] {
  const members = a.members ?? [{ family: 'network', weight: 1, temperature: 1 }];
  if (members.length === 0) fail('"members" is empty: the model predicts nothing');
  if (new Set(members.map((m) => m.family)).size !== members.length) fail('"members" names a family twice');
  if (Math.abs(members.reduce((s, m) => s + m.weight, 0) - 1) > 1e-6) fail('the weights of "members" do not sum to 1');
  const has = (family: string) => members.some((m) => m.family === family);
  const shapes: { name: string; shape: number[]; dtype: string }[] = [];
  if (has('network')) shapes.push(...checkNet(a, K, fail).map((w) => ({ ...w, dtype: 'float32' })));
  if (has('linear')) {
    const expected = { sparseDim: a.featurizer.tableRows, numDim: a.featurizer.numDim, outDim: K };
    const spec = checkLinearSpec(a.linear, expected, `${file} "linear"`);
    if (spec.task !== a.task) fail(`"linear.task" is ${spec.task}, the target's is ${a.task}`);
    shapes.push(...linearTensorShapes(spec));
  }
  if (has('trees')) a.trees = checkTrees(a, K, fail);
  if (has('constant') && a.constant?.length !== K) fail(`"constant" must hold ${K} values`);
  return shapes;
}

/** The network spec, consistent with the config, the labels and the featurizer; returns its tensors. */
function checkNet(a: TargetArtifact, K: number, fail: (problem: string) => never): ReturnType<typeof weightShapes> {
  const net = a.net ?? fail('"net" is missing, but the network is a member of the model');
  if (net.embDim !== a.config.latentDim) fail(`"net.embDim" (${net.embDim}) differs from "config.latentDim" (${a.config.latentDim})`);
  if (net.numHidden.length !== a.config.numericHiddenLayers)
    fail(`"net.numHidden" has ${net.numHidden.length} layers, "config.numericHiddenLayers" says ${a.config.numericHiddenLayers}`);
  if (net.outDim !== K) fail(`"net.outDim" is ${net.outDim}, but a ${a.task} of ${a.task === 'classification' ? `${K} classes` : 'one value'} needs ${K}`);
  if (net.tableRows !== a.featurizer.tableRows) fail(`"net.tableRows" (${net.tableRows}) differs from "featurizer.tableRows" (${a.featurizer.tableRows})`);
  if (net.numDim !== a.featurizer.numDim) fail(`"net.numDim" (${net.numDim}) differs from "featurizer.numDim" (${a.featurizer.numDim})`);
  return weightShapes(net);
}

/** The trees, checked (validateGbdtModel) and consistent with the featurizer's columns and the labels. */
function checkTrees(a: TargetArtifact, K: number, fail: (problem: string) => never): NonNullable<TargetArtifact['trees']> {
  let trees: NonNullable<TargetArtifact['trees']>;
  try {
    trees = validateGbdtModel(a.trees);
  } catch (error) {
    return fail(`"trees": ${error instanceof Error ? error.message : String(error)}`);
  }
  // the trees read the featurizer's columns in this order (core/tree-features.ts): numeric, categorical, text
  const f = a.featurizer;
  const columns = [
    ...f.num.map((c) => ({ name: c.name, categorical: false })),
    ...f.cat.map((c) => ({ name: c.name, categorical: true })),
    ...f.text.map((c) => ({ name: c.name, categorical: false })),
  ];
  if (trees.nFeatures !== columns.length) fail(`"trees" read ${trees.nFeatures} columns, the featurizer has ${columns.length}`);
  columns.forEach((c, i) => {
    if (trees.categorical[i] !== c.categorical) fail(`"trees" feature ${i} ("${c.name}") is not of the featurizer's kind`);
  });
  const outputs =
    a.task === 'regression'
      ? (trees.loss === 'squared' || trees.loss === 'huber') && trees.nOutputs === 1
      : trees.loss === 'logistic'
        ? K === 2
        : trees.loss === 'softmax' && trees.nOutputs === K;
  if (!outputs)
    fail(`"trees" (${trees.loss}, ${trees.nOutputs} outputs) do not predict a ${a.task} of ${K} ${a.task === 'classification' ? 'classes' : 'value'}`);
  return trees;
}

/** Index ranges of the featurizer: every row and slot it hands the network exists. */
function checkFeaturizer(f: FeaturizerSpec, fail: (problem: string) => never): void {
  // The rows after the hash buckets: one per text column (its missing row) and a block per
  // categorical column, in column order; together they tile [buckets, tableRows) exactly.
  const blocks: { start: number; size: number; field: string }[] = [];
  f.text.forEach((t, i) => {
    blocks.push({ start: t.missingRow, size: 1, field: `featurizer.text[${i}].missingRow` });
    if (t.idfBuckets.length !== t.idfValues.length) fail(`"featurizer.text[${i}]" has ${t.idfBuckets.length} idf buckets but ${t.idfValues.length} idf values`);
    if (t.idfBuckets.some((b) => b >= f.buckets)) fail(`"featurizer.text[${i}].idfBuckets" holds a bucket beyond "featurizer.buckets" (${f.buckets})`);
  });
  f.cat.forEach((c, i) => blocks.push({ start: c.offset, size: c.vocab.length + 2, field: `featurizer.cat[${i}].offset` }));
  blocks.sort((x, y) => x.start - y.start);
  let rows = f.buckets;
  for (const block of blocks) {
    if (block.start !== rows) fail(`"${block.field}" is ${block.start}, expected ${rows} (rows overlap or leave a gap)`);
    rows += block.size;
  }
  if (f.tableRows !== rows) fail(`"featurizer.tableRows" is ${f.tableRows}, but its buckets and columns make ${rows} rows`);
  f.num.forEach((n, i) => {
    if (n.slot !== 2 * i) fail(`"featurizer.num[${i}].slot" is ${n.slot}, expected ${2 * i}`);
  });
  if (f.numDim !== 2 * f.num.length) fail(`"featurizer.numDim" is ${f.numDim}, but ${f.num.length} numeric columns make ${2 * f.num.length}`);
}

/** The number of bytes of `weights.bin` that the network of a (checked) `target.json` needs. */
export function expectedWeightsBytes(a: TargetArtifact): number {
  return a.weightSpecs.reduce((s, w) => s + shapeSize(w.shape), 0) * 4;
}

/** Every weight is a finite number (a NaN or an infinity would turn every answer into NaN). */
export function checkWeightsFinite(weights: ReadonlyMap<string, Float32Array | Int32Array>, weightsFile: string): void {
  for (const [name, values] of weights) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        throw new ModelFormatError(weightsFile, `tensor "${name}" holds a value that is not finite (NaN or infinity) at index ${i}`);
    }
  }
}

/** The byte length of `weights.bin` is what the network of its (checked) `target.json` needs. */
export function checkWeightsLength(a: TargetArtifact, byteLength: number, weightsFile: string, targetFile: string): void {
  const values = a.weightSpecs.reduce((s, w) => s + shapeSize(w.shape), 0);
  if (byteLength !== values * 4) {
    throw new ModelFormatError(
      weightsFile,
      `${byteLength} bytes, but the network of ${targetFile} needs ${values * 4} (${values} float32 values: ${describeShapes(a.weightSpecs)})`,
    );
  }
}

function describeShapes(shapes: readonly { name: string; shape: readonly number[] }[]): string {
  return shapes.map((s) => `${s.name} [${s.shape.join(', ')}]`).join(', ');
}
