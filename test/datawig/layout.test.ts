/**
 * The datawig folder's layout, on the compiled modules (what Node loads): format/ <- core/ <-
 * fit/ and serve/, format/ <- report/, serving never reaches the trainer or TensorFlow.js, and no import cycles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../algorithms/datawig/', import.meta.url));

/** Specifiers of a compiled module's static and literal dynamic imports (type-only ones are gone). */
function specifiers(module: string): string[] {
  const src = readFileSync(path.join(root, module), 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'|^\s*import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)].map(
    (m) => (m[1] ?? m[2] ?? m[3])!,
  );
}

/** In-folder modules a module imports (relative to the folder), and its other specifiers. */
function edges(module: string): { inside: string[]; outside: string[] } {
  const inside: string[] = [];
  const outside: string[] = [];
  for (const s of specifiers(module)) {
    const resolved = s.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(module), s)) : undefined;
    if (resolved && !resolved.startsWith('../')) inside.push(resolved);
    else outside.push(s);
  }
  return { inside, outside };
}

/** The modules `from` reaches, itself included. */
function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (m: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    edges(m).inside.forEach(visit);
  };
  visit(from);
  return seen;
}

// From the entry point, lazy imports included (a stale dist/ may hold modules of older layouts).
const modules = [...reachable('index.js')];

const folder = (module: string) => (module.includes('/') ? module.split('/')[0]! : '');

test('the folders import only downwards: format <- core <- fit, serve; format <- report', () => {
  const allowed: Record<string, string[]> = {
    format: ['format'],
    core: ['core', 'format'],
    fit: ['fit', 'core', 'format', ''],
    serve: ['serve', 'core', 'format'],
    // the training report reads the stored artifacts only
    report: ['report', 'format'],
    '': ['', 'core', 'fit', 'serve', 'format', 'report'],
  };
  assert.ok(modules.some((m) => m.startsWith('format/')) && modules.some((m) => m.startsWith('serve/')), modules.join());
  for (const m of modules) {
    const { inside, outside } = edges(m);
    for (const d of inside) assert.ok(allowed[folder(m)]!.includes(folder(d)), `${m} imports ${d}`);
    if (folder(m) === 'format') for (const s of outside) assert.match(s, /framework\/contract\/index\.js$/, `${m} imports ${s}`);
  }
});

test('serving reaches neither fit/ nor TensorFlow.js', () => {
  const seen = reachable('serve/predictor.js');
  assert.deepEqual(
    [...seen].filter((m) => m.startsWith('fit/')),
    [],
  );
  for (const m of seen) for (const s of edges(m).outside) assert.ok(!s.includes('@tensorflow'), `${m} imports ${s}`);
  assert.ok(seen.has('core/target-model.js') && seen.has('format/validation.js'));
  // ...while training does load it (the check above can see a TensorFlow.js import)
  assert.ok(edges('fit/tf-backend.js').outside.some((s) => s.startsWith('@tensorflow')));
});

test('no import cycles in the datawig folder', () => {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (m: string, stack: string[]): void => {
    state.set(m, 'open');
    const path = [...stack, m];
    for (const d of edges(m).inside) {
      assert.notEqual(state.get(d), 'open', `cycle: ${[...path.slice(path.indexOf(d)), d].join(' -> ')}`);
      if (!state.has(d)) visit(d, path);
    }
    state.set(m, 'done');
  };
  for (const m of modules) if (!state.has(m)) visit(m, []);
});
