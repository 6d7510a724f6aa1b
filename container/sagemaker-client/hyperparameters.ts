/**
 * Hyperparameters as SageMaker wants them (a flat map of strings) and tuning ranges.
 */
import { readFile } from 'node:fs/promises';
import type { CategoricalParameterRange, ContinuousParameterRange, IntegerParameterRange, ParameterRanges } from '@aws-sdk/client-sagemaker';

/** SageMaker passes every hyperparameter as a string: numbers and booleans as text, lists as JSON. */
export function toHyperParameterString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) throw new Error('hyperparameter values cannot be null');
  return JSON.stringify(value);
}

export function stringifyHyperparameters(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    try {
      out[key] = toHyperParameterString(value);
    } catch (err) {
      throw new Error(`hyperparameter ${key}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** `key=value` (value may contain `=`). */
export function parseKeyValue(pair: string, what = 'hyperparameter'): [string, string] {
  const i = pair.indexOf('=');
  if (i <= 0) throw new Error(`${what} must look like key=value, got '${pair}'`);
  return [pair.slice(0, i).trim(), pair.slice(i + 1)];
}

/**
 * The hyperparameters of a job: a JSON file like /opt/ml/input/config/hyperparameters.json
 * (values may be strings, numbers, booleans or lists), then `key=value` pairs, then `algorithm`.
 */
export async function loadHyperparameters(opts: {
  file?: string | undefined;
  pairs?: readonly string[] | undefined;
  algorithm?: string | undefined;
}): Promise<Record<string, string>> {
  let values: Record<string, string> = {};
  if (opts.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(opts.file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read hyperparameters from ${opts.file}: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`${opts.file} must hold a JSON object of hyperparameters`);
    }
    values = stringifyHyperparameters(parsed as Record<string, unknown>);
  }
  for (const pair of opts.pairs ?? []) {
    const [k, v] = parseKeyValue(pair);
    values[k] = v;
  }
  if (opts.algorithm) values.algorithm = opts.algorithm;
  return values;
}

export type ScalingType = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

export type RangeSpec =
  { name: string; kind: 'integer' | 'continuous'; min: number; max: number; scaling: ScalingType } | { name: string; kind: 'categorical'; values: string[] };

const SCALING: Record<string, ScalingType> = {
  auto: 'Auto',
  linear: 'Linear',
  log: 'Logarithmic',
  logarithmic: 'Logarithmic',
  reverselog: 'ReverseLogarithmic',
  reverselogarithmic: 'ReverseLogarithmic',
};

/**
 * Parses a range flag:
 *   name=integer:MIN:MAX[:linear|log|reverselog|auto]
 *   name=continuous:MIN:MAX[:linear|log|reverselog|auto]
 *   name=categorical:A,B,C
 */
export function parseRange(text: string): RangeSpec {
  const [name, rest] = parseKeyValue(text, 'range');
  const [kind, ...args] = rest.split(':');
  if (kind === 'categorical') {
    const values = args
      .join(':')
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.length === 0) throw new Error(`range ${name}: categorical needs at least one value`);
    return { name, kind, values };
  }
  if (kind === 'integer' || kind === 'continuous') {
    if (args.length < 2 || args.length > 3) throw new Error(`range ${name}: expected ${kind}:MIN:MAX[:SCALING]`);
    const min = Number(args[0]);
    const max = Number(args[1]);
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      throw new Error(`range ${name}: MIN and MAX must be numbers with MIN <= MAX`);
    }
    if (kind === 'integer' && (!Number.isInteger(min) || !Number.isInteger(max))) {
      throw new Error(`range ${name}: integer bounds must be whole numbers`);
    }
    const scalingKey = (args[2] ?? 'auto').toLowerCase();
    const scaling = SCALING[scalingKey];
    if (!scaling) throw new Error(`range ${name}: unknown scaling '${args[2]}' (linear, log, reverselog, auto)`);
    if (scaling === 'Logarithmic' && min <= 0) throw new Error(`range ${name}: logarithmic scaling needs MIN > 0`);
    return { name, kind, min, max, scaling };
  }
  throw new Error(`range ${name}: kind must be integer, continuous or categorical (got '${kind}')`);
}

/**
 * Default search space over the datawig hyperparameters (override or extend with --range).
 * Bounds stay inside what the datawig plugin accepts (algorithms/datawig/hyperparameters.ts;
 * `byoc algorithms` lists them): learning_rate 1e-6..1, batch_size 1..65536, num_hash_buckets
 * 256..4194304, latent_dim 4..1024, tokens auto|words|chars|both.
 */
export const DEFAULT_DATAWIG_RANGES: readonly string[] = [
  'learning_rate=continuous:0.0001:0.05:log',
  'batch_size=integer:16:128:log',
  'num_hash_buckets=integer:4096:262144:log',
  'latent_dim=integer:16:256:log',
  'tokens=categorical:words,chars,both',
];

/** Later specs for the same name replace earlier ones. */
export function mergeRanges(specs: readonly RangeSpec[]): RangeSpec[] {
  const byName = new Map<string, RangeSpec>();
  for (const s of specs) byName.set(s.name, s);
  return [...byName.values()];
}

export function toParameterRanges(specs: readonly RangeSpec[]): ParameterRanges {
  const integer: IntegerParameterRange[] = [];
  const continuous: ContinuousParameterRange[] = [];
  const categorical: CategoricalParameterRange[] = [];
  for (const s of specs) {
    if (s.kind === 'categorical') categorical.push({ Name: s.name, Values: s.values });
    else if (s.kind === 'integer') {
      integer.push({ Name: s.name, MinValue: String(s.min), MaxValue: String(s.max), ScalingType: s.scaling });
    } else {
      continuous.push({ Name: s.name, MinValue: String(s.min), MaxValue: String(s.max), ScalingType: s.scaling });
    }
  }
  return {
    IntegerParameterRanges: integer,
    ContinuousParameterRanges: continuous,
    CategoricalParameterRanges: categorical,
  };
}
