/**
 * `baseline`: the quality floor for imputation. Per column, the most frequent value (categorical)
 * or the mean/median (numeric). Imputes `label_column`, or every column when none is given.
 */
import type {
  Algorithm,
  AttributeSchema,
  AttributesOf,
  HyperparameterSchema,
  HyperparametersOf,
  InputRecord,
  LoadContext,
  PredictionBatch,
  Predictor,
  PredictOptions,
  RecordBatch,
  TargetPrediction,
  TrainContext,
  TrainResult,
} from '../../framework/contract/index.js';
import { DEFAULT_MISSING_VALUES, MissingValues, requireColumns, TrainingError } from '../../framework/contract/index.js';
import { fitColumn, type ColumnFill } from './stats.js';

const MODEL_FILE = 'baseline.json';

export const baselineHyperparameters = {
  label_column: {
    type: 'string',
    aliases: ['output_column'],
    description: 'Column to impute. Absent: every column that has gaps in the training data is modelled (complete mode).',
  },
  feature_columns: {
    type: 'list',
    items: 'string',
    aliases: ['input_columns'],
    description: 'Columns a request must carry (the baseline ignores their values). Default: all other columns.',
  },
  numeric_strategy: {
    type: 'enum',
    values: ['mean', 'median'],
    default: 'mean',
    description: 'Fill value of numeric columns.',
  },
  missing_values: {
    type: 'list',
    items: 'string',
    default: [...DEFAULT_MISSING_VALUES],
    description: 'Cell values that count as missing (after trimming spaces).',
  },
  num_epochs: { type: 'integer', min: 1, description: 'Accepted for compatibility with datawig job definitions; unused.' },
  batch_size: { type: 'integer', min: 1, description: 'Accepted for compatibility with datawig job definitions; unused.' },
} as const satisfies HyperparameterSchema;

export const baselineAttributes = {
  impute_present: { type: 'boolean', default: false, description: 'Also give the fill value for cells that are present.' },
} as const satisfies AttributeSchema;

type Hyperparameters = HyperparametersOf<typeof baselineHyperparameters>;
type Attributes = AttributesOf<typeof baselineAttributes>;

interface BaselineModel {
  targets: Array<{ column: string; fill: ColumnFill }>;
  missingValues: string[];
}

export class BaselineAlgorithm implements Algorithm<typeof baselineHyperparameters, typeof baselineAttributes> {
  readonly name = 'baseline';
  readonly version = '1.0.0';
  readonly description = 'Most frequent value (categorical) or mean/median (numeric) per column: the imputation quality floor.';
  readonly hyperparameters = baselineHyperparameters;
  readonly attributes = baselineAttributes;

  async train(ctx: TrainContext<Hyperparameters>): Promise<TrainResult> {
    const hp = ctx.hyperparameters;
    const table = await ctx.channels.readTable(ctx.channels.has('train') ? 'train' : 'training');
    const missing = new MissingValues(hp.missing_values);
    const known = (c: string): boolean => table.columns.includes(c);
    if (hp.label_column !== undefined && !known(hp.label_column)) {
      throw new TrainingError(`label_column "${hp.label_column}" is not a column of the training data; columns: ${table.columns.join(', ')}`);
    }
    const unknownFeatures = (hp.feature_columns ?? []).filter((c) => !known(c));
    if (unknownFeatures.length > 0) {
      throw new TrainingError(
        `feature_columns ${unknownFeatures.map((c) => `"${c}"`).join(', ')} not in the training data; columns: ${table.columns.join(', ')}`,
      );
    }
    const withGaps = table.columns.filter((c) => table.records.some((r) => missing.isMissing(r[c])));
    if (hp.label_column === undefined && withGaps.length === 0) {
      ctx.logger.warn('no column of the training data has gaps; every column gets a fill value');
    }
    const targetColumns = hp.label_column !== undefined ? [hp.label_column] : withGaps.length > 0 ? withGaps : table.columns;
    const targets: BaselineModel['targets'] = [];
    for (const column of targetColumns) {
      ctx.signal.throwIfAborted();
      const cells = table.records
        .map((r) => r[column])
        .filter((v) => !missing.isMissing(v))
        .map(String);
      if (cells.length === 0) {
        if (hp.label_column !== undefined) {
          throw new TrainingError(`label_column "${column}" has no known values in ${table.records.length} rows: nothing to learn from`);
        }
        ctx.logger.warn('column has no known values; it will not be imputed', { column });
        continue;
      }
      const fill = fitColumn(cells, hp.numeric_strategy);
      targets.push({ column, fill });
      ctx.metrics.emit(`train:${column}:known_fraction`, cells.length / table.records.length);
    }
    const model: BaselineModel = { targets, missingValues: hp.missing_values };
    await ctx.model.writeJson(MODEL_FILE, model);
    ctx.logger.info('baseline fitted', { targets: targets.map((t) => ({ column: t.column, kind: t.fill.kind })) });
    const label = new Set(hp.label_column !== undefined ? [hp.label_column] : []);
    return {
      inputSchema: {
        columns: table.columns.map((name) => {
          const target = targets.find((t) => t.column === name);
          return { name, type: target ? target.fill.kind : 'unknown' };
        }),
        requiredColumns: hp.feature_columns ?? table.columns.filter((c) => !label.has(c)),
      },
      metrics: { rows: table.records.length, columns_imputed: targets.length },
    };
  }

  async load(ctx: LoadContext): Promise<Predictor<Attributes>> {
    let raw: unknown;
    try {
      // The store refuses links, FIFOs and oversized files; its JSON errors give a position, never the text.
      raw = await ctx.model.readJson(MODEL_FILE, MAX_MODEL_BYTES);
    } catch (error) {
      throw new Error(`${MODEL_FILE}: cannot be loaded: ${(error as Error).message}`);
    }
    return new BaselinePredictor(validateBaselineModel(raw), ctx.inputSchema.requiredColumns);
  }
}

/** `baseline.json` is small: a bigger one is refused before it is read. */
const MAX_MODEL_BYTES = 16 * 1024 * 1024;
const MAX_TARGETS = 100000;
const MAX_MISSING_VALUES = 10000;
const MAX_TEXT = 65536;

/**
 * Checks a parsed `baseline.json` (a model directory is untrusted input): its shape, types, finite
 * numbers, probabilities in [0, 1], bounded sizes. Errors name the file and the field, never a value.
 */
export function validateBaselineModel(raw: unknown): BaselineModel {
  const fail = (field: string, problem: string): never => {
    throw new Error(`${MODEL_FILE}: "${field}" ${problem}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const text = (v: unknown, field: string): string => {
    if (typeof v !== 'string') return fail(field, `is ${kind(v)}, expected a string`);
    if (v.length > MAX_TEXT) return fail(field, `is a string of ${v.length} characters, more than ${MAX_TEXT}`);
    return v;
  };
  const finite = (v: unknown, field: string): number =>
    typeof v === 'number' && Number.isFinite(v) ? v : fail(field, `is ${kind(v)}, expected a finite number`);
  const list = (v: unknown, field: string, max: number): unknown[] => {
    if (!Array.isArray(v)) return fail(field, `is ${kind(v)}, expected an array`);
    if (v.length > max) return fail(field, `has ${v.length} items, more than ${max}`);
    return v;
  };
  if (!isObject(raw)) return fail('(root)', `is ${kind(raw)}, expected an object`);
  const missingValues = list(raw.missingValues, 'missingValues', MAX_MISSING_VALUES).map((v, i) => text(v, `missingValues[${i}]`));
  const seen = new Set<string>();
  const targets = list(raw.targets, 'targets', MAX_TARGETS).map((t, i): BaselineModel['targets'][number] => {
    const at = `targets[${i}]`;
    if (!isObject(t)) return fail(at, `is ${kind(t)}, expected an object`);
    const column = text(t.column, `${at}.column`);
    if (seen.has(column)) fail(`${at}.column`, 'names a column imputed twice');
    seen.add(column);
    const f = t.fill;
    if (!isObject(f)) return fail(`${at}.fill`, `is ${kind(f)}, expected an object`);
    const count = f.count;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) fail(`${at}.fill.count`, `is ${kind(count)}, expected a positive integer`);
    if (f.kind === 'numeric') {
      return {
        column,
        fill: {
          kind: 'numeric',
          value: finite(f.value, `${at}.fill.value`),
          mean: finite(f.mean, `${at}.fill.mean`),
          median: finite(f.median, `${at}.fill.median`),
          count: count as number,
        },
      };
    }
    if (f.kind === 'categorical') {
      const probability = finite(f.probability, `${at}.fill.probability`);
      if (probability < 0 || probability > 1) fail(`${at}.fill.probability`, `is ${probability}, expected a probability from 0 to 1`);
      return { column, fill: { kind: 'categorical', value: text(f.value, `${at}.fill.value`), probability, count: count as number } };
    }
    return fail(`${at}.fill.kind`, `is ${kind(f.kind)}, expected "numeric" or "categorical"`);
  });
  return { targets, missingValues };
}

/** What a value is, without its text. */
function kind(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : 'not a finite number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

class BaselinePredictor implements Predictor<Attributes> {
  readonly targets: readonly string[];
  private readonly missing: MissingValues;

  constructor(
    private readonly model: BaselineModel,
    private readonly requiredColumns: string[],
  ) {
    this.missing = new MissingValues(model.missingValues);
    this.targets = model.targets.map((t) => t.column);
  }

  predict(batch: RecordBatch<InputRecord>, options: PredictOptions<Attributes>): PredictionBatch {
    requireColumns(this.requiredColumns, batch.columns);
    const imputePresent = options.attributes.impute_present;
    const records = batch.records.map((record) => ({
      targets: this.model.targets.map(({ column, fill }): TargetPrediction => ({
        column,
        status: imputePresent || this.missing.isMissing(record[column]) ? 'imputed' : 'present',
        value: fill.value,
        ...(fill.kind === 'categorical' ? { probability: fill.probability } : {}),
      })),
    }));
    return { records };
  }
}
