/**
 * Checks of what is read from a model directory before anything uses it: the format string, every
 * field of the type this code writes, the consistency of the specs, and the byte length of
 * `weights.bin` against the tensors the network spec implies. Failures throw a ModelFormatError
 * naming the file and the problem.
 */
import type { CatFeature, FeaturizerSpec, NumFeature, TextFeature } from './featurizer-spec.js';
import {
  arrayOf,
  arrayOfAtMost,
  boolean,
  check,
  count,
  fields,
  intIn,
  ModelFormatError,
  number,
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
import { TARGET_FORMAT, type ClassReport, type EpochReport, type PrecisionCurves, type TargetArtifact, type TargetConfig } from './target-artifact.js';

const columnType = oneOf('numeric', 'categorical', 'text');
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
/** A network of more values than this is refused (1 GiB of float32, the store's read cap). */
export const MAX_WEIGHT_VALUES = 2 ** 28;

const modelIndex = fields<ModelIndex>(
  {
    format: oneOf(MODEL_INDEX_FORMAT),
    mode: oneOf('single', 'complete'),
    features: strings,
    columns: arrayOf(fields<{ name: string; type: string }>({ name: string, type: columnType }, {})),
    targets: arrayOf(fields<TargetEntry>({ label: string, dir: string, task }, {})),
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
    net: netSpec,
    weightSpecs: arrayOf(fields<TargetArtifact['weightSpecs'][number]>({ name: string, shape: counts, dtype: oneOf('float32') }, {})),
    temperature: positive,
    config: targetConfig,
    metrics: recordOf(storedNumber),
    history: arrayOf(epochReport),
  },
  {
    labelRange: arrayOf(number, 2),
    report: classReport,
    curves: fields<PrecisionCurves>({ precision: arrayOf(probabilities), count: arrayOf(counts) }, {}),
    trainPrior: probabilities,
    valJoint: arrayOf(probabilities),
    explanations: recordOf(strings),
  },
);

/** A parsed `model.json`, checked. */
export function validateModelIndex(value: unknown, file: string): ModelIndex {
  const index = check<ModelIndex>(modelIndex, value, file);
  if (index.targets.length === 0) throw new ModelFormatError(file, '"targets" is empty: the model has no target model');
  return index;
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
  if (a.net.embDim !== a.config.latentDim) fail(`"net.embDim" (${a.net.embDim}) differs from "config.latentDim" (${a.config.latentDim})`);
  if (a.net.numHidden.length !== a.config.numericHiddenLayers)
    fail(`"net.numHidden" has ${a.net.numHidden.length} layers, "config.numericHiddenLayers" says ${a.config.numericHiddenLayers}`);
  if (a.net.outDim !== K) fail(`"net.outDim" is ${a.net.outDim}, but a ${a.task} of ${a.task === 'classification' ? `${K} classes` : 'one value'} needs ${K}`);
  if (a.net.tableRows !== a.featurizer.tableRows) fail(`"net.tableRows" (${a.net.tableRows}) differs from "featurizer.tableRows" (${a.featurizer.tableRows})`);
  if (a.net.numDim !== a.featurizer.numDim) fail(`"net.numDim" (${a.net.numDim}) differs from "featurizer.numDim" (${a.featurizer.numDim})`);
  const shapes = weightShapes(a.net);
  // Dimensions are bounded, so these products are exact; the total is capped before anything is allocated.
  const values = shapes.reduce((n, w) => n + shapeSize(w.shape), 0);
  if (values > MAX_WEIGHT_VALUES) fail(`"net" implies ${values} weights, more than the ${MAX_WEIGHT_VALUES} allowed`);
  const same =
    shapes.length === a.weightSpecs.length && shapes.every((s, i) => s.name === a.weightSpecs[i]!.name && s.shape.join() === a.weightSpecs[i]!.shape.join());
  if (!same) fail(`"weightSpecs" (${describeShapes(a.weightSpecs)}) are not the tensors "net" implies (${describeShapes(shapes)})`);
  const rowPerClass: [string, number[][] | undefined][] = [
    ['curves.precision', a.curves?.precision],
    ['curves.count', a.curves?.count],
    ['valJoint', a.valJoint],
  ];
  for (const [name, rows] of rowPerClass) if (rows && rows.length !== K) fail(`"${name}" has ${rows.length} rows for ${K} classes`);
  if (a.trainPrior && a.trainPrior.length !== K) fail(`"trainPrior" has ${a.trainPrior.length} values for ${K} classes`);
  if (a.valJoint?.some((row) => row.length !== K)) fail(`"valJoint" is not ${K} x ${K}`);
  return a;
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
export function checkWeightsFinite(weights: Map<string, Float32Array>, weightsFile: string): void {
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
