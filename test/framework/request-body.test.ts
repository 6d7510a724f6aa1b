import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { RequestError } from '../../framework/contract/errors.js';
import { formatLimit, readRequestBody } from '../../framework/serving/request-body.js';

/** A stand-in for IncomingMessage: a stream with headers. */
function fakeIncoming(headers: Record<string, string> = {}): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}
const asIncoming = (s: PassThrough): IncomingMessage => s as unknown as IncomingMessage;
const never = new AbortController().signal;

function status(code: number, pattern?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof RequestError, `expected RequestError, got ${String(error)}`);
    assert.equal(error.status, code);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

describe('readRequestBody', () => {
  it('resolves the whole body under the limit', async () => {
    const s = fakeIncoming();
    const body = readRequestBody(asIncoming(s), 100, never);
    s.write('hello ');
    s.end('world');
    assert.equal(Buffer.from(await body).toString(), 'hello world');
  });

  it('a body exactly at the limit is accepted', async () => {
    const s = fakeIncoming({ 'content-length': '10' });
    const body = readRequestBody(asIncoming(s), 10, never);
    s.end(Buffer.alloc(10, 1));
    assert.equal((await body).length, 10);
  });

  it('a declared Content-Length over the limit is refused (413) before any byte is read', async () => {
    const s = fakeIncoming({ 'content-length': String(7 * 1024 * 1024) });
    s.write(Buffer.alloc(1024));
    const before = s.readableLength;
    await assert.rejects(readRequestBody(asIncoming(s), 6 * 1024 * 1024, never), status(413, /\(7 MB\) is larger than the limit of 6 MB/));
    assert.equal(s.listenerCount('data'), 0, 'no reader attached');
    assert.equal(s.readableLength, before, 'nothing consumed');
  });

  it('a chunked body is cut off as soon as it passes the limit; the rest stays unread', async () => {
    const s = fakeIncoming();
    const body = readRequestBody(asIncoming(s), 1000, never);
    let settled = false;
    body.catch(() => undefined).finally(() => (settled = true));
    s.write(Buffer.alloc(400));
    s.write(Buffer.alloc(400));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'still reading at 800 bytes');
    s.write(Buffer.alloc(400));
    await assert.rejects(body, status(413, /larger than the limit of 1000 bytes/));
    s.write(Buffer.alloc(5000));
    await new Promise((r) => setImmediate(r));
    assert.equal(s.listenerCount('data'), 0, 'reader detached');
    assert.equal(s.readableFlowing, false, 'stream paused');
    assert.ok(s.readableLength >= 5000, 'later bytes were not consumed');
  });

  it('the abort signal (timeout) rejects with 504', async () => {
    const s = fakeIncoming();
    const abort = new AbortController();
    const body = readRequestBody(asIncoming(s), 1000, abort.signal);
    s.write('partial');
    abort.abort();
    await assert.rejects(body, status(504));
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(readRequestBody(asIncoming(fakeIncoming()), 1000, aborted.signal), status(504));
  });

  it('a client that goes away is a 400', async () => {
    const s = fakeIncoming();
    const body = readRequestBody(asIncoming(s), 1000, never);
    s.emit('aborted');
    await assert.rejects(body, status(400, /closed the connection/));
    const e = fakeIncoming();
    const body2 = readRequestBody(asIncoming(e), 1000, never);
    e.destroy(new Error('socket hang up'));
    await assert.rejects(body2, status(400, /socket hang up/));
  });

  it('formatLimit', () => {
    assert.equal(formatLimit(6 * 1024 * 1024), '6 MB');
    assert.equal(formatLimit(1.5 * 1024 * 1024), '1.5 MB');
    assert.equal(formatLimit(1000), '1000 bytes');
  });
});
