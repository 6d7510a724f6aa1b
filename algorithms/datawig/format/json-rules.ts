/**
 * Small rules for checking parsed JSON against the shape this code writes, with errors that name
 * the file, the field (`net.numHidden[1]`), what it holds and what was expected.
 */

/** A file of the model directory is not what datawig writes: the message names the file and the problem. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Where a value failed (path from the checked root) and what was expected there. */
export interface Problem {
  path: (string | number)[];
  expected: string;
  got: unknown;
}

/** Checks a value: undefined when it fits, else the (first) problem. */
export type Rule = (v: unknown) => Problem | undefined;

const is =
  (expected: string, ok: (v: unknown) => boolean): Rule =>
  (v) =>
    ok(v) ? undefined : { path: [], expected, got: v };

const inside = (key: string | number, p: Problem | undefined): Problem | undefined => p && { ...p, path: [key, ...p.path] };

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const string = is('a string', (v) => typeof v === 'string');
export const number = is('a finite number', (v) => typeof v === 'number' && Number.isFinite(v));
export const positive = is('a positive number', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0);
export const count = is('a non-negative integer', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
export const boolean = is('true or false', (v) => typeof v === 'boolean');
/** Any object: for parts that their own validator checks in full (trees, the linear spec). */
export const object = is('an object', isObject);
/** A number as JSON stores it: NaN and Infinity are written as null. */
export const storedNumber = is('a number or null', (v) => v === null || typeof v === 'number');

/** An integer in [min, max] (bounds of the hyperparameter schema: a model file is untrusted input). */
export const intIn = (min: number, max: number): Rule =>
  is(`an integer from ${min} to ${max}`, (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max);
/** A finite number in [min, max]. */
export const numberIn = (min: number, max: number): Rule =>
  is(`a number from ${min} to ${max}`, (v) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max);
export const probability = numberIn(0, 1);
/** `[low, high]`, integers with min <= low <= high <= max (an n-gram range). */
export const rangeIn = (min: number, max: number): Rule =>
  is(
    `[low, high] with ${min} <= low <= high <= ${max}`,
    (v) => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x)) && min <= v[0] && v[0] <= v[1] && v[1] <= max,
  );

export const oneOf = (...values: readonly string[]): Rule => is(values.map((x) => JSON.stringify(x)).join(' or '), (v) => values.includes(v as string));

/** An array whose items pass `item` (of exactly `length` items when given). */
export const arrayOf =
  (item: Rule, length?: number): Rule =>
  (v) => {
    if (!Array.isArray(v) || (length !== undefined && v.length !== length))
      return { path: [], expected: length === undefined ? 'an array' : `an array of ${length}`, got: v };
    return items(item, v);
  };

/** An array of at most `max` items that pass `item`. */
export const arrayOfAtMost =
  (item: Rule, max: number): Rule =>
  (v) => {
    if (!Array.isArray(v) || v.length > max) return { path: [], expected: `an array of at most ${max}`, got: v };
    return items(item, v);
  };

function items(item: Rule, v: unknown[]): Problem | undefined {
  for (let i = 0; i < v.length; i++) {
    const p = inside(i, item(v[i]));
    if (p) return p;
  }
  return undefined;
}

/** An object of any keys whose values pass `item`. */
export const recordOf =
  (item: Rule): Rule =>
  (v) => {
    if (!isObject(v)) return { path: [], expected: 'an object', got: v };
    for (const [k, x] of Object.entries(v)) {
      const p = inside(k, item(x));
      if (p) return p;
    }
    return undefined;
  };

type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
type OptionalKeys<T> = Exclude<keyof T, RequiredKeys<T>>;

/**
 * An object with a rule for every field of T (the compiler holds the rules to the type): required
 * fields must be present, optional ones are checked when present. Fields are checked in order.
 */
export const fields =
  <T>(required: { [K in RequiredKeys<T>]: Rule }, optional: { [K in OptionalKeys<T>]: Rule }): Rule =>
  (v) => {
    if (!isObject(v)) return { path: [], expected: 'an object', got: v };
    const at = (k: string) => (Object.hasOwn(v, k) ? v[k] : undefined);
    for (const [k, rule] of Object.entries(required) as [string, Rule][]) {
      const p = inside(k, rule(at(k)));
      if (p) return p;
    }
    for (const [k, rule] of Object.entries(optional) as [string, Rule][]) {
      const x = at(k);
      const p = x === undefined ? undefined : inside(k, rule(x));
      if (p) return p;
    }
    return undefined;
  };

/** `value` as a T when it passes `rule`; a ModelFormatError naming `file` and the field otherwise. */
export function check<T>(rule: Rule, value: unknown, file: string): T {
  const p = rule(value);
  if (!p) return value as T;
  const where = p.path.length ? `"${fieldPath(p.path)}"` : 'the file';
  throw new ModelFormatError(
    file,
    p.got === undefined ? `${where} is missing (expected ${p.expected})` : `${where} is ${describe(p.got)}, expected ${p.expected}`,
  );
}

/** `net.numHidden[1]`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  // Never the text itself: a model file may be a link to (or a copy of) a secret.
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? `the ${typeof v} ${String(v)}` : `a ${typeof v}`;
}

/** A model of more weight values than this is refused (1 GiB of float32, the store's read cap). */
export const MAX_WEIGHT_VALUES = 2 ** 28;
