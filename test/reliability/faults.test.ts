/**
 * Faults over real HTTP: a worker SIGKILLed under load is replaced while the endpoint keeps
 * answering; SIGTERM under load lets in-flight requests finish; a missing/corrupt model or a manifest
 * naming an unregistered algorithm gives 503 on /ping with a clear log line and no crash loop.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SLOW_PLUGIN, jsonLines, killAll, makeTempDir, removeDir, request, startServer, trainSlowModel, waitFor, type ServerHandle } from '../helpers/e2e.js';
import { childPids, probes, runLoad, startReadyServer, statusSummary, trainBaseline } from './lib.js';

let tmp: string;
let baselineRoot: string;
let slowRoot: string;

before(async () => {
  tmp = await makeTempDir('byoc-rel-faults-');
  [baselineRoot, slowRoot] = await Promise.all([trainBaseline(path.join(tmp, 'baseline')), trainSlowModel(path.join(tmp, 'slow'))]);
});

after(async () => {
  killAll();
  await removeDir(tmp);
});

describe('faults', () => {
  it('a worker killed with SIGKILL under load is replaced; only requests in flight on it may fail', async (t) => {
    const concurrency = 8;
    let stop = false;
    const server = await startReadyServer(baselineRoot, { workers: 2 });
    try {
      const primary = server.proc.child.pid!;
      const original = await childPids(primary);
      assert.equal(original.length, 2);
      const victim = original[0]!;
      let killedAt = -1;
      let sentAfterReplacement = 0;
      let okAfterReplacement = 0;
      // When the replacement was seen serving; requests sent before it may still have been handed
      // to the killed worker (a connection accepted just before the kill hangs until its timeout).
      let replacedAt = Infinity;
      const load = runLoad(
        server.port,
        probes({ maxRows: 100_000 }).filter((p) => p.valid),
        {
          concurrency,
          until: () => stop,
          requestTimeoutMs: 10_000,
          maxDurationMs: 40_000,
          onResult: (status, sentAt) => {
            if (sentAt >= replacedAt) {
              sentAfterReplacement += 1;
              if (status === 200) okAfterReplacement += 1;
            }
          },
        },
      );
      // Kill once the load is flowing on both workers.
      await waitFor(() => server.proc.stdout.length > 200 * 150, 10_000, 10, 'load to start');
      killedAt = performance.now();
      process.kill(victim, 'SIGKILL');
      const replacement = await waitFor(
        async () => {
          const now = await childPids(primary);
          return now.length === 2 && !now.includes(victim) ? now : undefined;
        },
        10_000,
        25,
        'a replacement worker',
      );
      // The replacement must be serving: wait for its access-log lines.
      const newPid = replacement.find((p) => !original.includes(p))!;
      // Keep-alive clients stay on the connections they have (all on the surviving worker now); a new
      // connection is spread round-robin, so a few fresh ones reach the replacement. The request id
      // starts with the answering worker's pid in base 36.
      const prefix = `${newPid.toString(36)}-`;
      await waitFor(
        async () => {
          const res = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body: 'review\nok\n' });
          assert.equal(res.status, 200, res.body);
          return String(res.headers['x-request-id']).startsWith(prefix);
        },
        15_000,
        10,
        'the replacement to answer on a new connection',
      );
      replacedAt = performance.now();
      await waitFor(() => sentAfterReplacement >= 200, 15_000, 10, '200 more requests');
      stop = true;
      const result = await load;
      const failed = result.total - result.validOk;
      t.diagnostic(
        `${result.total} requests (${statusSummary(result.byStatus)}); ${failed} failed; replacement ${newPid} serving ` +
          `${Math.round(performance.now() - killedAt)} ms after the kill; ${okAfterReplacement}/${sentAfterReplacement} ok after replacement`,
      );
      // At most one request per client connection can have been in flight on the killed worker.
      assert.ok(failed <= concurrency, `${failed} requests failed (concurrency ${concurrency}): ${JSON.stringify(result.wrong)}`);
      assert.equal(result.fiveXxForValid, 0, JSON.stringify(result.wrong));
      assert.equal(okAfterReplacement, sentAfterReplacement);
      const died = jsonLines(server.proc.stdout).filter((l) => l.msg === 'worker died; starting a replacement');
      assert.equal(died.length, 1);
      assert.equal(died[0]!.workerPid, victim);
      assert.equal(died[0]!.signal, 'SIGKILL');
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    } finally {
      stop = true;
      server.proc.kill('SIGKILL');
    }
  });

  it('SIGTERM during load: every in-flight request finishes with 200, later ones are refused cleanly, exit 0', async (t) => {
    let stop = false;
    const server = await startReadyServer(slowRoot, { workers: 2, env: { BYOC_PLUGINS: SLOW_PLUGIN } });
    try {
      const inflight = 8;
      const slow = Array.from({ length: inflight }, (_, i) =>
        request(server.port, 'POST', '/invocations', {
          headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'delay_ms=1200' },
          body: `x\n${i}\n`,
          timeoutMs: 20_000,
        }),
      );
      await waitFor(() => (server.proc.stdout.match(/slow predict started/g) ?? []).length >= inflight, 10_000, 10, 'all slow requests in flight');
      // Fast requests keep arriving while the server drains.
      const fast = runLoad(
        server.port,
        [
          {
            name: 'fast',
            method: 'POST',
            path: '/invocations',
            headers: { 'Content-Type': 'text/csv' },
            body: Buffer.from('x\n1\n'),
            expect: [200],
            valid: true,
          },
        ],
        { concurrency: 4, until: () => stop, requestTimeoutMs: 10_000, maxDurationMs: 30_000 },
      );
      server.proc.kill('SIGTERM');
      const answers = await Promise.all(slow);
      for (const [i, res] of answers.entries()) {
        assert.equal(res.status, 200, res.body);
        assert.equal(res.body, `x,slow_out\n${i},ok\n`);
      }
      const exit = await server.proc.exit(30_000);
      stop = true;
      const after = await fast;
      t.diagnostic(`in-flight: ${answers.length}/${inflight} answered 200; requests sent during drain: ${statusSummary(after.byStatus)}`);
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /"msg":"server stopped"/);
      // During the drain a request is answered normally or refused at the socket; never a 5xx.
      for (const [status] of after.byStatus) assert.ok(status === 200 || status === 'network-error', `status ${status} during drain`);
      assert.ok(!exit.stdout.includes('worker still busy after the grace period'));
    } finally {
      stop = true;
      server.proc.kill('SIGKILL');
    }
  });
});

async function renameAlgorithm(root: string, name: string): Promise<void> {
  const file = path.join(root, 'model', 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as { algorithm: { name: string } };
  manifest.algorithm.name = name;
  await writeFile(file, JSON.stringify(manifest));
}

describe('faults: model that cannot be served → 503, clear log line, no crash loop', () => {
  const cases: Array<{ name: string; prepare: (root: string) => Promise<void>; log: RegExp }> = [
    {
      name: 'model dir missing',
      prepare: async (root) => rm(path.join(root, 'model'), { recursive: true, force: true }),
      log: /manifest|no such file|ENOENT|not found|missing/i,
    },
    {
      name: 'manifest.json is not JSON',
      prepare: async (root) => writeFile(path.join(root, 'model', 'manifest.json'), '{"algorithm": {"name": "baseline", '),
      log: /manifest/i,
    },
    {
      name: 'model file truncated',
      prepare: async (root) => writeFile(path.join(root, 'model', 'baseline.json'), '{"targets": [{"column": "rati'),
      log: /baseline\.json|JSON/i,
    },
    {
      name: 'manifest names an unregistered algorithm',
      prepare: async (root) => renameAlgorithm(root, 'xgboost'),
      log: /unknown algorithm "xgboost" \(named by the model manifest in .*\); registered algorithms: .*baseline/,
    },
    {
      // Refused by the manifest's own check, before any lookup: the name is never echoed.
      name: 'manifest names an algorithm "../../x"',
      prepare: async (root) => renameAlgorithm(root, '../../x'),
      log: /manifest\.json is invalid: algorithm\.name/,
    },
  ];
  for (const c of cases) {
    it(c.name, async (t) => {
      const root = path.join(tmp, `broken-${c.name.replace(/\W+/g, '-')}`);
      await mkdir(root, { recursive: true });
      await cp(baselineRoot, root, { recursive: true });
      await c.prepare(root);
      const server: ServerHandle = await startServer(root, { workers: 2, readyStatus: 503 });
      try {
        const primary = server.proc.child.pid!;
        // The log says why, once per worker.
        const lines = await waitFor(
          () => {
            const found = jsonLines(server.proc.stdout).filter((l) => l.msg === 'model could not be loaded: /ping answers 503');
            return found.length >= 2 ? found : undefined;
          },
          10_000,
          25,
          'the load-failure log line from both workers',
        );
        for (const l of lines) assert.match(String(l.reason), c.log);
        // Both workers have given up loading now: every answer is the 'could not be loaded' 503.
        const ping = await request(server.port, 'GET', '/ping');
        assert.equal(ping.status, 503);
        assert.match(JSON.parse(ping.body).error, /model could not be loaded \(see the server log\)/);
        assert.doesNotMatch(ping.body, /\/tmp\/|\/work/);
        const inv = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body: 'review\nx\n' });
        assert.equal(inv.status, 503);
        // No crash loop: the same two workers stay up while /ping keeps answering 503.
        const pids = await childPids(primary);
        assert.equal(pids.length, 2);
        const until = Date.now() + 2_000;
        let pings = 0;
        while (Date.now() < until) {
          assert.equal((await request(server.port, 'GET', '/ping')).status, 503);
          pings += 1;
        }
        assert.deepEqual(await childPids(primary), pids);
        assert.ok(!server.proc.stdout.includes('worker died'), 'no worker died');
        t.diagnostic(`reason: ${String(lines[0]!.reason).slice(0, 160)}; ${pings} pings over 2 s, workers ${pids.join(',')} unchanged`);
        const stopped = await server.stop();
        assert.equal(stopped.code, 0, stopped.stderr);
      } finally {
        server.proc.kill('SIGKILL');
      }
    });
  }
});
