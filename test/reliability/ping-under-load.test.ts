/**
 * Issue 13 item 2, end to end: /ping answers while every worker processes a heavy request (those
 * run on the workers' inference threads), and a request past its deadline is stopped inside the
 * work, even when the plugin computes synchronously and never looks at its signal.
 * The full-size figures (6 MB bodies, both algorithms) come from `npm run bench:ping`.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir, request, SLOW_PLUGIN, startServer, trainSlowModel, waitFor, type ServerHandle } from '../helpers/e2e.js';
import { trainBaseline } from './lib.js';

const PING_LIMIT_MS = 500;

let tmp: string;
let baselineRoot: string;
let slowRoot: string;

before(async () => {
  tmp = await makeTempDir('byoc-ping-load-');
  [baselineRoot, slowRoot] = await Promise.all([trainBaseline(path.join(tmp, 'baseline')), trainSlowModel(path.join(tmp, 'slow'))]);
});
after(() => removeDir(tmp));

/** /ping latencies (ms) on fresh connections, one after the other, until `work` settles. */
async function pingsDuring(port: number, work: Promise<unknown>): Promise<number[]> {
  let done = false;
  void work.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const started = performance.now();
    const res = await request(port, 'GET', '/ping', { timeoutMs: 10_000 });
    assert.equal(res.status, 200);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

function wideCsv(columns: number, rows: number): string {
  const header = ['review', ...Array.from({ length: columns - 1 }, (_, i) => `c${i}`)].join(',');
  return `${header}\n${`${','.repeat(columns - 1)}\n`.repeat(rows)}`;
}

describe('/ping while both workers answer 2,000-column CSV bodies', () => {
  let server: ServerHandle;
  before(async () => {
    // The inference threads start with the first large requests (the ones below).
    server = await startServer(baselineRoot, { workers: 2, timeoutMs: 30_000 });
  });
  after(async () => {
    if (server) assert.equal((await server.stop()).code, 0);
  });

  it(`every /ping answers within ${PING_LIMIT_MS} ms and both bodies are answered whole`, async () => {
    const body = wideCsv(2_000, 700);
    const send = () => request(server.port, 'POST', '/invocations', { body, headers: { 'Content-Type': 'text/csv' }, timeoutMs: 60_000 });
    const work = Promise.all([send(), send()]);
    const [answers, pings] = await Promise.all([work, pingsDuring(server.port, work)]);
    for (const answer of answers) {
      assert.equal(answer.status, 200, answer.body.slice(0, 300));
      const lines = answer.body.trimEnd().split('\n');
      assert.equal(lines.length, 701);
      assert.equal(lines[0]!.split(',').length, 2_002);
    }
    assert.ok(pings.length > 0);
    assert.ok(Math.max(...pings) < PING_LIMIT_MS, `slowest /ping ${Math.max(...pings).toFixed(0)} ms of ${pings.length}`);
  });
});

describe('a synchronous plugin past MODEL_SERVER_TIMEOUT=1 on the inference thread', () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(slowRoot, { workers: 1, env: { BYOC_PLUGINS: SLOW_PLUGIN, MODEL_SERVER_TIMEOUT: '1', BYOC_INFERENCE_THREAD_MIN_KB: '1' } });
    // Start the thread (the first large request does) so that the timed request below measures the deadline alone.
    const warm = await request(server.port, 'POST', '/invocations', {
      body: `x\n${'1\n'.repeat(1_000)}`,
      headers: { 'Content-Type': 'text/csv' },
      timeoutMs: 20_000,
    });
    assert.equal(warm.status, 200, warm.body);
  });
  after(async () => {
    if (server) assert.equal((await server.stop()).code, 0);
  });

  it('is answered 504 at the deadline, /ping keeps answering, and the restarted thread answers the next request', async () => {
    const body = `x\n${'1\n'.repeat(1_000)}`;
    const started = performance.now();
    const busy = request(server.port, 'POST', '/invocations', {
      body,
      headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'busy_ms=8000' },
      timeoutMs: 20_000,
    });
    const [res, pings] = await Promise.all([busy, pingsDuring(server.port, busy)]);
    const elapsed = performance.now() - started;
    assert.equal(res.status, 504, res.body);
    assert.match(JSON.parse(res.body).error, /timeout of 1 s/);
    assert.ok(elapsed >= 900 && elapsed < 2_500, `answered after ${elapsed.toFixed(0)} ms`);
    assert.ok(Math.max(...pings) < PING_LIMIT_MS, `slowest /ping ${Math.max(...pings).toFixed(0)} ms`);
    await waitFor(() => /past its deadline: stopping the inference thread/.test(server.proc.stdout), 5_000, 20, 'the thread stop in the log');
    // the replacement loads the model before it answers; on a loaded machine that alone can pass the 1 s deadline
    const readyLines = () => server.proc.stdout.match(/"msg":"inference thread ready/g)?.length ?? 0;
    await waitFor(() => readyLines() >= 2, 20_000, 20, 'the restarted thread ready in the log');
    const ok = await request(server.port, 'POST', '/invocations', { body, headers: { 'Content-Type': 'text/csv' }, timeoutMs: 20_000 });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.body.trimEnd().split('\n').length, 1_001);
    assert.ok(!/worker died/.test(server.proc.stdout), 'no worker died');
  });
});
