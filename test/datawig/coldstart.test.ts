import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

// runs in its own process (node --test isolates files), so nothing else has loaded tfjs yet
test('importing the plugin does not load TensorFlow.js (cold start of shared processes)', async () => {
  const t0 = performance.now();
  const { DatawigAlgorithm } = await import('../../algorithms/datawig/index.js');
  const alg = new DatawigAlgorithm();
  const ms = performance.now() - t0;
  assert.equal(alg.name, 'datawig');
  const cache = createRequire(import.meta.url).cache;
  assert.deepEqual(
    Object.keys(cache).filter((k) => k.includes('@tensorflow')),
    [],
  );
  assert.ok(ms < 500, `import took ${ms} ms`);
  // control: loading the backend does show up in the module cache
  const { loadTf } = await import('../../algorithms/datawig/fit/tf-backend.js');
  await loadTf();
  assert.ok(Object.keys(cache).some((k) => k.includes('@tensorflow')));
});
