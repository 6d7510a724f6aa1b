/**
 * `npm run bench:multi-model`: what a multi-model endpoint costs, with datawig models trained on
 * the IMDB sample (text → category, the default settings but 10 epochs).
 *
 * - Over HTTP, 2 workers: the load (POST /models, which loads the model in the worker that takes
 *   it), the first invocation of each worker (the other one loads the model then: the price of
 *   loading on first use rather than in every worker at once), and warm invocations (median, p95).
 * - In process: the memory 10 loaded copies of the model take (heap + array buffers + external,
 *   after a full GC), and what is left once they are unloaded, beside the catalog's estimate.
 */
import { cp, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { AlgorithmRegistry } from '../../framework/algorithms/registry.js';
import { loadModel } from '../../framework/model/host.js';
import { ModelCatalog, modelFootprint } from '../../framework/model/model-catalog.js';
import { RecordingLogger } from '../../framework/testing.js';
import { buildMlRoot, freePort, jsonLines, makeTempDir, removeDir, request, runByoc, startByoc, waitFor, type HttpResult } from '../helpers/e2e.js';
import { percentile } from '../reliability/lib.js';

const COPIES = 10;
const WARM_REQUESTS = 200;
const QUERY = 'rating_binary,review\n,"a wonderful film, I loved every minute"\n,"dull, far too long and badly acted"\n';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memoryNow(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers + m.external;
}

const MB = 1024 * 1024;
const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

/** Memory of COPIES loaded copies of the model in `dir`, and what unloading them leaves (after one load and unload to warm the modules). */
async function memoryOf(dir: string): Promise<{ files: number; estimate: number; perModel: number; left: number }> {
  const logger = new RecordingLogger();
  const registry = new AlgorithmRegistry([new DatawigAlgorithm()]);
  const catalog = new ModelCatalog({ load: (d) => loadModel(d, registry, logger), budgetBytes: 64 * 1024 * MB, logger });
  await catalog.add('warm-up', dir, true);
  catalog.remove('warm-up');
  await new Promise((resolve) => setImmediate(resolve));
  const before = memoryNow();
  for (let i = 0; i < COPIES; i++) await catalog.add(`copy-${i}`, dir, true);
  const loaded = memoryNow() - before;
  for (let i = 0; i < COPIES; i++) catalog.remove(`copy-${i}`);
  await new Promise((resolve) => setImmediate(resolve));
  const estimate = await modelFootprint(dir);
  return { files: await filesBytes(dir), estimate, perModel: loaded / COPIES, left: memoryNow() - before };
}

async function filesBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  return bytes;
}

async function main(): Promise<void> {
  const tmp = await makeTempDir('byoc-bench-mme-');
  try {
    const root = await buildMlRoot(tmp, {
      hyperparameters: { algorithm: 'datawig', feature_columns: 'review', label_column: 'rating_binary', num_epochs: '10' },
    });
    const trained = await runByoc(['train', '--ml-root', root], {}, 300_000);
    if (trained.code !== 0) throw new Error(`training failed: ${trained.stderr}`);
    const url = path.join(tmp, 'models', 'imdb', 'model');
    await cp(path.join(root, 'model'), url, { recursive: true });

    // over HTTP
    const port = await freePort();
    const server = startByoc(['serve', '--port', String(port), '--workers', '2'], { SAGEMAKER_MULTI_MODEL: 'true', ML_ROOT: path.join(tmp, 'none') });
    const http: Record<string, number | string> = {};
    try {
      await waitFor(() => jsonLines(server.stdout).some((l) => String(l.msg).startsWith('server ready')), 30_000);
      let t0 = performance.now();
      const loaded = await request(port, 'POST', '/models', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model_name: 'imdb', url }),
      });
      if (loaded.status !== 200) throw new Error(`load: ${loaded.status} ${loaded.body}`);
      http['POST /models (load in one worker), ms'] = ms(t0);
      const invoke = (): Promise<HttpResult> => request(port, 'POST', '/models/imdb/invoke', { headers: { 'Content-Type': 'text/csv' }, body: QUERY });
      const first = new Map<string, number>();
      const warm: number[] = [];
      for (let i = 0; i < WARM_REQUESTS + 40 && (first.size < 2 || warm.length < WARM_REQUESTS); i++) {
        t0 = performance.now();
        const res = await invoke();
        const took = ms(t0);
        if (res.status !== 200) throw new Error(`invoke: ${res.status} ${res.body}`);
        const worker = String(res.headers['x-request-id']).split('-')[0]!;
        if (!first.has(worker)) first.set(worker, took);
        else warm.push(took);
      }
      const [a, b] = [...first.values()];
      http['first invocation, the loading worker, ms'] = a!;
      http['first invocation, the other worker (loads on first use), ms'] = b!;
      http[`warm invocation, median of ${warm.length}, ms`] = percentile(warm, 50);
      http['warm invocation, p95, ms'] = percentile(warm, 95);
    } finally {
      server.kill('SIGTERM');
      await server.exit(30_000).catch(() => server.kill('SIGKILL'));
    }

    // in process: memory, for this model and for one of the network family (its hashed embedding table is most of it)
    const networkRoot = await buildMlRoot(path.join(tmp, 'network'), {
      hyperparameters: { algorithm: 'datawig', feature_columns: 'review', label_column: 'rating_binary', num_epochs: '3', model_family: 'network' },
    });
    const network = await runByoc(['train', '--ml-root', networkRoot], {}, 300_000);
    if (network.code !== 0) throw new Error(`training the network model failed: ${network.stderr}`);
    const memory: Record<string, number> = {};
    for (const [label, dir] of [
      ['default (auto)', url],
      ['network family', path.join(networkRoot, 'model')],
    ] as const) {
      const m = await memoryOf(dir);
      memory[`${label}: model files on disk, MB`] = m.files / MB;
      memory[`${label}: catalog estimate per model, MB`] = m.estimate / MB;
      memory[`${label}: measured per loaded model (${COPIES} copies), MB`] = m.perModel / MB;
      memory[`${label}: left after unloading all ${COPIES}, MB`] = m.left / MB;
    }
    const rows = [...Object.entries(http), ...Object.entries(memory)];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log('multi-model endpoint (datawig, IMDB sample model; one run)');
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${typeof v === 'number' ? Number(v.toFixed(2)) : v}`);
  } finally {
    await removeDir(tmp);
  }
}

await main();
