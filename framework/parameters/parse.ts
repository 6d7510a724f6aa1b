/**
 * Turns all-string parameters into the typed object an algorithm declared: SageMaker's
 * hyperparameters (or typed values from a local JSON file) for training, and a request's custom
 * attributes for serving. Every problem is collected into one error: a `TrainingError` for
 * hyperparameters, a 400 `RequestError` for attributes; unknown keys are refused with a "did you mean".
 */
import type { ParameterSchema, ParameterSpec, ParametersOf, ListSpec, NumberSpec } from '../contract/parameters.js';
import { RequestError, TrainingError } from '../contract/errors.js';
import { parseBooleanText, parseDecimalText } from '../contract/values.js';

export interface ParseHyperparametersOptions {
  /** Extra keys to ignore besides `sagemaker_*` and `_*` (e.g. keys another layer consumes). */
  reservedKeys?: (key: string) => boolean;
}

/** What is being parsed: the word in messages, the error thrown, the keys skipped. */
interface ParameterKind {
  noun: string;
  fail(message: string): Error;
  isReserved(key: string): boolean;
}

/** Thrown internally for one value; `detail` adds what exactly was wrong (e.g. which list item). */
class ValueProblem {
  constructor(readonly detail?: string) {}
}

/** Problems listed in one error; the rest are counted ("and N more"), so a flood of bad keys gives a short message. */
export const MAX_LISTED_PROBLEMS = 20;

export function parseHyperparameters<S extends ParameterSchema>(
  schema: S,
  raw: Record<string, unknown>,
  options: ParseHyperparametersOptions = {},
): ParametersOf<S> {
  return parseParameters(schema, raw, {
    noun: 'hyperparameter',
    fail: (message) => new TrainingError(message),
    isReserved: (key) => key.startsWith('sagemaker_') || key.startsWith('_') || (options.reservedKeys?.(key) ?? false),
  });
}

/** The canonical names of the schema's parameters that `raw` sets (directly or by an alias). */
export function givenParameters(schema: ParameterSchema, raw: Readonly<Record<string, unknown>>): Set<string> {
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(schema)) if ([name, ...(spec.aliases ?? [])].some((k) => Object.hasOwn(raw, k))) given.add(name);
  return given;
}

/** A request's custom attributes against the algorithm's and the framework's attribute schemas. */
export function parseAttributes<S extends ParameterSchema>(schema: S, raw: Readonly<Record<string, string>>): ParametersOf<S> {
  return parseParameters(schema, raw, {
    noun: 'custom attribute',
    fail: (message) => new RequestError(message, 400),
    isReserved: () => false,
  });
}

function parseParameters<S extends ParameterSchema>(schema: S, raw: Readonly<Record<string, unknown>>, kind: ParameterKind): ParametersOf<S> {
  const problems: string[] = [];
  let unlisted = 0;
  const canonicalOf = new Map<string, string>();
  for (const [name, spec] of Object.entries(schema)) {
    canonicalOf.set(name, name);
    for (const alias of spec.aliases ?? []) canonicalOf.set(alias, name);
  }

  // canonical key -> the keys (canonical or alias) that supplied it, in input order
  const supplied = new Map<string, string[]>();
  for (const key of Object.keys(raw)) {
    const canonical = canonicalOf.get(key);
    if (canonical !== undefined) {
      supplied.set(canonical, [...(supplied.get(canonical) ?? []), key]);
    } else if (!kind.isReserved(key)) {
      // Only the listed ones are worth a message (and its "did you mean" search); the rest are counted.
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(unknownKeyMessage(kind.noun, key, raw[key], schema, [...canonicalOf.keys()]));
      else unlisted += 1;
    }
  }

  const result: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const keys = supplied.get(name) ?? [];
    if (keys.length > 1) {
      problems.push(
        `${kind.noun}s ${keys.map((k) => `"${k}"`).join(' and ')} are the same setting ("${name}"${keys.includes(name) ? '' : ' via aliases'}); give only one`,
      );
      continue;
    }
    if (keys.length === 0) {
      if (spec.default !== undefined) result[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      else if (spec.required) problems.push(`${kind.noun} "${name}" is required but was not given: expected ${expectation(spec)}${aliasNote(spec)}`);
      continue;
    }
    const key = keys[0]!;
    const value = raw[key];
    try {
      result[name] = parseValue(spec, value);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      const detail = error.detail ? ` (${error.detail})` : '';
      const via = key === name ? '' : ` (alias of "${name}")`;
      problems.push(`${kind.noun} "${key}"${via} = ${show(value)}: expected ${expectation(spec)}${detail}`);
    }
  }

  if (problems.length > 0) {
    const extra = unlisted + Math.max(0, problems.length - MAX_LISTED_PROBLEMS);
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (extra > 0) listed.push(`and ${extra} more problem${extra === 1 ? '' : 's'} with the ${kind.noun}s`);
    throw kind.fail(listed.join('\n'));
  }
  return result as ParametersOf<S>;
}

/** One-line summary, e.g. "integer, 1..10000, default 100". */
export function describeParameter(spec: ParameterSpec): string {
  const parts: string[] = [];
  switch (spec.type) {
    case 'enum':
      parts.push(`enum (${spec.values.join(' | ')})`);
      break;
    case 'list':
      parts.push(`list of ${plural(spec.items)}`);
      if (spec.min !== undefined || spec.max !== undefined) parts.push(`each ${range(spec.min, spec.max)}`);
      if (spec.minItems !== undefined || spec.maxItems !== undefined) parts.push(`${range(spec.minItems, spec.maxItems)} items`);
      break;
    case 'number':
    case 'integer':
      parts.push(spec.type);
      if (spec.min !== undefined || spec.max !== undefined) parts.push(range(spec.min, spec.max));
      break;
    default:
      parts.push(spec.type);
  }
  if (spec.required) parts.push('required');
  if (spec.default !== undefined) parts.push(`default ${Array.isArray(spec.default) ? JSON.stringify(spec.default) : String(spec.default)}`);
  if (spec.aliases?.length) parts.push(`aliases: ${spec.aliases.join(', ')}`);
  return parts.join(', ');
}

function parseValue(spec: ParameterSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'string':
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (typeof value !== 'string') throw new ValueProblem();
      return unquote(value);
    case 'number':
    case 'integer':
      return parseDecimal(spec.type, value, spec);
    case 'boolean':
      return parseBoolean(value);
    case 'enum': {
      if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
      if (typeof value !== 'string') throw new ValueProblem();
      const text = unquote(value).trim();
      if (spec.values.includes(text)) return text;
      const folded = spec.values.filter((v) => v.toLowerCase() === text.toLowerCase());
      if (folded.length === 1) return folded[0];
      throw new ValueProblem();
    }
    case 'list':
      return parseList(spec, value);
  }
}

function parseDecimal(type: 'number' | 'integer', value: unknown, bounds: Pick<NumberSpec, 'min' | 'max'>): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    // Only plain decimal notation: not '', '0x10' or 'Infinity' (which Number() would take).
    n = parseDecimalText(value);
    if (Number.isNaN(n)) throw new ValueProblem();
  } else throw new ValueProblem();
  if (!Number.isFinite(n)) throw new ValueProblem('out of the range of a 64-bit float');
  if (type === 'integer' && !Number.isSafeInteger(n)) {
    throw new ValueProblem(Number.isInteger(n) ? 'too large to be represented exactly' : undefined);
  }
  if ((bounds.min !== undefined && n < bounds.min) || (bounds.max !== undefined && n > bounds.max)) throw new ValueProblem();
  return n;
}

function parseBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') throw new ValueProblem();
  const parsed = parseBooleanText(value);
  if (parsed === undefined) throw new ValueProblem();
  return parsed;
}

function parseList(spec: ListSpec, value: unknown): unknown[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ValueProblem('starts with "[" but is not a valid JSON array');
      }
      if (!Array.isArray(parsed)) throw new ValueProblem('not a JSON array');
      items = parsed;
    } else if (text === '') items = [];
    else {
      items = text.split(',').map((item) => item.trim());
      const empty = items.findIndex((item) => item === '');
      if (empty >= 0) throw new ValueProblem(`item ${empty + 1} is empty`);
    }
  } else throw new ValueProblem();

  const out = items.map((item, i) => {
    try {
      if (spec.items === 'string') {
        if (typeof item === 'number') return String(item);
        if (typeof item !== 'string' || item.trim() === '') throw new ValueProblem();
        return item.trim();
      }
      return parseDecimal(spec.items, item, spec);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      throw new ValueProblem(`item ${i + 1} ${show(item)} is not ${article(spec.items)}${spec.items === 'string' ? '' : boundsText(spec.min, spec.max)}`);
    }
  });
  if ((spec.minItems !== undefined && out.length < spec.minItems) || (spec.maxItems !== undefined && out.length > spec.maxItems)) {
    throw new ValueProblem(`got ${out.length} item${out.length === 1 ? '' : 's'}`);
  }
  return out;
}

/** The Python SDK's framework estimators JSON-encode every value, so strings may arrive as '"text"'. */
function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // not JSON: keep the quotes as given
    }
  }
  return value;
}

function expectation(spec: ParameterSpec): string {
  switch (spec.type) {
    case 'string':
      return 'a string';
    case 'number':
    case 'integer':
      return `${article(spec.type)}${boundsText(spec.min, spec.max)}`;
    case 'boolean':
      return 'a boolean (true/false, 1/0, yes/no)';
    case 'enum':
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'list': {
      const count = spec.minItems !== undefined || spec.maxItems !== undefined ? ` with ${range(spec.minItems, spec.maxItems, ' to ')} items` : '';
      return `a list of ${plural(spec.items)}${spec.items === 'string' ? '' : boundsText(spec.min, spec.max)}${count} (JSON array or comma-separated)`;
    }
  }
}

function boundsText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function range(min: number | undefined, max: number | undefined, separator = '..'): string {
  if (min !== undefined && max !== undefined) return `${min}${separator}${max}`;
  if (min !== undefined) return `>= ${min}`;
  return `<= ${max}`;
}

function article(type: 'string' | 'number' | 'integer'): string {
  return type === 'integer' ? 'an integer' : `a ${type}`;
}

function plural(type: 'string' | 'number' | 'integer'): string {
  return `${type}s`;
}

function aliasNote(spec: ParameterSpec): string {
  return spec.aliases?.length ? ` (also accepted as ${spec.aliases.map((a) => `"${a}"`).join(', ')})` : '';
}

/** JSON-quoted value, the text truncated to 100 characters so one huge value cannot flood the failure file. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    // e.g. an array nested 100k levels deep (RangeError from the recursive stringify)
    json = Array.isArray(value) ? '[…] (too deeply nested to show)' : '{…} (too deeply nested to show)';
  }
  return json.length > 100 ? `${json.slice(0, 100)}…` : json;
}

function unknownKeyMessage(noun: string, key: string, value: unknown, schema: ParameterSchema, names: string[]): string {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of lower.length > 256 ? [] : names) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  const hint = best ? `; did you mean "${best.name}"?` : '';
  const known = Object.keys(schema);
  const list = known.length > 0 ? known.join(', ') : '(none)';
  // show() truncates long keys too: the first line of output/failure must stay readable.
  return `unknown ${noun} ${show(key)} = ${show(value)}${hint} (known ${noun}s: ${list})`;
}

/** Levenshtein distance; names are short so the O(n*m) table is fine. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
