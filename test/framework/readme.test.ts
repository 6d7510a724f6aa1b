/**
 * The README's TypeScript examples compile, and its plugin test runs.
 *
 * Every ```ts block of README.md is written into a temporary folder as its own module (at the path
 * its first line names, `// algorithms/column-mean/index.ts`, else `block-<line>.ts`, so that blocks
 * can import each other) and all of them are type-checked in one program with the repo's compiler
 * options (tsconfig.json: strict, NodeNext). `sagemaker-byoc` and `sagemaker-byoc/testing` are
 * mapped to this repo's framework/index.ts and framework/testing.ts, as a plugin package imports
 * them; other bare names (inversify, node:*) resolve as from the repo root. A block that does not
 * compile fails the test with its line in README.md and the compiler's message.
 *
 * Then the blocks named `*.test.ts` are transpiled and run against the compiled framework (dist/).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

// This file runs as dist/test/framework/readme.test.js: the repository root is three folders up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const README = path.join(root, 'README.md');

/** The README has at least this many ```ts blocks (a renamed fence must not make the test vacuous). */
const MIN_BLOCKS = 4;

interface Block {
  /** 1-based line in README.md of the opening fence. */
  fence: number;
  /** 1-based line in README.md of the block's first code line. */
  line: number;
  /** Indentation of the fence (blocks inside list items), stripped from every line. */
  indent: number;
  /** Where the block is written in the temporary folder, relative. */
  file: string;
  code: string;
}

/** The ```ts (or ```typescript) blocks of a Markdown text. */
function extractTsBlocks(markdown: string): Block[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(\S*)/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    const fence = open[2]!;
    const info = open[3]!;
    // Any other fence is skipped whole, so that a ``` inside it is not taken for an opening.
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`README.md:${i + 1}: the code fence opened here is never closed`);
    if (info === 'ts' || info === 'typescript') {
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.slice(0, indent.length).trim() === '' ? l.slice(indent.length) : l))
        .join('\n');
      const named = /^\/\/\s*(\S+\.ts)\s*$/.exec(code.split('\n', 1)[0]!.trim());
      blocks.push({ fence: i + 1, line: i + 2, indent: indent.length, file: named ? named[1]! : `block-${i + 1}.ts`, code: `${code}\n` });
    }
    i = end;
  }
  return blocks;
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options, errors } = ts.convertCompilerOptionsFromJson(config.config.compilerOptions, root);
  if (errors.length > 0) throw new Error(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('\n'));
  return {
    ...options,
    noEmit: true,
    skipLibCheck: true,
    declaration: false,
    sourceMap: false,
    incremental: false,
    rootDir: undefined,
    outDir: undefined,
    // What a plugin package gets from "exports" of package.json, but from the sources of this repo.
    baseUrl: root,
    paths: {
      'sagemaker-byoc': ['framework/index.ts'],
      'sagemaker-byoc/testing': ['framework/testing.ts'],
    },
    typeRoots: [path.join(root, 'node_modules', '@types')],
  };
}

/** Where a README line and column is, for a diagnostic in a block's file. */
function readmePosition(block: Block, diagnostic: ts.Diagnostic): string {
  if (!diagnostic.file || diagnostic.start === undefined) return `README.md:${block.line}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `README.md:${block.line + line}:${character + 1 + block.indent}`;
}

/** Type-checks the blocks in one program; returns one message per block that does not compile. */
function typeCheck(blocks: readonly Block[], dir: string): string[] {
  const options = compilerOptions();
  const byFile = new Map(blocks.map((b) => [path.join(dir, b.file), b]));
  const host = ts.createCompilerHost(options, true);
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  // Bare names in a block (inversify, node:test) resolve as from a file at the repo root: the
  // temporary folder has no node_modules of its own.
  const anchor = path.join(root, '__readme_block__.ts');
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, containingSourceFile) =>
    literals.map((literal) => {
      const from = byFile.has(containingFile) && !literal.text.startsWith('.') ? anchor : containingFile;
      const mode = ts.getModeForUsageLocation(containingSourceFile, literal, opts);
      return ts.resolveModuleName(literal.text, from, opts, host, cache, redirected, mode);
    });
  const program = ts.createProgram({ rootNames: [...byFile.keys()], options, host });
  const failures: string[] = [];
  const general = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (general.length > 0) failures.push(`compiler setup: ${ts.formatDiagnostics(general, host)}`);
  for (const [file, block] of byFile) {
    const source = program.getSourceFile(file);
    if (!source) {
      failures.push(`the \`\`\`ts block at README.md:${block.fence} (${block.file}) is not part of the program`);
      continue;
    }
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    if (diagnostics.length === 0) continue;
    const messages = diagnostics.map((d) => `  ${readmePosition(block, d)} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n    ')}`);
    failures.push(`the \`\`\`ts block at README.md:${block.fence} (${block.file}) does not compile:\n${messages.join('\n')}`);
  }
  return failures;
}

/**
 * A block as JavaScript that runs from the temporary folder: `sagemaker-byoc` imports point at the
 * compiled framework, `node:test` at a collector (so that the block's tests run as subtests here).
 */
function transpile(block: Block, shim: string): string {
  const { outputText } = ts.transpileModule(block.code, {
    fileName: block.file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, experimentalDecorators: true },
  });
  const targets: Record<string, string> = {
    'sagemaker-byoc': pathToFileURL(path.join(root, 'dist', 'framework', 'index.js')).href,
    'sagemaker-byoc/testing': pathToFileURL(path.join(root, 'dist', 'framework', 'testing.js')).href,
    'node:test': shim,
  };
  // Other bare names (inversify, node:assert) resolve as from this file, inside the repo.
  const resolve = (name: string): string => (Object.hasOwn(targets, name) ? targets[name]! : name.startsWith('.') ? name : import.meta.resolve(name));
  return outputText.replace(
    /(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\2/g,
    (_all, lead: string, quote: string, name: string) => `${lead}${quote}${resolve(name)}${quote}`,
  );
}

describe('README.md code blocks', () => {
  const blocks = extractTsBlocks(readFileSync(README, 'utf8'));
  let dir = '';

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'byoc-readme-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'readme-blocks', private: true, type: 'module' }));
    for (const block of blocks) {
      const target = path.resolve(dir, block.file);
      assert.ok(target.startsWith(dir + path.sep), `README.md:${block.fence}: block path ${block.file} leaves its folder`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, block.code);
    }
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`has at least ${MIN_BLOCKS} \`\`\`ts blocks, at distinct paths`, () => {
    assert.ok(blocks.length >= MIN_BLOCKS, `expected at least ${MIN_BLOCKS} \`\`\`ts blocks in README.md, found ${blocks.length}`);
    const seen = new Map<string, number>();
    for (const b of blocks) {
      assert.ok(!seen.has(b.file), `the \`\`\`ts blocks at README.md:${seen.get(b.file)} and README.md:${b.fence} both name ${b.file}`);
      seen.set(b.file, b.fence);
    }
  });

  it('every ```ts block type-checks (strict, NodeNext) against the framework', () => {
    const failures = typeCheck(blocks, dir);
    if (failures.length > 0) assert.fail(`${failures.length} of ${blocks.length} \`\`\`ts blocks do not compile:\n\n${failures.join('\n\n')}`);
  });

  it('the test blocks run (the walkthrough algorithm trained, loaded and invoked in process)', async (t) => {
    const tests = blocks.filter((b) => b.file.endsWith('.test.ts'));
    assert.ok(tests.length >= 1, 'README.md has no ```ts block whose first line names a *.test.ts file');
    const shimFile = path.join(dir, '__node_test_shim__.js');
    writeFileSync(
      shimFile,
      'export const collected = [];\n' +
        'export function test(name, options, fn) { collected.push({ name, fn: typeof options === "function" ? options : fn }); }\n' +
        'export const it = test;\n' +
        'export default test;\n',
    );
    const shim = pathToFileURL(shimFile).href;
    for (const block of blocks) writeFileSync(path.join(dir, block.file.replace(/\.ts$/, '.js')), transpile(block, shim));
    const { collected } = (await import(shim)) as { collected: Array<{ name: string; fn: () => unknown }> };
    for (const block of tests) {
      const known = collected.length;
      await import(pathToFileURL(path.join(dir, block.file.replace(/\.ts$/, '.js'))).href);
      assert.ok(collected.length > known, `the \`\`\`ts block at README.md:${block.fence} (${block.file}) declares no test()`);
      for (const { name, fn } of collected.slice(known)) {
        await t.test(`README.md:${block.fence}: ${name}`, async () => {
          await fn();
        });
      }
    }
  });
});
