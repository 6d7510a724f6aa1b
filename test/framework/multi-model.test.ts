/**
 * A multi-model endpoint in process (hono's app.request()): the MME container contract's routes
 * and statuses, loading on first use, the memory budget with least-recently-used unloading, 100
 * models in turn, unloading while a request uses the model, and the configuration switch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LoadedModel } from '../../framework/model/host.js';
import { FOOTPRINT_BASE_BYTES, FOOTPRINT_PER_FILE_BYTE, ModelCatalog } from '../../framework/model/model-catalog.js';
import { loadConfig } from '../../framework/runtime/config.js';
import { createApp } from '../../framework/serving/app.js';
import { SINGLE_PROCESS_REGISTRY } from '../../framework/serving/model-registry.js';
import { RecordingLogger } from '../../framework/testing.js';
import type { Predictor } from '../../framework/contract/algorithm.js';
import { CountingPredictor, countingModel, type CountingAttributes } from '../helpers/counting-model.js';
import { makeTempDir, removeDir } from '../helpers/e2e.js';

const KB = 1024;
let tmp: string;

before(async () => {
  tmp = await makeTempDir('byoc-mme-');
});
after(() => removeDir(tmp));

/** A model folder whose files add up to `kb` KB (what the catalog's memory estimate reads). */
async function modelDir(name: string, kb = 1): Promise<string> {
  const dir = path.join(tmp, name, 'model');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'weights.bin'), Buffer.alloc(kb * KB));
  return dir;
}

class DisposablePredictor extends CountingPredictor {
  disposed = 0;
  dispose(): void {
    this.disposed += 1;
  }
}

/** An app over a catalog whose loader counts loads and hands out counting models (one predictor per load). */
function endpoint(budgetKb = 1024, load?: (dir: string) => Promise<LoadedModel>) {
  const config = loadConfig({ env: { SAGEMAKER_MULTI_MODEL: 'TRUE' } });
  const loads: string[] = [];
  const predictors: DisposablePredictor[] = [];
  const catalog = new ModelCatalog({
    budgetBytes: budgetKb * KB,
    logger: new RecordingLogger(),
    load:
      load ??
      (async (dir) => {
        loads.push(dir);
        const predictor = new DisposablePredictor();
        predictors.push(predictor);
        return countingModel(predictor, config).model;
      }),
  });
  const { pipeline } = countingModel(undefined, config);
  const app = createApp({
    config,
    logger: new RecordingLogger(),
    model: undefined as never,
    pipeline,
    workers: 1,
    models: { catalog, registry: SINGLE_PROCESS_REGISTRY },
  });
  const post = (url: string, body: unknown) =>
    app.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const invoke = (name: string, csv = 'id,n\na,\nb,\n') =>
    app.request(`/models/${encodeURIComponent(name)}/invoke`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv });
  return { app, catalog, loads, predictors, post, invoke, config };
}

/** A predictor that waits in predict until `finish()`; `inPredict` resolves once a request is there. */
function slowPredictor() {
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  let started!: () => void;
  const inPredict = new Promise<void>((resolve) => (started = resolve));
  const inner = new CountingPredictor();
  const slow = {
    targets: inner.targets,
    disposed: 0,
    async predict(...args: Parameters<CountingPredictor['predict']>) {
      started();
      await gate;
      return inner.predict(...args);
    },
    dispose() {
      this.disposed += 1;
    },
  } satisfies Predictor<CountingAttributes> & { disposed: number };
  return { slow, inPredict, finish };
}

const errorOf = async (res: Response): Promise<string> => ((await res.json()) as { error: string }).error;

describe('multi-model endpoint (in process)', () => {
  it('is on with SAGEMAKER_MULTI_MODEL in any case; /ping is 200 with no model loaded; /invocations says where to go', async () => {
    const e = endpoint();
    assert.equal(e.config.server.multiModel, true);
    assert.equal(loadConfig({ env: {} }).server.multiModel, false);
    assert.equal(loadConfig({ env: { SAGEMAKER_MULTI_MODEL: 'false' } }).server.multiModel, false);
    assert.equal((await e.app.request('/ping')).status, 200);
    const inv = await e.app.request('/invocations', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: 'id,n\na,\n' });
    assert.equal(inv.status, 404);
    assert.match(await errorOf(inv), /POST \/models\/\{name\}\/invoke/);
  });

  it('loads, lists, describes, invokes and unloads; 409 for a name loaded twice, 404 for an unknown one', async () => {
    const e = endpoint();
    const url = await modelDir('a');
    const loaded = await e.post('/models', { model_name: 'a', url });
    assert.equal(loaded.status, 200, await loaded.clone().text());
    assert.deepEqual(await loaded.json(), { modelName: 'a', modelUrl: url });
    assert.equal(e.loads.length, 1, 'loaded when registered');
    assert.equal((await e.post('/models', { model_name: 'a', url })).status, 409);
    assert.deepEqual(await (await e.app.request('/models')).json(), { models: [{ modelName: 'a', modelUrl: url }] });
    assert.deepEqual(await (await e.app.request('/models/a')).json(), { modelName: 'a', modelUrl: url });
    const answer = await e.invoke('a');
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'id,n,n_imputed,n_imputed_proba\na,,0,0.1235\nb,,1,0.1235\n');
    assert.equal(e.loads.length, 1, 'the loaded model answers');
    const deleted = await e.app.request('/models/a', { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.equal(e.predictors[0]!.disposed, 1, 'unloading disposes the predictor');
    for (const res of [await e.app.request('/models/a'), await e.invoke('a'), await e.app.request('/models/a', { method: 'DELETE' })]) {
      assert.equal(res.status, 404);
      assert.match(await errorOf(res), /model "a" is not loaded/);
    }
    assert.deepEqual(await (await e.app.request('/models')).json(), { models: [] });
  });

  it('refuses bad load requests with 400, naming the problem', async () => {
    const e = endpoint();
    const url = await modelDir('bad');
    const cases: [unknown, RegExp][] = [
      ['not json', /must be JSON/],
      [[1], /JSON object/],
      [{ url }, /"model_name" must be a non-empty string/],
      [{ model_name: 'a/b', url }, /must not contain "\/"/],
      [{ model_name: 'x', url: 'relative/path' }, /"url" must be the absolute path/],
      [{ model_name: 'x', url: path.join(tmp, 'nowhere') }, /is not a folder/],
    ];
    for (const [body, message] of cases) {
      const res = await e.app.request('/models', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(await errorOf(res), message);
    }
    const broken = endpoint(1024, () => Promise.reject(new Error('manifest.json: no such file')));
    const res = await broken.post('/models', { model_name: 'x', url });
    assert.equal(res.status, 400);
    assert.match(await errorOf(res), /model "x" could not be loaded from .*: manifest\.json: no such file/);
    assert.deepEqual(await (await broken.app.request('/models')).json(), { models: [] }, 'a model that failed to load is not registered');
    assert.equal((await e.app.request('/models', { method: 'PUT' })).status, 405);
  });

  it('pages the list with next_page_token and max_results', async () => {
    const e = endpoint();
    const url = await modelDir('page');
    for (let i = 0; i < 5; i++) assert.equal((await e.post('/models', { model_name: `m${i}`, url })).status, 200);
    const first = (await (await e.app.request('/models?max_results=2')).json()) as { models: { modelName: string }[]; nextPageToken?: string };
    assert.deepEqual(
      first.models.map((m) => m.modelName),
      ['m0', 'm1'],
    );
    const names = [...first.models.map((m) => m.modelName)];
    let token = first.nextPageToken;
    while (token !== undefined) {
      const page = (await (await e.app.request(`/models?max_results=2&next_page_token=${token}`)).json()) as typeof first;
      names.push(...page.models.map((m) => m.modelName));
      token = page.nextPageToken;
    }
    assert.deepEqual(names, ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal((await e.app.request('/models?next_page_token=abc')).status, 400);
    assert.equal((await e.app.request('/models?max_results=0')).status, 400);
  });

  it('keeps to the memory budget: unloads the least recently used idle model, loads it again on use, 507 when one cannot fit', async () => {
    // each model: 100 KB of files, charged 712 KB; a budget of 1500 KB holds two
    const e = endpoint(1500);
    const url = await modelDir('lru', 100);
    assert.equal(FOOTPRINT_PER_FILE_BYTE * 100 + FOOTPRINT_BASE_BYTES / KB, 712);
    for (const name of ['a', 'b']) assert.equal((await e.post('/models', { model_name: name, url })).status, 200);
    assert.equal((await e.invoke('a')).status, 200, 'a is now more recently used than b');
    assert.equal((await e.post('/models', { model_name: 'c', url })).status, 200);
    assert.deepEqual(
      e.catalog.list().map((m) => [m.name, m.loaded]),
      [
        ['a', true],
        ['b', false],
        ['c', true],
      ],
      'b was unloaded, and stays registered',
    );
    assert.equal(e.predictors[1]!.disposed, 1);
    assert.equal((await e.invoke('b')).status, 200, 'b loads again when invoked');
    assert.equal(e.loads.length, 4);
    assert.ok(e.catalog.memory.usedBytes <= 1500 * KB);
    const huge = await modelDir('huge', 600);
    const res = await e.post('/models', { model_name: 'huge', url: huge });
    assert.equal(res.status, 507);
    assert.match(await errorOf(res), /needs about 1\.7 MB, more than the 1\.5 MB models may take in this worker/);
  });

  it('507 when the budget is taken by models answering requests (none can be unloaded)', async () => {
    const { slow, inPredict, finish } = slowPredictor();
    const e = endpoint(1000, async () => countingModel(slow, loadConfig({ env: {} })).model);
    const url = await modelDir('busy', 100);
    assert.equal((await e.post('/models', { model_name: 'busy', url })).status, 200);
    const pending = e.invoke('busy');
    await inPredict;
    const res = await e.post('/models', { model_name: 'other', url });
    assert.equal(res.status, 507);
    assert.match(await errorOf(res), /taken by models answering requests/);
    finish();
    assert.equal((await pending).status, 200);
  });

  it('unloading a model a request is using: the request is answered, then the model is disposed', async () => {
    const { slow, inPredict, finish } = slowPredictor();
    const config = loadConfig({ env: {} });
    const e = endpoint(1024, async () => countingModel(slow, config).model);
    const url = await modelDir('inuse');
    assert.equal((await e.post('/models', { model_name: 'm', url })).status, 200);
    const pending = e.invoke('m');
    await inPredict;
    assert.equal((await e.app.request('/models/m', { method: 'DELETE' })).status, 200);
    assert.equal(slow.disposed, 0, 'not disposed while answering');
    assert.equal((await e.invoke('m')).status, 404, 'a new request no longer finds it');
    finish();
    assert.equal((await pending).status, 200);
    assert.equal(slow.disposed, 1, 'disposed once answered');
  });

  it('100 models loaded and evicted in turn under a budget of 5, each answering', async () => {
    // 712 KB each: 5 fit in 3600 KB, 6 do not
    const e = endpoint(3600);
    const url = await modelDir('many', 100);
    for (let i = 0; i < 100; i++) {
      assert.equal((await e.post('/models', { model_name: `model-${i}`, url })).status, 200, `load ${i}`);
      assert.equal((await e.invoke(`model-${i}`)).status, 200, `invoke ${i}`);
      assert.ok(e.catalog.memory.loaded <= 5, `at most 5 loaded after ${i}`);
    }
    assert.equal(e.catalog.list().length, 100, 'all stay registered');
    assert.equal(e.predictors.filter((p) => p.disposed === 1).length, 95, 'the 95 least recently used were unloaded');
    assert.equal((await e.invoke('model-0')).status, 200, 'the first one loads again');
    assert.equal(e.loads.length, 101);
  });

  it('unloading returns the model’s memory (measured after a full GC)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const buffers = (): number => {
      gc();
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const WEIGHTS = 64 * 1024 * 1024;
    const config = loadConfig({ env: {} });
    const e = endpoint(1024 * 1024, async () => {
      const predictor = Object.assign(new DisposablePredictor(), { weights: new Float32Array(WEIGHTS / 4).fill(1) });
      return countingModel(predictor, config).model;
    });
    const url = await modelDir('heavy');
    const before = buffers();
    assert.equal((await e.post('/models', { model_name: 'heavy', url })).status, 200);
    assert.equal((await e.invoke('heavy')).status, 200);
    const loaded = buffers();
    assert.ok(loaded - before >= WEIGHTS * 0.99, `loading took ${((loaded - before) / 1048576).toFixed(1)} MB`);
    assert.equal((await e.app.request('/models/heavy', { method: 'DELETE' })).status, 200);
    await new Promise((resolve) => setImmediate(resolve));
    const after = buffers();
    assert.ok(loaded - after >= WEIGHTS * 0.99, `unloading returned ${((loaded - after) / 1048576).toFixed(1)} of 64 MB`);
  });

  it('concurrent loads of one name: one is loaded, the other gets 409', async () => {
    const e = endpoint();
    const url = await modelDir('race');
    const statuses = (await Promise.all([e.post('/models', { model_name: 'same', url }), e.post('/models', { model_name: 'same', url })])).map((r) => r.status);
    assert.deepEqual(statuses.sort(), [200, 409]);
    assert.equal(e.catalog.list().length, 1);
  });
});
