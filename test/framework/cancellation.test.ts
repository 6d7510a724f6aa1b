import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { RequestError } from '../../framework/contract/errors.js';
import { RequestCancellation } from '../../framework/invocation/cancellation.js';

/** A stand-in for the ServerResponse: only 'close' and writableFinished are used. */
function fakeResponse(): EventEmitter & { writableFinished: boolean } {
  return Object.assign(new EventEmitter(), { writableFinished: false });
}
const asResponse = (r: EventEmitter): ServerResponse => r as unknown as ServerResponse;

describe('RequestCancellation', () => {
  it("race() gives the work's own outcome before the deadline; a failure after the deadline is not left unhandled", async () => {
    const c = new RequestCancellation(60_000, 'x', asResponse(fakeResponse()));
    assert.equal(await c.race(Promise.resolve(42)), 42);
    await assert.rejects(c.race(Promise.reject(new Error('plugin failed'))), /plugin failed/);
    c.throwIfOverdue(); // not overdue: no throw
    c.dispose();
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const late = new RequestCancellation(10, 'too slow', asResponse(fakeResponse()));
      let fail!: (e: Error) => void;
      const raced = late.race(new Promise((_, reject) => (fail = reject)));
      mock.timers.tick(10);
      await assert.rejects(raced, /too slow/);
      fail(new Error('the plugin gave up later')); // handled by race(): no unhandled rejection
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      mock.timers.reset();
    }
  });

  it('builds no AbortSignal and watches no connection until a plugin reads the signal', () => {
    const response = fakeResponse();
    const c = new RequestCancellation(1000, 'too slow', asResponse(response));
    assert.equal(response.listenerCount('close'), 0);
    const signal = c.signal;
    assert.equal(c.signal, signal, 'one signal per request');
    assert.equal(response.listenerCount('close'), 1);
    c.dispose();
  });

  it('when the deadline passes: expired rejects with a 504, listeners run, the signal aborts', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const c = new RequestCancellation(1000, 'request took longer than the timeout of 1 s', asResponse(fakeResponse()));
      const early = c.signal;
      let heard = 0;
      const listener = (): void => void heard++;
      c.addEventListener('abort', listener);
      const removed = (): void => assert.fail('a removed listener must not run');
      c.addEventListener('abort', removed);
      c.removeEventListener('abort', removed);
      assert.equal(c.aborted, false);
      const pending = c.race(new Promise(() => undefined));
      mock.timers.tick(999);
      assert.equal(c.aborted, false);
      mock.timers.tick(1);
      assert.equal(c.aborted, true);
      assert.equal(heard, 1);
      assert.equal(early.aborted, true);
      assert.ok(early.reason instanceof RequestError && early.reason.status === 504);
      const is504 = (e: unknown): boolean => e instanceof RequestError && e.status === 504 && /timeout of 1 s/.test(e.message);
      // Work still running at the deadline, and work started after it: both answered with the 504.
      await assert.rejects(pending, is504);
      await assert.rejects(c.race(new Promise(() => undefined)), is504);
      assert.throws(() => c.throwIfOverdue(), is504);
      // A signal first read after the deadline is born aborted.
      const late = new RequestCancellation(10, 'late', asResponse(fakeResponse()));
      mock.timers.tick(10);
      assert.equal(late.signal.aborted, true);
    } finally {
      mock.timers.reset();
    }
  });

  it('a client that closes the connection before the answer aborts the signal; a finished response does not', () => {
    const gone = fakeResponse();
    const c = new RequestCancellation(60_000, 'x', asResponse(gone));
    const signal = c.signal;
    gone.emit('close');
    assert.equal(signal.aborted, true);
    assert.match(String((signal.reason as Error).message), /client closed the connection/);
    c.dispose();

    const answered = fakeResponse();
    const d = new RequestCancellation(60_000, 'x', asResponse(answered));
    const ok = d.signal;
    answered.writableFinished = true;
    answered.emit('close');
    assert.equal(ok.aborted, false);
    d.dispose();
  });

  it('dispose() stops the clock: nothing fires afterwards', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const c = new RequestCancellation(100, 'x', asResponse(fakeResponse()));
      c.addEventListener('abort', () => assert.fail('disposed'));
      c.dispose();
      mock.timers.tick(1000);
      assert.equal(c.aborted, false);
    } finally {
      mock.timers.reset();
    }
  });
});
