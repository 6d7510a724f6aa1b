// ESLint 9 flat config: typescript-eslint's type-aware recommended rules, a few size limits, and
// eslint-config-prettier last so that no stylistic rule fights the formatter (Prettier owns layout).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Build output, dependencies, generated files and test data.
    ignores: ['dist/**', 'node_modules/**', '**/*.d.ts', 'coverage/**', 'tmp/**', '.demo/**', 'test/fixtures/**', 'test/sagemaker_fs/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: {
        // Type information from tsconfig.json (the TypeScript project service finds it per file).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Unused names are errors, but `_`-prefixed ones are the convention for "deliberately unused".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // node:test's test()/describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      // The code writes `xs[i]!` on purpose (ready for noUncheckedIndexedAccess, which tsconfig does not
      // enable yet): without that flag this rule reports every such `!` as unnecessary.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `async` without `await` is how the in-memory stores and fakes implement Promise-returning
      // interfaces (a throw becomes a rejection, as in the real implementation).
      '@typescript-eslint/require-await': 'off',
      // parse.ts throws ValueProblem (a detail, not an Error) inside parseValue and catches it in the same module.
      '@typescript-eslint/only-throw-error': [
        'error',
        { allow: [{ from: 'file', name: 'ValueProblem', path: 'framework/parameters/parse.ts' }], allowRethrowing: true },
      ],
      // Size limits that flag the genuinely long functions, not ordinary ones. Measured before the split:
      // >100 lines were buildProgram (sagemaker-client, 265), fitTarget 169, datawig train 131, createApp 121,
      // trainNet 105, then a gap (runPrimary 85); complexity >25 only fitTarget 34, train 33, predict 32
      // (the next, at 21-23, get there by `??` and optional spreads). No block nests deeper than 4.
      complexity: ['error', { max: 25 }],
      'max-depth': ['error', { max: 4 }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // Plain JavaScript (this file, bench helpers): no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['test/**'],
    rules: {
      // A test is a list of cases inside one describe()/test() callback: long by nature.
      'max-lines-per-function': 'off',
      // Tests probe parsed JSON bodies (`JSON.parse(res.body).error`) and let assert check the shape.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Being split right now (fitTarget, train): warnings until that lands, errors afterwards.
    files: ['algorithms/datawig/**'],
    rules: {
      complexity: ['warn', { max: 25 }],
      'max-lines-per-function': ['warn', { max: 100, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  prettier,
);
