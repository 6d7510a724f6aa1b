/**
 * The check every table model makes of a request: are the columns it needs there? One message for
 * all of them, with the hints that name the usual causes (a column renamed by case, a file
 * separated by ';' or tabs, which the comma-only CSV dialect reads as one column).
 */
import { RequestError } from './errors.js';

/** Delimiters people export CSV with that the framework does not read, named in the hint. */
const OTHER_DELIMITERS: readonly [string, string][] = [
  [';', '";"'],
  ['\t', 'tabs'],
  ['|', '"|"'],
];

/** Throws a RequestError (400) naming every column of `required` that `present` lacks; nothing when none is missing. */
export function requireColumns(required: readonly string[], present: readonly string[]): void {
  const have = new Set(present);
  const absent = required.filter((c) => !have.has(c));
  if (absent.length === 0) return;
  const byLowerCase = new Map(present.map((c) => [c.toLowerCase(), c]));
  const named = absent.map((c) => {
    const other = byLowerCase.get(c.toLowerCase());
    return other === undefined ? `"${c}"` : `"${c}" (the input has "${other}": column names are case-sensitive)`;
  });
  const noun = absent.length === 1 ? 'a column' : `${absent.length} columns`;
  let message = `the input lacks ${noun} the model needs: ${named.join(', ')} (required: ${required.join(', ')})`;
  const delimiter = present.length === 1 ? OTHER_DELIMITERS.find(([d]) => present[0]!.includes(d)) : undefined;
  if (delimiter) message += `; its header is the one column "${present[0]}": is the file separated by ${delimiter[1]}? CSV input must be comma-separated`;
  throw new RequestError(message, 400);
}
