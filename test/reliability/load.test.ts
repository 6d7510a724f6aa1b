/**
 * A short load check (part of `npm test`): a few thousand mixed valid/invalid requests against
 * `byoc serve` with 2 workers, bounded concurrency over keep-alive connections. Every valid request
 * gets 200 (never a 5xx), every invalid one its 4xx, and both workers are the same processes after.
 * The long version is `npm run bench:soak`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { killAll, makeTempDir, removeDir, type ServerHandle } from '../helpers/e2e.js';
import { childPids, percentile, probes, rssMb, runLoad, startReadyServer, statusSummary, trainBaseline } from './lib.js';

const MAX_ROWS = 1_000;
let tmp: string;
let server: ServerHandle;

before(async () => {
  tmp = await makeTempDir('byoc-rel-load-');
  const root = await trainBaseline(path.join(tmp, 'ml'));
  server = await startReadyServer(root, { workers: 2, env: { BYOC_MAX_ROWS: String(MAX_ROWS), BYOC_LOG_LEVEL: 'warn' } });
});

after(async () => {
  try {
    if (server) assert.equal((await server.stop()).code, 0);
  } finally {
    killAll();
    await removeDir(tmp);
  }
});

describe('load: mixed valid and invalid requests, 2 workers', () => {
  it('3,000 requests at concurrency 16: valid → 200, invalid → their 4xx, no 5xx, workers unchanged', async (t) => {
    const primary = server.proc.child.pid!;
    const workers = await childPids(primary);
    assert.equal(workers.length, 2);
    const rssBefore = await Promise.all(workers.map(rssMb));
    const catalogue = probes({ maxRows: MAX_ROWS });
    const result = await runLoad(server.port, catalogue, { count: 3_000, concurrency: 16, requestTimeoutMs: 15_000, maxDurationMs: 60_000 });
    const rssAfter = await Promise.all(workers.map(rssMb));
    t.diagnostic(
      `${result.total} requests in ${Math.round(result.durationMs)} ms (${Math.round(result.total / (result.durationMs / 1000))}/s); ` +
        `${statusSummary(result.byStatus)}; p50 ${percentile(result.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(result.latenciesMs, 99).toFixed(1)} ms; ` +
        `worker RSS MB ${rssBefore.join('/')} → ${rssAfter.join('/')}; answers per worker ${[...result.byWorker].map(([p, n]) => `${p}: ${n}`).join(', ')}`,
    );
    assert.equal(result.total, 3_000);
    assert.equal(result.fiveXxForValid, 0, JSON.stringify(result.wrong));
    assert.equal(result.validOk, result.validTotal, JSON.stringify(result.wrong));
    assert.equal(result.invalid4xx, result.invalidTotal, JSON.stringify(result.wrong));
    assert.equal(result.wrongCount, 0, JSON.stringify(result.wrong));
    assert.ok(!result.byStatus.has('network-error'));
    assert.deepEqual(await childPids(primary), workers, 'no worker died or was replaced');
  });
});
