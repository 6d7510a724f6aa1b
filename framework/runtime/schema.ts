/**
 * Shared set-up of schema validation (configuration, manifests): zod's tree-shakable "mini" build
 * with its English messages. Modules import `* as z from 'zod/mini'` themselves and import this
 * module for the messages: the bundler then keeps only the validators used (re-exporting the
 * namespace from here would keep all of zod, ~30 ms more per process start).
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

/** `key: message` per issue (`(root)` for the top level), with where a key's value came from when known. */
export function formatIssues(issues: readonly Issue[], sourceOf: (key: string) => string | undefined = () => undefined): string[] {
  return issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const from = sourceOf(key);
    return `${key || '(root)'}${from ? ` (from ${from})` : ''}: ${describe(issue)}`;
  });
}

interface Issue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  errors?: readonly (readonly Issue[])[];
}

// A union's own message is just "Invalid input": say what each alternative expected instead.
function describe(issue: Issue): string {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue.message;
  const alternatives = issue.errors.map((branch) => branch.map((sub) => describe(sub).replace(/^Invalid input: /, '')).join(', ')).filter((m) => m !== '');
  return alternatives.length ? `${issue.message}: ${alternatives.join('; or ')}` : issue.message;
}
