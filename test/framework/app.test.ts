/** The HTTP API in process (hono's app.request(), no port): routes, status codes, error bodies. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelHost, ModelState } from '../../framework/model/host.js';
import { loadConfig } from '../../framework/runtime/config.js';
import { createApp } from '../../framework/serving/app.js';
import { RecordingLogger } from '../../framework/testing.js';
import { countingModel } from '../helpers/counting-model.js';

function app(state?: ModelState, env: Record<string, string> = {}) {
  const config = loadConfig({ env });
  const { model, pipeline } = countingModel(undefined, config);
  const current: ModelState = state ?? { status: 'ready', loadMs: 1, ...model };
  const host = { state: current, settled: async () => current } as unknown as ModelHost;
  return createApp({ config, logger: new RecordingLogger(), model: host, pipeline, workers: 2 });
}

const csv = { 'Content-Type': 'text/csv' };

describe('HTTP API (in process)', () => {
  it('/ping: 200 when the model is ready, 503 with a reason while loading or after a failed load', async () => {
    assert.equal((await app().request('/ping')).status, 200);
    const loading = await app({ status: 'loading' }).request('/ping');
    assert.equal(loading.status, 503);
    assert.match(((await loading.json()) as { error: string }).error, /model is loading/);
    const failed = await app({ status: 'failed', reason: 'bad' }).request('/ping');
    assert.equal(failed.status, 503);
  });

  it('/invocations answers through the pipeline, with the request id', async () => {
    const res = await app().request('/invocations', { method: 'POST', headers: { ...csv, 'X-Request-Id': 'abc' }, body: 'id,n\na,\n' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv');
    assert.equal(res.headers.get('x-request-id'), 'abc');
    assert.equal(await res.text(), 'id,n,n_imputed,n_imputed_proba\na,,0,0.1235\n');
  });

  it('bad requests get a JSON error naming the problem and the request id', async () => {
    const res = await app().request('/invocations', {
      method: 'POST',
      headers: { ...csv, 'X-Amzn-SageMaker-Custom-Attributes': 'sclae=2', 'X-Amzn-SageMaker-Inference-Id': 'inf-1' },
      body: 'id,n\na,\n',
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: 'unknown custom attribute "sclae" = "2"; did you mean "scale"? (known custom attributes: scale, verbose, output)',
      requestId: 'inf-1',
    });
    const unsupported = await app().request('/invocations', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    assert.equal(unsupported.status, 415);
  });

  it('a body over the limit is a 413 (read through the WHATWG request when no Node bindings exist)', async () => {
    const body = `id,n\n${'a,\n'.repeat(600_000)}`;
    const res = await app(undefined, { BYOC_MAX_PAYLOAD_MB: '1' }).request('/invocations', { method: 'POST', headers: csv, body });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /larger than the limit of 1 MB/);
  });

  it('405 with Allow for a wrong method, 404 {} for an unknown path', async () => {
    const wrong = await app().request('/invocations', { method: 'GET' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    const missing = await app().request('/nope');
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '{}');
  });

  it('/execution-parameters reports the worker count for auto', async () => {
    const res = await app().request('/execution-parameters');
    assert.deepEqual(await res.json(), { MaxConcurrentTransforms: 2, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 6 });
  });
});
