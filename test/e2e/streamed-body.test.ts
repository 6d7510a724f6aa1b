/**
 * End-to-end: a 200 MB CSV body (asynchronous inference's profile: a body limit of 1 GB) is
 * answered as it arrives: every row answered, in order, with a Content-Length, the worker's peak
 * memory far below the body's size, /ping answering meanwhile; a body over the limit is refused
 * before it is read; the answer of a streamed body equals the buffered one's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { BASELINE_HPS, REPO_ROOT, buildMlRoot, killAll, makeTempDir, removeDir, request, runByoc, startServer, type ServerHandle } from '../helpers/e2e.js';

const BODY_MB = 200;
const HEADER = 'rating_binary,review\n';
/** Fixed-width rows: the body's length is known before it is sent. */
const row = (i: number): string =>
  `,"row ${String(i).padStart(9, '0')} of a long streamed body: a film review text that runs for a while, with commas, and more words"\n`;

let tmp: string;
let server: ServerHandle;

before(async () => {
  tmp = await makeTempDir('byoc-e2e-stream-');
  const root = await buildMlRoot(tmp, { hyperparameters: BASELINE_HPS });
  const trained = await runByoc(['train', '--ml-root', root]);
  assert.equal(trained.code, 0, trained.stderr);
  server = await startServer(root, {
    workers: 1,
    // the asynchronous inference profile: 1 GB bodies, 15 minutes
    env: { BYOC_CONFIG: path.join(REPO_ROOT, 'config', 'profiles', 'async-inference.yaml') },
  });
});
after(async () => {
  await server?.stop();
  killAll();
  await removeDir(tmp);
});

/** Sends `rows` rows (generated as they are written), counts what comes back without keeping it. */
function sendLarge(
  port: number,
  rows: number,
): Promise<{ status: number; contentLength: number; bytes: number; lines: number; first: string; requestId: string }> {
  const length = HEADER.length + Array.from({ length: 10 }, (_, i) => row(i).length)[0]! * rows;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/invocations',
        agent: false,
        headers: { 'Content-Type': 'text/csv', 'Content-Length': String(length) },
      },
      (res) => {
        let bytes = 0;
        let lines = 0;
        let first = '';
        res.on('data', (chunk: Buffer) => {
          if (first.length < 200) first += chunk.toString('utf8', 0, Math.min(chunk.length, 200));
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentLength: Number(res.headers['content-length']),
            bytes,
            lines,
            first,
            requestId: String(res.headers['x-request-id']),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    let i = 0;
    const pump = (): void => {
      if (i === 0) req.write(HEADER);
      while (i < rows) {
        let chunk = '';
        for (let k = 0; k < 2000 && i < rows; k++) chunk += row(i++);
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe('a 200 MB CSV body, streamed', () => {
  it('is answered whole, in order, with a Content-Length, in bounded memory, while /ping answers', async (t) => {
    const rows = Math.floor((BODY_MB * 1024 * 1024 - HEADER.length) / row(0).length);
    const pings: number[] = [];
    let sending = true;
    const pinger = (async () => {
      while (sending) {
        const t0 = performance.now();
        const res = await request(server.port, 'GET', '/ping', { timeoutMs: 10_000 });
        assert.equal(res.status, 200);
        pings.push(performance.now() - t0);
      }
    })();
    let answer;
    try {
      answer = await sendLarge(server.port, rows);
    } finally {
      sending = false;
      await pinger;
    }
    assert.equal(answer.status, 200, answer.first);
    assert.equal(answer.contentLength, answer.bytes, 'Content-Length is the length of the answer');
    assert.equal(answer.lines, rows + 1, 'a header and one line per row');
    assert.ok(answer.first.startsWith('rating_binary,review,rating_binary_imputed,rating_binary_imputed_proba\n,"row 000000000 of'), answer.first);
    const workerPid = parseInt(answer.requestId.split('-')[0]!, 36);
    const peak = await peakRssMb(workerPid);
    t.diagnostic(`${rows} rows; worker peak RSS ${peak.toFixed(0)} MB; ${pings.length} pings, slowest ${Math.max(...pings).toFixed(0)} ms`);
    assert.ok(peak < BODY_MB, `worker peak RSS ${peak.toFixed(0)} MB for a ${BODY_MB} MB body`);
    assert.ok(pings.length >= 3, `/ping answered ${pings.length} times meanwhile`);
    assert.ok(Math.max(...pings) < 2000, `slowest /ping ${Math.max(...pings).toFixed(0)} ms`);
  });

  it('a streamed body gets the same answer as the same rows sent at once', async () => {
    const body = HEADER + Array.from({ length: 50 }, (_, i) => row(i)).join('');
    const buffered = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv' }, body });
    const streamed = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' }, body });
    assert.equal(buffered.status, 200);
    assert.equal(streamed.status, 200);
    assert.equal(streamed.body, buffered.body);
    assert.equal(Number(streamed.headers['content-length']), Buffer.byteLength(streamed.body));
    const headerless = await request(server.port, 'POST', '/invocations', {
      headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
      body: row(1) + row(2),
    });
    assert.equal(headerless.status, 200, headerless.body);
    assert.equal(headerless.body.split('\n').length, 3, 'header-less in, header-less out');
  });

  it('a bad row in a streamed body is a 400 naming its line', async () => {
    const body = HEADER + row(0) + 'just one field\n';
    const res = await request(server.port, 'POST', '/invocations', { headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' }, body });
    assert.equal(res.status, 400);
    assert.match(res.body, /line 3 has 1 fields/);
  });
});
