/**
 * The HTTP thread's side of the inference thread, against small scripted threads: answers, refusals,
 * a thread that dies, one that never stops (the deadline terminates and restarts it), and which
 * requests it takes.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { RequestError } from '../../framework/contract/errors.js';
import { RequestCancellation } from '../../framework/invocation/cancellation.js';
import { InferenceThread } from '../../framework/serving/inference-thread.js';
import { RecordingLogger } from '../../framework/testing.js';

const HEADERS = { contentType: 'text/csv', accept: 'text/csv', customAttributes: undefined };

/**
 * A thread that answers every request by `behaviour` (evaluated inside it with `m`, the message):
 * return a string to answer with it, or throw / loop / exit.
 */
function scripted(behaviour: string, options: { failLoad?: boolean } = {}): string {
  return `
    const { parentPort } = require('node:worker_threads');
    if (${options.failLoad ? 'true' : 'false'}) { parentPort.postMessage({ type: 'failed', reason: 'no model here' }); }
    else {
      parentPort.on('message', (m) => {
        const answer = (() => { ${behaviour} })();
        if (answer && answer.refuse) parentPort.postMessage({ type: 'refused', id: m.id, status: answer.refuse, message: answer.message });
        else parentPort.postMessage({ type: 'answer', id: m.id, body: Buffer.from(answer), mediaType: 'text/csv' });
      });
      parentPort.postMessage({ type: 'ready', loadMs: 1 });
    }`;
}

function thread(
  code: string,
  options: { minBytes?: number; lazy?: boolean; idleStopMs?: number } = {},
): { thread: InferenceThread; spawned: () => number; logger: RecordingLogger } {
  let spawned = 0;
  const logger = new RecordingLogger();
  const t = new InferenceThread({
    spawn: () => {
      spawned++;
      return new Worker(code, { eval: true });
    },
    logger,
    minBytes: options.minBytes ?? 1024,
    stopGraceMs: 20,
    idleStopMs: options.idleStopMs,
  });
  if (!options.lazy) t.start();
  return { thread: t, spawned: () => spawned, logger };
}

const body = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const noDeadline = (): RequestCancellation => new RequestCancellation(undefined, '');

describe('InferenceThread', () => {
  it('hands the body over and returns the thread’s answer, one request after the other', async () => {
    const { thread: t } = thread(scripted(`return 'seen ' + Buffer.from(m.body).toString() + ' ' + m.requestId;`));
    try {
      const answers = await Promise.all(['a', 'b', 'c'].map((s) => t.invoke(HEADERS, `r-${s}`, body(s), noDeadline())));
      assert.deepEqual(
        answers.map((a) => Buffer.from(a.body).toString()),
        ['seen a r-a', 'seen b r-b', 'seen c r-c'],
      );
      assert.equal(answers[0]!.mediaType, 'text/csv');
    } finally {
      await t.close();
    }
  });

  it('passes a refusal on as a RequestError with its status', async () => {
    const { thread: t } = thread(scripted(`return { refuse: 415, message: 'unsupported content type' };`));
    try {
      await assert.rejects(t.invoke(HEADERS, 'r', body('x'), noDeadline()), (error: unknown) => error instanceof RequestError && error.status === 415);
    } finally {
      await t.close();
    }
  });

  it('a thread that dies fails its request (not a hang), is started again and answers the next one', async () => {
    const { thread: t, spawned } = thread(scripted(`if (Buffer.from(m.body).toString() === 'die') process.exit(3); return 'ok';`));
    try {
      await assert.rejects(t.invoke(HEADERS, 'r1', body('die'), noDeadline()), /inference thread stopped \(exit code 3\)/);
      const next = await t.invoke(HEADERS, 'r2', body('fine'), noDeadline());
      assert.equal(Buffer.from(next.body).toString(), 'ok');
      assert.equal(spawned(), 2);
    } finally {
      await t.close();
    }
  });

  it('after three deaths in a minute it is given up: requests stay on the HTTP thread', async () => {
    const { thread: t, logger } = thread(scripted(`process.exit(1);`));
    try {
      for (let i = 0; i < 3; i++) await assert.rejects(t.invoke(HEADERS, `r${i}`, body('x'.repeat(2048)), noDeadline()));
      assert.equal(t.takes(10 * 1024 * 1024), false);
      assert.ok(logger.entries.some((l) => l.level === 'error' && /inference thread unavailable/.test(l.message)));
    } finally {
      await t.close();
    }
  });

  it('a thread that cannot load the model is given up', async () => {
    const { thread: t, logger } = thread(scripted('', { failLoad: true }));
    try {
      await assert.rejects(t.invoke(HEADERS, 'r', body('x'), noDeadline()), (error: unknown) => error instanceof RequestError && error.status === 503);
      assert.equal(t.takes(10 * 1024 * 1024), false);
      assert.ok(logger.entries.some((l) => /could not load the model: no model here/.test(String(l.fields?.['reason']))));
    } finally {
      await t.close();
    }
  });

  it('past the deadline, a thread stuck in synchronous work is terminated and started again', async () => {
    const { thread: t, spawned, logger } = thread(scripted(`if (Buffer.from(m.body).toString() === 'spin') { for (;;); } return 'ok';`));
    try {
      const cancellation = new RequestCancellation(150, 'too slow');
      const started = performance.now();
      await assert.rejects(
        cancellation.race(t.invoke(HEADERS, 'stuck', body('spin'), cancellation)),
        (error: unknown) => error instanceof RequestError && error.status === 504,
      );
      assert.ok(performance.now() - started < 1000);
      cancellation.dispose();
      // Queued behind the stuck one: answered by the new thread.
      const next = await t.invoke(HEADERS, 'after', body('fine'), noDeadline());
      assert.equal(Buffer.from(next.body).toString(), 'ok');
      assert.equal(spawned(), 2);
      assert.ok(logger.entries.some((l) => /past its deadline: stopping the inference thread/.test(l.message) && l.fields?.['requestId'] === 'stuck'));
    } finally {
      await t.close();
    }
  });

  it('a request still waiting in the queue at its deadline is dropped from it', async () => {
    const { thread: t } = thread(scripted(`const until = Date.now() + 300; while (Date.now() < until); return 'slow';`));
    try {
      const first = t.invoke(HEADERS, 'first', body('a'), noDeadline());
      const cancellation = new RequestCancellation(50, 'too slow');
      await assert.rejects(cancellation.race(t.invoke(HEADERS, 'second', body('b'), cancellation)), /too slow/);
      cancellation.dispose();
      assert.equal(Buffer.from((await first).body).toString(), 'slow');
    } finally {
      await t.close();
    }
  });

  it('takes large bodies, and small ones once this model’s requests are slow', async () => {
    const { thread: t } = thread(scripted(`return 'ok';`), { minBytes: 256 * 1024 });
    try {
      assert.equal(t.takes(256 * 1024), true);
      assert.equal(t.takes(10 * 1024), false);
      // Fast small requests keep the estimate low...
      for (let i = 0; i < 20; i++) t.observe(10 * 1024, 0.2);
      assert.equal(t.takes(10 * 1024), false);
      // ...a model that takes ~100 ms for 10 KB sends its next 10 KB requests to the thread.
      for (let i = 0; i < 40; i++) t.observe(10 * 1024, 100);
      assert.equal(t.takes(10 * 1024), true);
    } finally {
      await t.close();
    }
  });

  it('starts with the first large request and stops after a quiet spell; the next large request starts it again', async () => {
    const { thread: t, spawned, logger } = thread(scripted(`return 'ok';`), { lazy: true, idleStopMs: 50 });
    try {
      assert.equal(t.takes(100), false);
      assert.equal(spawned(), 0, 'small requests start no thread');
      assert.equal(t.takes(4096), true);
      assert.equal(spawned(), 1);
      assert.equal(Buffer.from((await t.invoke(HEADERS, 'r1', body('x'.repeat(4096)), noDeadline())).body).toString(), 'ok');
      const stopped = () => logger.entries.some((l) => /stopped after a quiet spell/.test(l.message));
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (!stopped()) return;
          clearInterval(poll);
          resolve();
        }, 10);
      });
      assert.equal(t.takes(4096), true);
      assert.equal(Buffer.from((await t.invoke(HEADERS, 'r2', body('x'.repeat(4096)), noDeadline())).body).toString(), 'ok');
      assert.equal(spawned(), 2);
    } finally {
      await t.close();
    }
  });

  it('close() fails what is still queued with 503', async () => {
    const { thread: t } = thread(scripted(`const until = Date.now() + 200; while (Date.now() < until); return 'slow';`));
    const first = t.invoke(HEADERS, 'first', body('a'), noDeadline());
    const queued = t.invoke(HEADERS, 'queued', body('b'), noDeadline());
    const shuttingDown = (error: unknown) => error instanceof RequestError && error.status === 503;
    const outcomes = Promise.all([assert.rejects(queued, shuttingDown), assert.rejects(first, shuttingDown)]);
    await t.close();
    await outcomes;
  });
});
