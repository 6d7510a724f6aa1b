/**
 * End-to-end: `byoc serve` as a child process (cluster primary + workers) on a free port, exercised
 * over real HTTP. Models are trained once with `byoc train` into temp ml-roots.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  IMDB_DIR,
  SLOW_PLUGIN,
  buildMlRoot,
  jsonLines,
  killAll,
  makeTempDir,
  removeDir,
  request,
  runByoc,
  startServer,
  trainSlowModel,
  waitFor,
  type ServerHandle,
} from '../helpers/e2e.js';

let tmp: string;
let baselineRoot: string;
let slowRoot: string;

before(async () => {
  tmp = await makeTempDir('byoc-e2e-serve-');
  baselineRoot = await buildMlRoot(path.join(tmp, 'baseline'));
  const [a, slow] = await Promise.all([runByoc(['train', '--ml-root', baselineRoot]), trainSlowModel(path.join(tmp, 'slow'))]);
  assert.equal(a.code, 0, a.stderr);
  slowRoot = slow;
});

after(async () => {
  killAll();
  await removeDir(tmp);
});

const CSV = { 'Content-Type': 'text/csv' };
const JSON_CT = { 'Content-Type': 'application/json' };
const hasStack = (text: string): boolean => /\n\s+at /.test(text) || /\.js:\d+:\d+/.test(text);

describe('serve: baseline model, 2 workers', () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(baselineRoot, { workers: 2 });
  });
  after(async () => {
    if (server) {
      const result = await server.stop();
      assert.equal(result.code, 0, `server exit code; stderr: ${result.stderr}`);
    }
  });
  const post = (body: string | Buffer, headers: Record<string, string>) => request(server.port, 'POST', '/invocations', { body, headers });

  it('GET /ping: 200 with an empty body; HEAD /ping too', async () => {
    const res = await request(server.port, 'GET', '/ping');
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    const head = await request(server.port, 'HEAD', '/ping');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(head.headers['x-request-id'], 'HEAD answers carry the request id too');
  });

  it('CSV with a header: same rows plus imputed columns, header mirrored', async () => {
    const source = parse(await readFile(path.join(IMDB_DIR, 'test.csv'), 'utf8')) as string[][];
    // blank the label of every third row
    const rows = source.map((r, i) => (i > 0 && i % 3 === 0 ? ['', r[1]!] : r));
    const body = rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\n') + '\n';
    const res = await post(body, CSV);
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    const out = parse(res.body) as string[][];
    assert.deepEqual(out[0], ['rating_binary', 'review', 'rating_binary_imputed', 'rating_binary_imputed_proba']);
    assert.equal(out.length, rows.length, 'one output row per input row');
    for (let i = 1; i < rows.length; i++) {
      assert.equal(out[i]![1], rows[i]![1], `row ${i} review echoed`);
      if (rows[i]![0] === '') assert.deepEqual(out[i]!.slice(2), ['negative', '0.58'], `row ${i}`);
      else assert.deepEqual(out[i]!.slice(2), ['', ''], `row ${i}`);
    }
  });

  it('header-less CSV is mapped by position to the training schema', async () => {
    const res = await post(',loved it\npositive,"hated it, truly"\n', CSV);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(parse(res.body), [
      ['', 'loved it', 'negative', '0.58'],
      ['positive', 'hated it, truly', '', ''],
    ]);
    const single = await post('"only a review"\n', CSV);
    assert.equal(single.status, 200, single.body);
    assert.deepEqual(parse(single.body), [['only a review', 'negative', '0.58']]);
  });

  it('JSON {"instances": [...]} and a plain array', async () => {
    const res = await post(
      JSON.stringify({
        instances: [
          { review: 'x', rating_binary: null },
          { review: 'y', rating_binary: 'positive' },
        ],
      }),
      JSON_CT,
    );
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(res.body), {
      instances: [
        { review: 'x', rating_binary: null, rating_binary_imputed: 'negative', rating_binary_imputed_proba: 0.58 },
        { review: 'y', rating_binary: 'positive', rating_binary_imputed: null, rating_binary_imputed_proba: null },
      ],
    });
    const arr = await post(JSON.stringify([{ review: 'z' }]), JSON_CT);
    assert.equal(arr.status, 200, arr.body);
    assert.deepEqual(JSON.parse(arr.body), [{ review: 'z', rating_binary_imputed: 'negative', rating_binary_imputed_proba: 0.58 }]);
  });

  it('JSON Lines in, JSON Lines out', async () => {
    const res = await post('{"review":"a"}\n{"review":"b","rating_binary":"positive"}\n', { 'Content-Type': 'application/jsonlines' });
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/jsonlines/);
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].rating_binary_imputed, 'negative');
    assert.equal(lines[1].rating_binary_imputed, null);
  });

  it('Accept negotiation: CSV in, JSON out; 406 for image/png', async () => {
    const res = await post('rating_binary,review\n,meh\n', { ...CSV, Accept: 'application/json' });
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = JSON.parse(res.body);
    const records = Array.isArray(body) ? body : body.instances;
    assert.equal(records.length, 1);
    assert.equal(records[0].rating_binary_imputed, 'negative');
    const bad = await post('rating_binary,review\n,meh\n', { ...CSV, Accept: 'image/png' });
    assert.equal(bad.status, 406, bad.body);
    assert.match(JSON.parse(bad.body).error, /text\/csv/);
  });

  it('400 for malformed CSV, naming the line', async () => {
    const res = await post('rating_binary,review\npositive,ok\nnegative,too,many\n', CSV);
    assert.equal(res.status, 400);
    const body = JSON.parse(res.body);
    assert.match(body.error, /line 3/);
    assert.ok(body.requestId);
    const quote = await post('rating_binary,review\npositive,"unterminated\n', CSV);
    assert.equal(quote.status, 400);
    assert.match(JSON.parse(quote.body).error, /line \d+/);
  });

  it('400 when a required column is missing; 400 for a bad custom attribute value', async () => {
    const res = await post(JSON.stringify([{ text: 'no review column' }]), JSON_CT);
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).error, /"review"/);
    const attr = await post('review\nfine\n', { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'impute_present=maybe' });
    assert.equal(attr.status, 400);
    assert.match(JSON.parse(attr.body).error, /impute_present/);
  });

  it('more 400/415 cases: invalid UTF-8, empty body, bad JSON, bad JSON Lines line, non-UTF-8 charset', async () => {
    const latin1 = await post(Buffer.concat([Buffer.from('review\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]), CSV);
    assert.equal(latin1.status, 400);
    assert.match(JSON.parse(latin1.body).error, /UTF-8/);
    const empty = await post('', CSV);
    assert.equal(empty.status, 400);
    const badJson = await post('{"instances": [', JSON_CT);
    assert.equal(badJson.status, 400);
    assert.match(JSON.parse(badJson.body).error, /not valid JSON/);
    const badLine = await post('{"review":"a"}\n{bad\n', { 'Content-Type': 'application/jsonlines' });
    assert.equal(badLine.status, 400);
    assert.match(JSON.parse(badLine.body).error, /line 2/);
    const charset = await post('review\nx\n', { 'Content-Type': 'text/csv; charset=latin1' });
    assert.equal(charset.status, 415);
  });

  it('Accept q-values are honoured; a UTF-8 BOM is tolerated; SageMaker inference id becomes the request id', async () => {
    const res = await post('\uFEFFreview\nx\n', {
      ...CSV,
      Accept: 'application/json;q=0.5, text/csv;q=0.9',
      'X-Amzn-SageMaker-Inference-Id': 'inference-42',
    });
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    assert.equal(res.body, 'review,rating_binary_imputed,rating_binary_imputed_proba\nx,negative,0.58\n');
    assert.equal(res.headers['x-request-id'], 'inference-42');
  });

  it('404 {} for an unknown path', async () => {
    const res = await request(server.port, 'GET', '/nope');
    assert.equal(res.status, 404);
    assert.equal(res.body, '{}');
    const post404 = await request(server.port, 'POST', '/invocation', { body: 'x', headers: CSV });
    assert.equal(post404.status, 404);
    assert.equal(post404.body, '{}');
  });

  it('405 with Allow for a wrong method', async () => {
    const get = await request(server.port, 'GET', '/invocations');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const postPing = await request(server.port, 'POST', '/ping', { body: '' });
    assert.equal(postPing.status, 405);
    assert.equal(postPing.headers.allow, 'GET');
    const delExec = await request(server.port, 'DELETE', '/execution-parameters');
    assert.equal(delExec.status, 405);
    assert.equal(delExec.headers.allow, 'GET');
  });

  it('413 for a body over the 6 MB limit (declared length and chunked)', async () => {
    // Only 1 KB of the declared 7 MB is sent: the answer must come from Content-Length alone.
    const declared = await request(server.port, 'POST', '/invocations', {
      body: Buffer.alloc(1024, 0x61),
      declaredLength: 7 * 1024 * 1024,
      headers: CSV,
      timeoutMs: 5000,
    });
    assert.equal(declared.status, 413);
    assert.match(JSON.parse(declared.body).error, /limit of 6 MB/);
    const big = Buffer.alloc(7 * 1024 * 1024, 0x61);
    const chunked = await post(big, { ...CSV, 'Transfer-Encoding': 'chunked' });
    assert.equal(chunked.status, 413);
    // the server is still fine afterwards
    assert.equal((await request(server.port, 'GET', '/ping')).status, 200);
  });

  it('415 for an unsupported or missing Content-Type, listing the supported types', async () => {
    const res = await post('<x/>', { 'Content-Type': 'application/xml' });
    assert.equal(res.status, 415);
    const error = JSON.parse(res.body).error as string;
    for (const type of ['text/csv', 'application/json', 'application/jsonlines']) assert.ok(error.includes(type), error);
    const none = await request(server.port, 'POST', '/invocations', { body: 'a' });
    assert.equal(none.status, 415);
  });

  it('X-Amzn-SageMaker-Custom-Attributes reaches the plugin (impute_present=true)', async () => {
    const body = 'rating_binary,review\npositive,great\n';
    const plain = parse((await post(body, CSV)).body) as string[][];
    assert.deepEqual(plain[1], ['positive', 'great', '', '']);
    const res = await post(body, { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'impute_present=true' });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual((parse(res.body) as string[][])[1], ['positive', 'great', 'negative', '0.58']);
  });

  it('GET /execution-parameters', async () => {
    const res = await request(server.port, 'GET', '/execution-parameters');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { MaxConcurrentTransforms: 2, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 6 });
  });

  it('access log: one JSON line per request with method, path, status, bytes, ms, requestId', async () => {
    const res = await post('review\nabc\n', { ...CSV, 'X-Request-Id': 'e2e-access-log-1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'e2e-access-log-1');
    const line = await waitFor(
      () => jsonLines(server.proc.stdout).find((l) => l.msg === 'request' && l.requestId === 'e2e-access-log-1'),
      5000,
      25,
      'the access log line',
    );
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/invocations');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
    assert.equal(line.bytes, Buffer.byteLength(res.body));
    assert.equal(line.level, 'info');
    // every line of stdout from the server is JSON
    const nonJson = server.proc.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    assert.deepEqual(nonJson, []);
    // generated ids are unique per request
    const ids = jsonLines(server.proc.stdout)
      .filter((l) => l.msg === 'request')
      .map((l) => l.requestId);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('a worker killed with SIGKILL is replaced; /ping keeps answering; the log says so', async (t) => {
    const loadedPids = (): number[] =>
      jsonLines(server.proc.stdout)
        .filter((l) => l.msg === 'model loaded')
        .map((l) => Number(l.pid));
    const original = await waitFor(() => (loadedPids().length >= 2 ? loadedPids() : undefined), 5000, 25, 'two workers loaded');
    const victim = original[0]!;
    process.kill(victim, 'SIGKILL');
    // A connection the primary hands to the worker in the instant before it notices the death is
    // lost (node:cluster round-robin never re-distributes it): wait for the death to be logged.
    const died = await waitFor(
      () => jsonLines(server.proc.stdout).find((l) => l.msg === 'worker died; starting a replacement'),
      5000,
      10,
      'the death of the worker to be logged',
    );
    const pings: number[] = [];
    const replacement = await waitFor(
      async () => {
        pings.push((await request(server.port, 'GET', '/ping', { timeoutMs: 3000 })).status);
        return loadedPids().find((pid) => !original.includes(pid));
      },
      15_000,
      50,
      'a replacement worker',
    );
    assert.ok(replacement > 0);
    // Every ping is answered. NOTE: a replacement worker takes connections while it is still loading
    // the model and answers 503 meanwhile (see the report); so 503 is tolerated here, a hang is not.
    assert.ok(pings.length > 0 && pings.every((s) => s === 200 || s === 503), `pings during replacement: ${pings.join(',')}`);
    const unavailable = pings.filter((s) => s === 503).length;
    if (unavailable > 0) t.diagnostic(`${unavailable} of ${pings.length} pings answered 503 while the replacement loaded`);
    assert.equal(died.workerPid, victim);
    assert.equal(died.signal, 'SIGKILL');
    assert.equal(died.level, 'error');
    assert.equal((await request(server.port, 'GET', '/ping')).status, 200);
  });
});

describe('serve: an invalid configuration', () => {
  it('exits 2 naming the key and the variable; the worker forked before the configuration was read does not linger', async () => {
    const result = await runByoc(['serve', '--ml-root', baselineRoot, '--workers', '2'], { MODEL_SERVER_TIMEOUT: '-5' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid configuration[\s\S]*server\.timeoutSeconds[\s\S]*MODEL_SERVER_TIMEOUT/);
    // Its command line names the ml root; it is killed before the primary exits.
    const lingering = await waitFor(async () => ((await processesNaming(baselineRoot)).length === 0 ? true : undefined), 5_000);
    assert.equal(lingering, true);
  });
});

/** PIDs of running processes whose command line contains `text` (Linux /proc). */
async function processesNaming(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

describe('serve: batch transform settings', () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(baselineRoot, {
      workers: 1,
      env: { SAGEMAKER_BATCH: 'true', SAGEMAKER_MAX_PAYLOAD_IN_MB: '20', BYOC_LOG_LEVEL: 'warn' },
    });
  });
  after(async () => {
    if (server) assert.equal((await server.stop()).code, 0);
  });

  it('/execution-parameters reports the batch payload limit', async () => {
    const res = await request(server.port, 'GET', '/execution-parameters');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { MaxConcurrentTransforms: 1, BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 20 });
  });

  it('accepts a 10 MB body (over the real-time limit) and answers every row', async () => {
    const review = 'x'.repeat(1000);
    const rowCount = Math.ceil((10 * 1024 * 1024) / (review.length + 2));
    const body = `rating_binary,review\n${`,${review}\n`.repeat(rowCount)}`;
    assert.ok(Buffer.byteLength(body) > 10 * 1024 * 1024);
    const res = await request(server.port, 'POST', '/invocations', { body, headers: CSV, timeoutMs: 30_000 });
    assert.equal(res.status, 200, res.body.slice(0, 300));
    const lines = res.body.trimEnd().split('\n');
    assert.equal(lines.length, rowCount + 1);
    assert.equal(lines[1], `,${review},negative,0.58`);
  });

  it('413 past the batch limit', async () => {
    const res = await request(server.port, 'POST', '/invocations', {
      body: 'a',
      declaredLength: 21 * 1024 * 1024,
      headers: CSV,
      timeoutMs: 5000,
    });
    assert.equal(res.status, 413);
    assert.match(JSON.parse(res.body).error, /20 MB/);
  });
});

describe('serve: slow plugin with MODEL_SERVER_TIMEOUT=1', () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(slowRoot, {
      workers: 1,
      env: { BYOC_PLUGINS: SLOW_PLUGIN, MODEL_SERVER_TIMEOUT: '1', BYOC_MAX_PAYLOAD_MB: '1' },
    });
  });
  after(async () => {
    if (server) assert.equal((await server.stop()).code, 0);
  });

  it('504 past the timeout; the same worker answers /ping afterwards', async () => {
    const started = Date.now();
    const res = await request(server.port, 'POST', '/invocations', {
      body: 'x\n1\n',
      headers: { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'delay_ms=3000' },
    });
    const elapsed = Date.now() - started;
    assert.equal(res.status, 504, res.body);
    assert.match(JSON.parse(res.body).error, /timeout of 1 s/);
    assert.ok(elapsed >= 900 && elapsed < 2900, `answered after ${elapsed} ms`);
    assert.equal((await request(server.port, 'GET', '/ping')).status, 200);
    const ok = await request(server.port, 'POST', '/invocations', { body: 'x\n1\n', headers: CSV });
    assert.equal(ok.status, 200);
    assert.deepEqual(parse(ok.body), [
      ['x', 'slow_out'],
      ['1', 'ok'],
    ]);
    assert.ok(!server.proc.stdout.includes('worker died'), 'no worker died');
  });

  it('/ping answers within milliseconds while a request is busy on the same worker', async () => {
    const busy = request(server.port, 'POST', '/invocations', {
      body: 'x\n1\n',
      headers: { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'delay_ms=800' },
    });
    const marker = (server.proc.stdout.match(/slow predict started/g) ?? []).length;
    await waitFor(() => (server.proc.stdout.match(/slow predict started/g) ?? []).length > marker, 5000, 10, 'the slow request');
    const started = performance.now();
    const ping = await request(server.port, 'GET', '/ping');
    const ms = performance.now() - started;
    assert.equal(ping.status, 200);
    assert.ok(ms < 300, `/ping took ${ms} ms`);
    assert.equal((await busy).status, 200);
  });

  it('413 past BYOC_MAX_PAYLOAD_MB=1 (chunked body, no Content-Length)', async () => {
    const res = await request(server.port, 'POST', '/invocations', {
      body: Buffer.alloc(1536 * 1024, 0x61),
      headers: { ...CSV, 'Transfer-Encoding': 'chunked' },
    });
    assert.equal(res.status, 413);
    assert.match(JSON.parse(res.body).error, /limit of 1 MB/);
    // a small body on the same connection pool still works (10 rows: the 1 s timeout is tight on a loaded host)
    const small = await request(server.port, 'POST', '/invocations', { body: `x\n${'1\n'.repeat(10)}`, headers: CSV });
    assert.equal(small.status, 200);
  });

  it('a client that goes away mid-request: the plugin sees options.signal abort, logged as a cancellation', async () => {
    const req = http.request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/invocations',
      headers: { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'delay_ms=5000', 'X-Request-Id': 'e2e-gone' },
    });
    req.on('error', () => undefined); // destroyed on purpose below
    req.end('x\n1\n');
    await waitFor(
      () => jsonLines(server.proc.stdout).find((l) => l.msg === 'slow predict started' && l.requestId === 'e2e-gone'),
      5000,
      10,
      'the slow request',
    );
    const closedAt = performance.now();
    req.destroy();
    // The plugin's 5 s wait ends early (it listens to the signal): the cancellation is logged well before.
    const line = await waitFor(
      () => jsonLines(server.proc.stdout).find((l) => l.msg === 'request' && l.requestId === 'e2e-gone'),
      4000,
      10,
      'the access log line of the cancelled request',
    );
    assert.equal(line.status, 499);
    assert.ok(performance.now() - closedAt < 3000);
    const cancelled = jsonLines(server.proc.stdout).find((l) => l.requestId === 'e2e-gone' && /client closed the connection/.test(String(l.msg)));
    assert.equal(cancelled?.level, 'info', 'a cancellation is not an error');
    assert.equal((await request(server.port, 'GET', '/ping')).status, 200);
  });

  it('500 for an unexpected plugin error: generic message with request id, no stack or internals', async () => {
    const res = await request(server.port, 'POST', '/invocations', {
      body: 'x\n1\n',
      headers: { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'fail=true', 'X-Request-Id': 'e2e-500' },
    });
    assert.equal(res.status, 500);
    const body = JSON.parse(res.body);
    assert.equal(body.requestId, 'e2e-500');
    assert.ok(!res.body.includes('SECRET-INTERNAL-DETAIL'), res.body);
    assert.ok(!hasStack(res.body), res.body);
    // logged with the request id
    const logged = await waitFor(
      () => jsonLines(server.proc.stdout).find((l) => l.level === 'error' && l.requestId === 'e2e-500'),
      5000,
      25,
      'the error log line',
    );
    assert.match(String(logged.error), /SECRET-INTERNAL-DETAIL/);
  });
});

describe('serve: workers that load at different speeds', () => {
  it('once /ping has said 200 it keeps saying 200 while another worker is still loading', async () => {
    // Worker 2 loads 4 s later than worker 1: only a worker that has loaded takes connections.
    const env = { BYOC_PLUGINS: SLOW_PLUGIN, SLOW_PLUGIN_LOAD_MS_WORKER_2: '4000', BYOC_LOG_LEVEL: 'info' };
    const server = await startServer(slowRoot, { workers: 2, env });
    try {
      const statuses: number[] = [];
      // Fresh connections (no keep-alive), so that the cluster balances each probe anew.
      for (let i = 0; i < 24; i++) statuses.push((await request(server.port, 'GET', '/ping', { timeoutMs: 2000 })).status);
      assert.ok(!/"msg":"server ready: every worker has loaded the model"/.test(server.proc.stdout), 'the probes ran while worker 2 was loading');
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
        'every probe after the first 200 is a 200',
      );
    } finally {
      await server.stop();
    }
  });
});

describe('serve: SIGTERM during a slow request', () => {
  it('the in-flight request completes with 200 and the server exits 0', async () => {
    const server = await startServer(slowRoot, { workers: 2, env: { BYOC_PLUGINS: SLOW_PLUGIN } });
    try {
      const pending = request(server.port, 'POST', '/invocations', {
        body: 'x\n1\n2\n',
        headers: { ...CSV, 'X-Amzn-SageMaker-Custom-Attributes': 'delay_ms=1500' },
      });
      await server.proc.waitForOutput(/slow predict started/, 10_000);
      server.proc.kill('SIGTERM');
      const res = await pending;
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(parse(res.body), [
        ['x', 'slow_out'],
        ['1', 'ok'],
        ['2', 'ok'],
      ]);
      const result = await server.proc.exit(30_000);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /"msg":"server stopped"/);
    } finally {
      server.proc.kill('SIGKILL');
    }
  });
});

describe('serve: model that cannot be loaded', () => {
  let missing: ServerHandle;
  let corrupt: ServerHandle;
  before(async () => {
    const emptyRoot = path.join(tmp, 'no-model');
    await mkdir(emptyRoot, { recursive: true });
    const corruptRoot = path.join(tmp, 'corrupt');
    await mkdir(path.join(corruptRoot, 'model'), { recursive: true });
    await writeFile(path.join(corruptRoot, 'model', 'manifest.json'), '{"format": 1, "algorithm": ');
    [missing, corrupt] = await Promise.all([
      startServer(emptyRoot, { workers: 1, readyStatus: 503 }),
      startServer(corruptRoot, { workers: 1, readyStatus: 503 }),
    ]);
  });
  after(async () => {
    for (const s of [missing, corrupt]) if (s) assert.equal((await s.stop()).code, 0);
  });

  for (const which of ['missing', 'corrupt'] as const) {
    it(`${which} model: /ping 503, /invocations 503, the log says why, no crash loop`, async () => {
      const server = which === 'missing' ? missing : corrupt;
      for (let i = 0; i < 20; i++) {
        const res = await request(server.port, 'GET', '/ping');
        assert.equal(res.status, 503);
      }
      const inv = await request(server.port, 'POST', '/invocations', { body: 'a\n1\n', headers: CSV });
      assert.equal(inv.status, 503);
      assert.match(JSON.parse(inv.body).error, /could not be loaded/);
      const failures = jsonLines(server.proc.stdout).filter((l) => l.msg === 'model could not be loaded: /ping answers 503');
      assert.equal(failures.length, 1, 'loaded once by the single worker, not restarted');
      assert.match(String(failures[0]!.reason), which === 'missing' ? /no model found/ : /manifest\.json is corrupt/);
      assert.ok(!server.proc.stdout.includes('worker died'));
      assert.equal(server.proc.child.exitCode, null, 'server still running');
    });
  }
});

describe('serve: the port is already taken', () => {
  it('exits 1 at once with the port named, instead of replacing workers forever', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const result = await runByoc(['serve', '--ml-root', baselineRoot, '--port', String(port), '--workers', '2'], {}, 15_000);
      assert.equal(result.code, 1, `exit code; stdout: ${result.stdout}`);
      assert.ok(Date.now() - started < 10_000, 'stops without waiting for a grace period');
      const lines = jsonLines(result.stdout);
      const primary = lines.find((l) => l.role === 'primary' && l.msg === 'a worker cannot start; stopping the server');
      assert.match(String(primary?.reason), new RegExp(`port ${port} is already in use`));
    } finally {
      squatter.close();
    }
  });
});
