/**
 * End-to-end: a multi-model endpoint over real HTTP with 2 workers (SAGEMAKER_MULTI_MODEL=true,
 * datawig models): a model loaded through one worker is listed by and answers on both (each
 * worker loads it on first use), concurrent loads of one name, unloading for every worker, and
 * the single-model routes' errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  freePort,
  jsonLines,
  killAll,
  makeTempDir,
  removeDir,
  request,
  runByoc,
  startByoc,
  waitFor,
  type ByocProcess,
  type HttpResult,
} from '../helpers/e2e.js';

const COLOURS = ['red', 'blue', 'green'];

function table(rows: number): string {
  const lines = ['title,colour,size'];
  for (let i = 0; i < rows; i++) lines.push(`a ${COLOURS[i % 3]} shirt number ${i},${i % 10 === 0 ? '' : COLOURS[i % 3]},${10 + (i % 3) * 5}`);
  return `${lines.join('\n')}\n`;
}

const QUERY = 'title,colour,size\na red shirt,,10\na green shirt,,20\n';

let tmp: string;
let port: number;
let server: ByocProcess;
const modelUrl = (name: string): string => path.join(tmp, 'models', name, 'model');

/** The pid (base 36) of the worker that answered: the prefix of the request id it made up. */
const workerOf = (res: HttpResult): string => String(res.headers['x-request-id']).split('-')[0]!;

/** Sends `send` on fresh connections until both workers have answered it (cluster spreads connections). */
async function fromBothWorkers(send: () => Promise<HttpResult>): Promise<HttpResult[]> {
  const answers: HttpResult[] = [];
  for (let i = 0; i < 40 && new Set(answers.map(workerOf)).size < 2; i++) answers.push(await send());
  assert.equal(new Set(answers.map(workerOf)).size, 2, 'both workers answered');
  return answers;
}

const json = { 'Content-Type': 'application/json' };
const load = (name: string, url = modelUrl(name)) => request(port, 'POST', '/models', { headers: json, body: JSON.stringify({ model_name: name, url }) });
const invoke = (name: string) => request(port, 'POST', `/models/${name}/invoke`, { headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' }, body: QUERY });

before(async () => {
  tmp = await makeTempDir('byoc-e2e-mme-');
  const data = path.join(tmp, 'train.csv');
  await writeFile(data, table(240));
  const trained = await runByoc(['train', '--data', data, '--hp', 'label_column=colour', '--hp', 'num_epochs=3', '--model-dir', modelUrl('a')], {}, 120_000);
  assert.equal(trained.code, 0, trained.stderr);
  for (const name of ['b', 'c']) await cp(modelUrl('a'), modelUrl(name), { recursive: true });
  const baseline = await runByoc(['train', '--data', data, '--hp', 'algorithm=baseline', '--hp', 'label_column=colour', '--model-dir', modelUrl('mode')]);
  assert.equal(baseline.code, 0, baseline.stderr);
  port = await freePort();
  server = startByoc(['serve', '--port', String(port), '--workers', '2'], { SAGEMAKER_MULTI_MODEL: 'true', ML_ROOT: path.join(tmp, 'no-ml-root') });
  await waitFor(() => jsonLines(server.stdout).some((l) => String(l.msg).startsWith('server ready')), 30_000, 50, 'both workers listening');
});
after(async () => {
  server?.kill('SIGTERM');
  await server?.exit(30_000).catch(() => undefined);
  killAll();
  await removeDir(tmp);
});

describe('multi-model endpoint over HTTP, 2 workers', () => {
  it('/ping is 200 with no model; /invocations points to /models/{name}/invoke', async () => {
    assert.equal((await request(port, 'GET', '/ping')).status, 200);
    const inv = await request(port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body: QUERY });
    assert.equal(inv.status, 404);
    assert.match(inv.body, /multi-model endpoint/);
    const started = jsonLines(server.stdout).find((l) => l.msg === 'starting server');
    assert.equal(started?.multiModel, true);
  });

  it('a model loaded through one worker is listed by both and answers on both, the same', async () => {
    const loaded = await load('a');
    assert.equal(loaded.status, 200, loaded.body);
    for (const res of await fromBothWorkers(() => request(port, 'GET', '/models'))) {
      assert.deepEqual(JSON.parse(res.body), { models: [{ modelName: 'a', modelUrl: modelUrl('a') }] });
    }
    const answers = await fromBothWorkers(() => invoke('a'));
    for (const res of answers) assert.equal(res.status, 200, res.body);
    assert.equal(new Set(answers.map((r) => r.body)).size, 1, 'every worker answers alike');
    assert.deepEqual(answers[0]!.body.split('\n')[0], 'title,colour,size,colour_imputed,colour_imputed_proba');
    assert.equal((await load('a')).status, 409);
  });

  it('concurrent loads of one name: exactly one 200, the rest 409, and both workers list it once', async () => {
    const statuses = (await Promise.all([1, 2, 3, 4].map(() => load('b')))).map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409]);
    for (const res of await fromBothWorkers(() => request(port, 'GET', '/models/b')))
      assert.deepEqual(JSON.parse(res.body), { modelName: 'b', modelUrl: modelUrl('b') });
  });

  it('unloading through one worker unloads it for both: 404 everywhere after', async () => {
    assert.equal((await load('c')).status, 200);
    await fromBothWorkers(() => invoke('c'));
    const deleted = await request(port, 'DELETE', '/models/c');
    assert.equal(deleted.status, 200, deleted.body);
    for (const res of await fromBothWorkers(() => invoke('c'))) {
      assert.equal(res.status, 404);
      assert.match(res.body, /model \\"c\\" is not loaded/);
    }
    assert.equal((await request(port, 'DELETE', '/models/c')).status, 404);
    const names = (JSON.parse((await request(port, 'GET', '/models')).body) as { models: { modelName: string }[] }).models.map((m) => m.modelName);
    assert.deepEqual(names.sort(), ['a', 'b']);
  });

  it('one endpoint mixes algorithms: each model is served by the algorithm its manifest names', async () => {
    assert.equal((await load('mode')).status, 200);
    const byMode = await invoke('mode');
    const byDatawig = await invoke('a');
    assert.equal(byMode.status, 200, byMode.body);
    // the baseline fills the most frequent colour for every row; datawig reads the title
    const colours = (body: string) =>
      body
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[3]);
    assert.equal(new Set(colours(byMode.body)).size, 1);
    assert.deepEqual(colours(byDatawig.body), ['red', 'green']);
  });

  it('a folder without a model is refused with 400 and is not listed', async () => {
    const res = await load('empty', tmp);
    assert.equal(res.status, 400);
    assert.match(res.body, /could not be loaded/);
    assert.equal((await request(port, 'GET', '/models/empty')).status, 404);
  });
});
