/**
 * Checks of what is read from a model directory before anything uses it: the format string, every
 * field of the type this code writes, the consistency of the specs, and the byte length of
 * `weights.bin` against the tensors the network spec implies. Failures throw a ModelFormatError
 * naming the file and the problem.
 */
import type { CatFeature, FeaturizerSpec, NumFeature, TextFeature } from './featurizer-spec.js';
import { arrayOf, boolean, check, count, fields, ModelFormatError, number, oneOf, positive, recordOf, storedNumber, string } from './json-rules.js';
import { MODEL_INDEX_FORMAT, type ModelIndex, type ServingDefaults, type TargetEntry } from './model-index.js';
import { shapeSize, weightShapes, type NetSpec } from './net-spec.js';
import { TARGET_FORMAT, type ClassReport, type EpochReport, type PrecisionCurves, type TargetArtifact, type TargetConfig } from './target-artifact.js';

const columnType = oneOf('numeric', 'categorical', 'text');
const task = oneOf('classification', 'regression');
const tokenKind = oneOf('words', 'chars', 'both');
const strings = arrayOf(string);
const counts = arrayOf(count);
const numbers = arrayOf(number);
const range = arrayOf(count, 2);

const modelIndex = fields<ModelIndex>(
  {
    format: oneOf(MODEL_INDEX_FORMAT),
    mode: oneOf('single', 'complete'),
    features: strings,
    columns: arrayOf(fields<{ name: string; type: string }>({ name: string, type: columnType }, {})),
    targets: arrayOf(fields<TargetEntry>({ label: string, dir: string, task }, {})),
    defaults: fields<ServingDefaults>({ precision_threshold: number, top_k: count, explain_tokens: count }, {}),
    backend: string,
    missingTokens: strings,
  },
  { label: string },
);

const featurizerSpec = fields<FeaturizerSpec>(
  {
    buckets: count,
    wordRange: range,
    charRange: range,
    text: arrayOf(
      fields<TextFeature>(
        { name: string, type: oneOf('text'), tokens: tokenKind, missingRow: count, idfBuckets: counts, idfValues: numbers, idfDefault: number },
        {},
      ),
    ),
    cat: arrayOf(fields<CatFeature>({ name: string, type: oneOf('categorical'), offset: count, vocab: strings }, {})),
    num: arrayOf(fields<NumFeature>({ name: string, type: oneOf('numeric'), mean: number, std: number, slot: count }, {})),
    tableRows: count,
    numDim: count,
    missingTokens: strings,
    tfidf: boolean,
  },
  {},
);

const netSpec = fields<NetSpec>({ tableRows: count, embDim: count, numDim: count, numHidden: counts, fcHidden: counts, outDim: count }, {});

const targetConfig = fields<TargetConfig>(
  {
    tokens: oneOf('auto', 'words', 'chars', 'both'),
    wordRange: range,
    charRange: range,
    buckets: count,
    maxTokens: count,
    latentDim: count,
    numericLatentDim: count,
    numericHiddenLayers: count,
    fcHidden: counts,
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
    accuracy: number,
    macroF1: number,
    perClass: arrayOf(fields<ClassReport['perClass'][number]>({ label: string, precision: number, recall: number, f1: number, support: count }, {})),
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
    labelStd: number,
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
    curves: fields<PrecisionCurves>({ precision: arrayOf(numbers), count: arrayOf(counts) }, {}),
    trainPrior: numbers,
    valJoint: arrayOf(numbers),
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
  if (a.net.outDim !== K) fail(`"net.outDim" is ${a.net.outDim}, but a ${a.task} of ${a.task === 'classification' ? `${K} classes` : 'one value'} needs ${K}`);
  if (a.net.tableRows !== a.featurizer.tableRows) fail(`"net.tableRows" (${a.net.tableRows}) differs from "featurizer.tableRows" (${a.featurizer.tableRows})`);
  if (a.net.numDim !== a.featurizer.numDim) fail(`"net.numDim" (${a.net.numDim}) differs from "featurizer.numDim" (${a.featurizer.numDim})`);
  const shapes = weightShapes(a.net);
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
