/**
 * Typed parameter schemas an algorithm declares: its hyperparameters (training) and its request
 * attributes (serving, from `X-Amzn-SageMaker-Custom-Attributes`). Values arrive as strings; the
 * framework parses them into these declared types, applies defaults and refuses unknown keys
 * (see framework/parameters/parse.ts).
 */

interface SpecBase<T> {
  /** One line for `byoc algorithms` and the README. */
  description: string;
  /** Value used when the key is absent. A spec without default and without `required` yields `undefined`. */
  default?: T;
  /** Fail the job when the key is absent. */
  required?: boolean;
  /** Other names accepted for the same key (e.g. DataWig's `input_columns` for `feature_columns`). */
  aliases?: readonly string[];
}

export interface StringSpec extends SpecBase<string> {
  type: 'string';
}

export interface NumberSpec extends SpecBase<number> {
  /** `integer` rejects fractions; both reject NaN and +-Infinity. */
  type: 'number' | 'integer';
  /** Inclusive bounds. */
  min?: number;
  max?: number;
}

export interface BooleanSpec extends SpecBase<boolean> {
  /** Accepts true/false, 1/0, yes/no (case-insensitive). */
  type: 'boolean';
}

export interface EnumSpec<V extends string = string> extends SpecBase<V> {
  type: 'enum';
  values: readonly V[];
}

export interface ListSpec<I extends 'string' | 'number' | 'integer' = 'string' | 'number' | 'integer'> extends SpecBase<
  I extends 'string' ? string[] : number[]
> {
  /** A JSON array (`["a","b"]`, `[1,2]`) or a comma-separated string (`a, b`). */
  type: 'list';
  items: I;
  minItems?: number;
  maxItems?: number;
  /** Bounds for each numeric item. */
  min?: number;
  max?: number;
}

export type ParameterSpec = StringSpec | NumberSpec | BooleanSpec | EnumSpec | ListSpec;

export type ParameterSchema = Readonly<Record<string, ParameterSpec>>;

/** Training settings, from SageMaker's `hyperparameters.json`. */
export type HyperparameterSpec = ParameterSpec;
export type HyperparameterSchema = ParameterSchema;

/** Per-request settings, from the `X-Amzn-SageMaker-Custom-Attributes` header (`k=v,k=v`). */
export type AttributeSchema = ParameterSchema;

type ValueOf<S> = S extends { type: 'string' }
  ? string
  : S extends { type: 'number' | 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : S extends { type: 'list'; items: 'string' }
          ? string[]
          : S extends { type: 'list' }
            ? number[]
            : never;

type HasValue<S> = S extends { default: unknown } ? true : S extends { required: true } ? true : false;

/**
 * The typed object an algorithm receives for a schema declared `as const satisfies ParameterSchema`:
 * keys with a default or `required: true` are always present, the others may be `undefined`.
 */
export type ParametersOf<S extends ParameterSchema> = {
  -readonly [K in keyof S]: HasValue<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

export type HyperparametersOf<S extends HyperparameterSchema> = ParametersOf<S>;
export type AttributesOf<S extends AttributeSchema> = ParametersOf<S>;
