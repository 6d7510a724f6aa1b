/**
 * The architecture, checked on the source tree: no import cycles; the framework knows no algorithm
 * and no container wiring; an algorithm imports only the framework's contract and names no media
 * type; inside the framework and inside datawig, no module imports one from a higher layer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sources(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, folder), { withFileTypes: true })) {
    const rel = path.posix.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

// Static imports and re-exports (`from '...'`, also across lines) and dynamic `import('...')`.
const IMPORT = /\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^\s*import\s+'([^']+)'/gm;

/** Relative imports of each source file, resolved to repository paths (`.js` → `.ts`). */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith('.')) continue;
      targets.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle's members (strongly connected components of more than one module, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

/**
 * Layers, lowest first: a module may import its own folder or a strictly lower layer. The key is
 * the first path segment below the root folder (a folder, or a file at the top).
 */
const FRAMEWORK_LAYERS: Record<string, number> = {
  contract: 0,
  'ml-root': 1,
  storage: 1,
  parameters: 1,
  codecs: 1,
  report: 1,
  runtime: 2,
  algorithms: 3,
  model: 4,
  invocation: 5,
  serving: 6,
  training: 6,
  batch: 6,
  'composition.ts': 7,
  commands: 8,
  'cli.ts': 9,
  'testing.ts': 9,
  'index.ts': 10,
};

const DATAWIG_LAYERS: Record<string, number> = {
  format: 0,
  core: 1,
  'hyperparameters.ts': 2,
  'attributes.ts': 2,
  fit: 3,
  serve: 3,
  report: 3,
  'index.ts': 4,
};

function layerViolations(graph: Map<string, string[]>, root: string, layers: Record<string, number>): string[] {
  const unitOf = (file: string): string | undefined => (file.startsWith(`${root}/`) ? file.slice(root.length + 1).split('/')[0] : undefined);
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = unitOf(file);
    if (from === undefined) continue;
    if (layers[from] === undefined) problems.push(`${file}: ${root}/${from} has no layer in this test; add it`);
    for (const target of targets) {
      const to = unitOf(target);
      if (to === undefined || to === from) continue;
      if (!(layers[to]! < layers[from]!)) problems.push(`${file} imports ${target}: ${to} is not below ${from}`);
    }
  }
  return problems;
}

const files = [...sources('framework'), ...sources('algorithms'), ...sources('container')];
const graph = importGraph(files);

describe('architecture', () => {
  it('has no import cycles', () => {
    assert.ok(graph.size > 50, `found only ${graph.size} modules`);
    assert.deepEqual(cycles(graph), []);
  });

  it('the framework imports neither algorithms nor container wiring', () => {
    const leaks = [...graph].flatMap(([file, targets]) =>
      file.startsWith('framework/') ? targets.filter((t) => t.startsWith('algorithms/') || t.startsWith('container/')).map((t) => `${file} -> ${t}`) : [],
    );
    assert.deepEqual(leaks, []);
  });

  it('an algorithm imports only the framework contract, never HTTP, codecs or SageMaker layout', () => {
    const leaks = [...graph].flatMap(([file, targets]) =>
      file.startsWith('algorithms/')
        ? targets.filter((t) => t.startsWith('framework/') && !t.startsWith('framework/contract/')).map((t) => `${file} -> ${t}`)
        : [],
    );
    assert.deepEqual(leaks, []);
    const http = files.filter((f) => f.startsWith('algorithms/') && /from '(hono|@hono\/[^']+|node:http)'/.test(readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(http, []);
  });

  it('no line under algorithms/ names a media type', () => {
    const mediaType = /\b(text\/csv|text\/plain|application\/(json|jsonlines|jsonl|x-jsonlines|x-ndjson))\b/;
    const lines = files
      .filter((f) => f.startsWith('algorithms/'))
      .flatMap((f) =>
        readFileSync(path.join(ROOT, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (mediaType.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    assert.deepEqual(lines, []);
  });

  it('framework modules import only lower layers', () => {
    assert.deepEqual(layerViolations(graph, 'framework', FRAMEWORK_LAYERS), []);
  });

  it('datawig: format < core < fit | serve; serving never imports training code', () => {
    assert.deepEqual(layerViolations(graph, 'algorithms/datawig', DATAWIG_LAYERS), []);
  });

  it('the checks see what they claim to see (a planted cycle and a planted layer violation are found)', () => {
    const planted = new Map([
      ['framework/contract/a.ts', ['framework/serving/b.ts']],
      ['framework/serving/b.ts', ['framework/contract/a.ts']],
    ]);
    assert.deepEqual(cycles(planted), [['framework/contract/a.ts', 'framework/serving/b.ts']]);
    assert.deepEqual(layerViolations(planted, 'framework', FRAMEWORK_LAYERS), [
      'framework/contract/a.ts imports framework/serving/b.ts: serving is not below contract',
    ]);
  });
});
