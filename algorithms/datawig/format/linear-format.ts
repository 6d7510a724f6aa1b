/**
 * The stored form of the linear family: its JSON spec (`target.json` "linear") with the check of an
 * untrusted copy, and the tensors it implies in weights.bin. Scoring is core/linear-model.ts.
 */
import { count, fieldPath, fields, intIn, MAX_WEIGHT_VALUES, ModelFormatError, number, oneOf, positive } from './json-rules.js';

export const LINEAR_FORMAT = 'datawig-linear/1';

/**
 * How the sparse weights are stored: `dense`, every id's row ([sparseDim x outDim]); `rows`, only
 * the rows of ids with a non-zero weight, their ids (int32, increasing) first. Whichever is smaller.
 */
export type LinearLayout = 'dense' | 'rows';

/** The JSON half of a stored linear model: its shapes and the label's scale. */
export interface LinearSpec {
  format: typeof LINEAR_FORMAT;
  task: 'classification' | 'regression';
  /** Sparse ids the model accepts: the featurizer's `tableRows`. */
  sparseDim: number;
  /** Dense numeric inputs: the featurizer's `numDim`. */
  numDim: number;
  /** Classes (classification) or 1 (regression). */
  outDim: number;
  layout: LinearLayout;
  /** Sparse weight rows stored: `sparseDim` when dense. */
  storedRows: number;
  /** Regression: a score s means the value s * labelStd + labelMean (classification: 0 and 1). */
  labelMean: number;
  labelStd: number;
  /** How the inputs were encoded (see encodeLinearRow): serving must encode the same way. */
  textWeighting: TextWeighting;
}

/**
 * `column`: the featurizer's entries as they are, every text column a unit vector of its own.
 * `joint`: the text columns of a row weighted as one document (see encodeLinearRow).
 */
export type TextWeighting = 'column' | 'joint';

/** Largest sparse id space a model may declare (ids are int32). */
const MAX_SPARSE_DIM = 2 ** 31 - 1;

const linearSpecRule = fields<LinearSpec>(
  {
    format: oneOf(LINEAR_FORMAT),
    task: oneOf('classification', 'regression'),
    sparseDim: intIn(0, MAX_SPARSE_DIM),
    numDim: intIn(0, MAX_WEIGHT_VALUES),
    outDim: intIn(1, MAX_WEIGHT_VALUES),
    layout: oneOf('dense', 'rows'),
    storedRows: count,
    labelMean: number,
    labelStd: positive,
    textWeighting: oneOf('column', 'joint'),
  },
  {},
);

/** Expected dimensions from the rest of the artifact (the featurizer, the classes). */
export interface LinearShape {
  sparseDim?: number;
  numDim?: number;
  outDim?: number;
}

/** The JSON half of a stored linear model checked: fields, shapes consistent with each other and with `expected`, size capped. */
export function checkLinearSpec(json: unknown, expected: LinearShape = {}, source = 'linear model'): LinearSpec {
  const fail = (problem: string): never => {
    throw new ModelFormatError(source, problem);
  };
  const problem = linearSpecRule(json);
  if (problem) fail(`"${problem.path.length ? fieldPath(problem.path) : 'spec'}" is not ${problem.expected}`);
  const spec = json as LinearSpec;
  const K = spec.outDim;
  if (spec.task === 'regression' && K !== 1) fail('"outDim" must be 1 for a regression');
  for (const key of ['sparseDim', 'numDim', 'outDim'] as const) {
    const want = expected[key];
    if (want !== undefined && spec[key] !== want) fail(`"${key}" differs from the ${want} the model's featurizer and labels imply`);
  }
  if (spec.layout === 'dense' ? spec.storedRows !== spec.sparseDim : spec.storedRows > spec.sparseDim)
    fail(`"storedRows" does not fit "sparseDim" for the ${spec.layout} layout`);
  // Dimensions are capped, so these products are exact doubles; the total is capped before allocating.
  const values = (spec.storedRows + spec.numDim + 1) * K;
  if (values > MAX_WEIGHT_VALUES) fail(`the spec implies ${values} weights, more than the ${MAX_WEIGHT_VALUES} allowed`);
  return spec;
}

/** The names of a linear model's tensors in a target's weights.bin (format/weights.ts). */
export const LINEAR_TENSORS = { ids: 'linear_ids', sparse: 'linear_sparse', numeric: 'linear_numeric', bias: 'linear_bias' } as const;

export interface TensorShape {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** The tensors a linear spec implies, in their order: the ids (`rows` layout only), sparse, numeric and bias weights. */
export function linearTensorShapes(spec: LinearSpec): TensorShape[] {
  const K = spec.outDim;
  return [
    ...(spec.layout === 'rows' ? [{ name: LINEAR_TENSORS.ids, shape: [spec.storedRows], dtype: 'int32' as const }] : []),
    { name: LINEAR_TENSORS.sparse, shape: [spec.storedRows, K], dtype: 'float32' },
    { name: LINEAR_TENSORS.numeric, shape: [spec.numDim, K], dtype: 'float32' },
    { name: LINEAR_TENSORS.bias, shape: [K], dtype: 'float32' },
  ];
}
