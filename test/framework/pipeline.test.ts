/** The invocation pipeline in process: negotiate → decode → attributes → predict → present → encode. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../framework/contract/errors.js';
import { RequestCancellation } from '../../framework/invocation/cancellation.js';
import type { InvocationRequest } from '../../framework/invocation/pipeline.js';
import { loadConfig } from '../../framework/runtime/config.js';
import { CountingPredictor, countingModel as setup } from '../helpers/counting-model.js';

function request(body: string, headers: Partial<InvocationRequest> = {}, timeoutMs = 60_000): InvocationRequest & { reads: number } {
  const req = {
    contentType: 'text/csv',
    accept: undefined,
    customAttributes: undefined,
    requestId: 'r1',
    cancellation: new RequestCancellation(timeoutMs, 'too slow'),
    reads: 0,
    readBody: async () => {
      req.reads += 1;
      return new TextEncoder().encode(body);
    },
    ...headers,
  };
  return req;
}

describe('InvocationPipeline.invoke', () => {
  it('CSV in, CSV out through the columns presenter (the default)', async () => {
    const { model, pipeline } = setup();
    const result = await pipeline.invoke(model, request('id,n\na,\nb,7\n'));
    assert.equal(result.mediaType, 'text/csv');
    assert.equal(result.body, 'id,n,n_imputed,n_imputed_proba\na,,0,0.1235\nb,7,,\n');
  });

  it('header-less CSV is mapped by the model schema, JSON answers mirror the envelope', async () => {
    const { model, pipeline } = setup();
    const csv = await pipeline.invoke(model, request('a,\n', { contentType: 'text/csv; header=absent' }));
    assert.equal(csv.body, '0,0.1235\n'.replace(/^/, 'a,,'));
    const json = await pipeline.invoke(model, request('{"instances":[{"id":"a","n":null}]}', { contentType: 'application/json' }));
    assert.deepEqual(JSON.parse(json.body), { instances: [{ id: 'a', n: null, n_imputed: 0, n_imputed_proba: 0.1235 }] });
  });

  it('custom attributes arrive typed and validated; defaults apply', async () => {
    const { model, pipeline, predictor } = setup();
    await pipeline.invoke(model, request('id,n\na,\nb,\n', { customAttributes: 'scale=3' }));
    await pipeline.invoke(model, request('id,n\na,\n'));
    assert.deepEqual({ ...predictor.seen[0]!.attributes }, { scale: 3, verbose: false });
    assert.equal(predictor.seen[1]!.attributes.scale, 1);
    assert.ok(Object.isFrozen(predictor.seen[0]!.attributes), 'attributes are shared between requests: frozen');
    assert.equal(predictor.seen[0]!.rawCustomAttributes, 'scale=3');
  });

  it('an unknown or invalid attribute is a 400 before the body is read', async () => {
    const { model, pipeline } = setup();
    const typo = request('id,n\na,\n', { customAttributes: 'scael=2' });
    await assert.rejects(pipeline.invoke(model, typo), (e: unknown) => {
      assert.ok(e instanceof RequestError && e.status === 400);
      assert.match(e.message, /unknown custom attribute "scael" = "2"; did you mean "scale"\?/);
      return true;
    });
    assert.equal(typo.reads, 0);
    const bad = request('id,n\na,\n', { customAttributes: 'scale=11' });
    await assert.rejects(pipeline.invoke(model, bad), /custom attribute "scale" = "11": expected an integer between 1 and 10/);
  });

  it('output=fill writes the input columns with the gaps filled', async () => {
    const { model, pipeline } = setup();
    const result = await pipeline.invoke(model, request('id,n\na,\nb,7\n', { customAttributes: 'output=fill' }));
    assert.equal(result.body, 'id,n\na,0\nb,7\n');
  });

  it("a model's own presenter: chosen by name, its detail reaches predict, refused for a table", async () => {
    const { model, pipeline, predictor } = setup();
    const json = await pipeline.invoke(
      model,
      request('{"instances":[{"id":"a","n":""}]}', { contentType: 'application/json', customAttributes: 'output=ranked' }),
    );
    assert.deepEqual(JSON.parse(json.body), { instances: [{ ranked: [{ column: 'n', candidates: [{ value: 0, probability: 0.5 }] }] }] });
    assert.deepEqual(predictor.seen.at(-1)!.detail, { candidates: true, explanations: false });
    await assert.rejects(pipeline.invoke(model, request('id,n\na,\n', { customAttributes: 'output=ranked' })), (e: unknown) => {
      assert.ok(e instanceof RequestError && e.status === 406);
      assert.match(e.message, /output "ranked" cannot be written as text\/csv; for text\/csv choose one of: columns .*fill/);
      return true;
    });
    await assert.rejects(pipeline.invoke(model, request('id,n\na,\n', { customAttributes: 'output=nope' })), /"output" = "nope" names no output/);
  });

  it('negotiation failures keep their status and the body stays unread', async () => {
    const { model, pipeline } = setup();
    const unsupported = request('x', { contentType: 'application/xml' });
    await assert.rejects(pipeline.invoke(model, unsupported), (e: unknown) => e instanceof RequestError && e.status === 415);
    await assert.rejects(pipeline.invoke(model, request('id\na\n', { accept: 'image/png' })), (e: unknown) => e instanceof RequestError && e.status === 406);
    assert.equal(unsupported.reads, 0);
  });

  it('the row limit is the configured one', async () => {
    const { model, pipeline } = setup(undefined, loadConfig({ env: { BYOC_MAX_ROWS: '2' } }));
    await assert.rejects(pipeline.invoke(model, request('id,n\na,\nb,\nc,\n')), (e: unknown) => e instanceof RequestError && e.status === 413);
  });

  it('a predictor that returns the wrong number of predictions is a defect, not a short answer', async () => {
    const predictor = new CountingPredictor();
    predictor.rowsOverride = 1;
    const { model, pipeline } = setup(predictor);
    await assert.rejects(pipeline.invoke(model, request('id,n\na,\nb,\n')), /algorithm "counting" returned 1 predictions for 2 input records/);
  });

  it('work that outlives the deadline answers 504, also from a synchronous predictor', async () => {
    const predictor = new CountingPredictor();
    const slow = predictor.predict.bind(predictor);
    predictor.predict = (batch, options) => {
      const until = performance.now() + 30;
      while (performance.now() < until); // a synchronous model: no timer can fire meanwhile
      return slow(batch, options);
    };
    const { model, pipeline } = setup(predictor);
    const req = request('id,n\na,\n', {}, 10);
    await assert.rejects(pipeline.invoke(model, req), (e: unknown) => e instanceof RequestError && e.status === 504 && e.message === 'too slow');
    req.cancellation.dispose();
  });
});

describe('InvocationPipeline.prepare (file hosts)', () => {
  it('one preparation serves every chunk; a zero-row chunk still yields the header', async () => {
    const { model, pipeline } = setup();
    const prepared = pipeline.prepare(model, { contentType: 'text/csv', accept: 'text/csv', customAttributes: undefined });
    const cancellation = new RequestCancellation(undefined, '');
    const empty = await prepared.run({ columns: ['id', 'n'], records: [] }, { requestId: 'h', cancellation });
    assert.equal(prepared.encode(empty, 'csv-header'), 'id,n,n_imputed,n_imputed_proba\n');
    const rows = await prepared.run({ columns: ['id', 'n'], records: [{ id: 'a', n: '' }] }, { requestId: 'c1', cancellation });
    assert.equal(prepared.encode(rows, 'csv-headerless'), 'a,,0,0.1235\n');
  });
});
