/**
 * Limits and security over real HTTP: `byoc serve` (2 workers, baseline model trained by `byoc
 * train` on the IMDB sample) as a child process on 127.0.0.1 with MODEL_SERVER_TIMEOUT=2.
 * Oversized bodies are refused early with bounded memory, a million tiny rows are refused cleanly,
 * error bodies leak nothing, paths are data, and slow clients are cut off without blocking others.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { killAll, makeTempDir, removeDir, request, type ServerHandle } from '../helpers/e2e.js';
import { childPids, leaks, REPO_ROOT, rssMb, startReadyServer, trainBaseline } from './lib.js';

const CANARY = 'canary-7c1d0b2e-reliability-secret';
let tmp: string;
let root: string;
let server: ServerHandle;
let workers: number[];

before(async () => {
  tmp = await makeTempDir('byoc-rel-http-');
  root = await trainBaseline(path.join(tmp, 'ml'));
  server = await startReadyServer(root, {
    workers: 2,
    env: { MODEL_SERVER_TIMEOUT: '2', RELIABILITY_CANARY: CANARY, BYOC_LOG_LEVEL: 'info' },
  });
  workers = await childPids(server.proc.child.pid!);
  assert.equal(workers.length, 2, `expected 2 workers, got ${workers.join(', ')}`);
});

after(async () => {
  try {
    if (server) {
      const result = await server.stop();
      assert.equal(result.code, 0, result.stderr);
    }
  } finally {
    killAll();
    await removeDir(tmp);
  }
});

const maxWorkerRss = async (): Promise<number> => Math.max(...(await Promise.all(workers.map(async (pid) => (await rssMb(pid)) ?? 0))));
const secrets = (): string[] => [CANARY, tmp, root, REPO_ROOT];

describe('limits', () => {
  it('a declared Content-Length of 1 GB with a few bytes sent is refused with 413 at once', async () => {
    const started = performance.now();
    const res = await request(server.port, 'POST', '/invocations', {
      headers: { 'Content-Type': 'text/csv' },
      body: 'review\nabc\n',
      declaredLength: 1024 * 1024 * 1024,
      timeoutMs: 5_000,
    });
    const ms = performance.now() - started;
    assert.equal(res.status, 413, res.body);
    assert.match(JSON.parse(res.body).error, /larger than the limit of 6 MB/);
    assert.ok(ms < 1_500, `413 took ${Math.round(ms)} ms`);
    assert.equal(res.headers.connection, 'close');
  });

  it('a chunked body that keeps going is cut off near the limit; worker RSS stays bounded', async (t) => {
    const before = await maxWorkerRss();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const started = performance.now();
    const outcome = await new Promise<{ status: number; body: string }>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/invocations',
          agent: false,
          headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        },
      );
      let stopped = false;
      req.on('error', (e) => {
        stopped = true;
        // The server answers 413 with Connection: close and closes without reading the rest, so the
        // kernel may reset the connection before the client has read the 413 (no lingering close).
        // That still proves the point (the server stopped reading early); it is counted as 'reset'.
        setTimeout(() => resolve({ status: 0, body: `reset: ${(e as NodeJS.ErrnoException).code ?? e.message}` }), 200);
      });
      req.on('response', () => {
        stopped = true;
      });
      const pump = (): void => {
        // Up to 200 MB: a server that reads everything would take long and swell; we stop at the first answer.
        while (!stopped && sent < 200 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!stopped) req.end();
      };
      pump();
    });
    const ms = performance.now() - started;
    if (outcome.status === 0) assert.match(outcome.body, /^reset: (EPIPE|ECONNRESET)/);
    else {
      assert.equal(outcome.status, 413, outcome.body);
      assert.match(JSON.parse(outcome.body).error, /larger than the limit of 6 MB/);
    }
    // The client may have buffered some MB in socket buffers, but far from the 200 MB it was ready to send.
    assert.ok(sent < 40 * 1024 * 1024, `client sent ${Math.round(sent / 1048576)} MB before the 413`);
    assert.ok(ms < 5_000, `413 took ${Math.round(ms)} ms`);
    const afterRss = await maxWorkerRss();
    t.diagnostic(
      `${outcome.status === 0 ? outcome.body : outcome.status} after ${Math.round(ms)} ms, client had written ${(sent / 1048576).toFixed(1)} MB; max worker RSS ${before} → ${afterRss} MB`,
    );
    assert.ok(afterRss - before < 80, `worker RSS grew from ${before} MB to ${afterRss} MB`);
  });

  it('a CSV with 1,000,000 tiny rows within the byte limit is refused with 413 naming the row limit, memory bounded', async (t) => {
    const before = await maxWorkerRss();
    const body = `review\n${'x\n'.repeat(1_000_000)}`;
    assert.ok(body.length < 6 * 1024 * 1024);
    const started = performance.now();
    const res = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body, timeoutMs: 10_000 });
    assert.equal(res.status, 413, res.body);
    assert.match(JSON.parse(res.body).error, /more than 100000 records \(the limit per request\)/);
    const ms = performance.now() - started;
    assert.ok(ms < 4_000, `413 took ${Math.round(ms)} ms`);
    const afterRss = await maxWorkerRss();
    t.diagnostic(`413 after ${Math.round(ms)} ms; max worker RSS ${before} → ${afterRss} MB`);
    assert.ok(afterRss - before < 150, `worker RSS grew from ${before} MB to ${afterRss} MB`);
  });

  it('a CSV with 25,000 tiny rows is answered with one output row per input row, in order', async () => {
    // (Not 100,000: with MODEL_SERVER_TIMEOUT=2 on a busy 2-core runner that takes close to the timeout.)
    const n = 25_000;
    const body = `review\n${Array.from({ length: n }, (_, i) => `r${i}\n`).join('')}`;
    const res = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body, timeoutMs: 10_000 });
    assert.equal(res.status, 200, res.body.slice(0, 300));
    const lines = res.body.trimEnd().split('\n');
    assert.equal(lines.length, n + 1);
    assert.match(lines[0]!, /^review,rating_binary_imputed,rating_binary_imputed_proba$/);
    for (const i of [0, 1, 12_345, n - 1]) assert.ok(lines[i + 1]!.startsWith(`r${i},`), lines[i + 1]);
  });

  it('a slow client trickling its body is cut off by the timeout while other requests are answered', async (t) => {
    // More tricklers than workers: if a trickler held a worker, the valid requests below would stall.
    const tricklers = Array.from({ length: 4 }, () => trickle(server.port));
    const answered: number[] = [];
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline) {
      const t0 = performance.now();
      const res = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body: 'review\ngreat\n', timeoutMs: 2_000 });
      assert.equal(res.status, 200, res.body);
      answered.push(performance.now() - t0);
    }
    assert.ok(answered.length >= 5, `only ${answered.length} requests answered while tricklers were connected`);
    assert.ok(Math.max(...answered) < 1_000, `slowest request during trickling: ${Math.round(Math.max(...answered))} ms`);
    const results = await Promise.all(tricklers);
    t.diagnostic(
      `${answered.length} requests answered meanwhile (slowest ${Math.round(Math.max(...answered))} ms); tricklers: ${results.map((r) => `${r.status} after ${Math.round(r.ms)} ms`).join(', ')}`,
    );
    for (const r of results) {
      // Timeout 2 s: the trickler gets a 504 (or, past requestTimeout, the socket is closed) within bounded time.
      assert.ok(r.ms < 6_000, `trickler cut off after ${Math.round(r.ms)} ms`);
      assert.ok(r.status === 504 || r.status === 'closed', `trickler got ${r.status}: ${r.body}`);
      if (r.status === 504) assert.match(r.body, /not received in time|longer than the timeout of 2 s/);
    }
    // The workers survived.
    assert.deepEqual(await childPids(server.proc.child.pid!), workers);
  });
  it("a slow client trickling its headers is cut off near the timeout (408), not after Node's 30 s check interval", async (t) => {
    const results = await Promise.all(Array.from({ length: 3 }, () => trickleHeaders(server.port)));
    t.diagnostic(`header tricklers: ${results.map((r) => `${r.status} after ${Math.round(r.ms)} ms`).join(', ')}`);
    for (const r of results) {
      // headersTimeout = requestTimeout = timeout + 1 s = 3 s, checked every second.
      assert.ok(r.ms < 6_000, `header trickler held its connection for ${Math.round(r.ms)} ms`);
      assert.ok(r.status === 408 || r.status === 'closed', `header trickler got ${r.status}`);
    }
  });
});

/** Sends a request line, then one header line every 300 ms, never finishing the headers. */
function trickleHeaders(port: number): Promise<{ status: number | 'closed'; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: match ? Number(match[1]) : 'closed', ms: performance.now() - started });
      socket.destroy();
    };
    socket.on('connect', () => {
      socket.write('POST /invocations HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => socket.write('X-Slow: y\r\n'), 300);
    });
    socket.on('data', (d: Buffer) => (data += d.toString('utf8')));
    socket.on('close', done);
    socket.on('error', () => undefined);
    setTimeout(done, 40_000).unref();
  });
}

/** Sends headers with Content-Length 10000, then one body byte every 100 ms until the server answers or closes. */
function trickle(port: number): Promise<{ status: number | 'closed'; body: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearInterval(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      const body = data.slice(data.indexOf('\r\n\r\n') + 4);
      resolve({ status: match ? Number(match[1]) : 'closed', body, ms: performance.now() - started });
      socket.destroy();
    };
    socket.on('connect', () => {
      socket.write('POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 10000\r\n\r\nreview\n');
      timer = setInterval(() => socket.write('x'), 100);
    });
    socket.on('data', (d: Buffer) => {
      data += d.toString('utf8');
      if (/\r\n\r\n[\s\S]*\}/.test(data)) done();
    });
    socket.on('close', done);
    socket.on('error', () => undefined);
    // Hard bound so the test never hangs.
    setTimeout(done, 15_000).unref();
  });
}

describe('security: errors leak nothing, paths are data', () => {
  const errorRequests: Array<{ name: string; method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; status: number }> = [
    { name: 'invalid CSV', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'text/csv' }, body: 'review,rating_binary\n"open\n', status: 400 },
    { name: 'ragged CSV', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'text/csv' }, body: 'review,rating_binary\na\n', status: 400 },
    {
      name: 'invalid UTF-8',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv' },
      body: Buffer.from([0xff, 0xfe, 0x00]),
      status: 400,
    },
    { name: 'invalid JSON', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'application/json' }, body: '{"instances": [', status: 400 },
    { name: 'deep JSON', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'application/json' }, body: '['.repeat(100_000), status: 400 },
    {
      name: 'nested value',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/json' },
      body: '[{"review":{"__proto__":{"x":1}}}]',
      status: 400,
    },
    { name: 'missing column', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'application/jsonlines' }, body: '{"nope":1}\n', status: 400 },
    { name: 'header-less without match', method: 'POST', path: '/invocations', headers: { 'Content-Type': 'text/csv' }, body: 'a,b,c\n', status: 400 },
    {
      name: 'bad custom attribute',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'impute_present=/etc/passwd' },
      body: 'review\nx\n',
      status: 400,
    },
    {
      name: 'custom attributes too long',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'a='.padEnd(5000, 'x') },
      body: 'review\nx\n',
      status: 400,
    },
    {
      name: 'unsupported media type',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
      status: 415,
    },
    { name: 'no content type', method: 'POST', path: '/invocations', body: 'review\nx\n', status: 415 },
    {
      name: 'unsupported accept',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'text/csv', Accept: 'application/x-npy' },
      body: 'review\nx\n',
      status: 406,
    },
    {
      name: 'over the row limit',
      method: 'POST',
      path: '/invocations',
      headers: { 'Content-Type': 'application/jsonlines' },
      body: '{"review":"x"}\n'.repeat(100_001),
      status: 413,
    },
    { name: 'wrong method', method: 'DELETE', path: '/invocations', status: 405 },
    { name: 'traversal path', method: 'GET', path: '/../../etc/passwd', status: 404 },
    { name: 'encoded traversal path', method: 'GET', path: '/%2e%2e/%2e%2e/etc/passwd', status: 404 },
    { name: 'model file path', method: 'GET', path: '/model/manifest.json', status: 404 },
  ];
  for (const r of errorRequests) {
    it(`${r.name} → ${r.status}, body without stack, paths or environment values`, async () => {
      const res = await request(server.port, r.method, r.path, { headers: r.headers ?? {}, body: r.body, timeoutMs: 10_000 });
      assert.equal(res.status, r.status, res.body.slice(0, 300));
      assert.deepEqual(leaks(res.body, secrets()), [], res.body.slice(0, 500));
      assert.doesNotMatch(res.body, /root:x:0:0/);
      if (r.status === 404) assert.equal(res.body, '{}');
      else {
        const parsed = JSON.parse(res.body) as { error: string; requestId: string };
        assert.ok(parsed.error.length > 0 && parsed.requestId.length > 0);
      }
    });
  }

  it('path-like cells, custom attributes and inference ids are data: echoed or refused, never opened or written', async () => {
    const filesBefore = await listTree(root);
    const evil = ['../../etc/passwd', '/etc/shadow', '../../../../model/baseline.json', 'file:///etc/passwd', '$(cat /etc/passwd)', '${process.env.HOME}'];
    const body = `review,rating_binary\n${evil.map((e) => `"${e}",`).join('\n')}\n`;
    // Path-like attribute keys are refused by name (the attribute schema), never looked up.
    const refused = await request(server.port, 'POST', '/invocations', {
      headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'model=../../etc/passwd;path=/etc/passwd,impute_present=false' },
      body,
    });
    assert.equal(refused.status, 400, refused.body);
    assert.match(JSON.parse(refused.body).error, /unknown custom attribute "model" = "\.\.\/\.\.\/etc\/passwd"/);
    const res = await request(server.port, 'POST', '/invocations', {
      headers: {
        'Content-Type': 'text/csv',
        'X-Amzn-SageMaker-Custom-Attributes': 'impute_present=false',
        'X-Amzn-SageMaker-Target-Model': '../../etc/passwd',
        'X-Amzn-SageMaker-Inference-Id': '../../../tmp/evil',
      },
      body,
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['x-request-id'], '../../../tmp/evil');
    const lines = res.body.trimEnd().split('\n');
    assert.equal(lines.length, evil.length + 1);
    evil.forEach((e, i) => assert.ok(lines[i + 1]!.startsWith(`${e},`), lines[i + 1]));
    assert.doesNotMatch(res.body, /root:x:0:0/);
    assert.deepEqual(await listTree(root), filesBefore, 'no file was created or removed under the ml-root');
  });

  it('a JSON "__proto__" / "constructor" column is a plain column, not prototype pollution', async () => {
    const res = await request(server.port, 'POST', '/invocations', {
      headers: { 'Content-Type': 'application/json' },
      body: '[{"review":"x","__proto__":"p","constructor":"c"}]',
    });
    assert.equal(res.status, 200, res.body);
    const [record] = JSON.parse(res.body) as Array<Record<string, unknown>>;
    assert.equal(record!['__proto__'], 'p');
    assert.equal(record!['constructor'], 'c');
    // The server still answers normally afterwards (no polluted prototype in the worker).
    const again = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'application/json' }, body: '[{"review":"y"}]' });
    assert.deepEqual(Object.keys((JSON.parse(again.body) as Array<Record<string, unknown>>)[0]!), [
      'review',
      'rating_binary_imputed',
      'rating_binary_imputed_proba',
    ]);
  });
});

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), rel);
      else out.push(rel);
    }
  };
  await walk(dir, '');
  return out.sort();
}
