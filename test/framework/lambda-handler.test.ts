/**
 * The Lambda handler in process: recorded event shapes (test/fixtures/lambda-events/, written
 * after AWS's documented examples of API Gateway HTTP API v2, REST v1, Function URL events, and
 * the direct invocation shape of docs/lambda.md) are answered, and every answer is compared with
 * the HTTP app's `app.request()` for the same request, against an app built from the same
 * dependencies. Also MODEL_TARBALL (unpacked once; missing or tampered: 503, no crash), malformed
 * events (400), the response cap (413) and an invalid configuration.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { create as createTar } from 'tar';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';
import { createLambdaHandler, type LambdaHandler, type LambdaResult } from '../../framework/commands/lambda.js';
import { createApp } from '../../framework/serving/app.js';
import { cleanEnv, REPO_ROOT, runByoc } from '../helpers/e2e.js';
import { useTempDir, type TempDir } from '../helpers/temp-dir.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'lambda-events');
/** A recorded event, parsed: the tests read and edit its nested fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- events are parsed JSON of several shapes
type RecordedEvent = Record<string, any>;
const fixture = (name: string): RecordedEvent => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));

let modelDir: string;
let tarball: string;

/** A table with gaps in a categorical and a numeric column: baseline learns both in well under a second. */
function table(): string {
  const lines = ['id,colour,size'];
  for (let i = 0; i < 60; i++) lines.push(`r${i},${i % 5 === 0 ? '' : ['red', 'blue', 'green'][i % 3]},${i % 7 === 0 ? '' : 10 + (i % 4)}`);
  return `${lines.join('\n')}\n`;
}

/** Trains the model once for the file (a hook of the outer suite: node 20 runs suites before top-level hooks settle). */
async function trainModel(tmp: TempDir): Promise<void> {
  const data = path.join(tmp.path, 'train.csv');
  await writeFile(data, table());
  modelDir = path.join(tmp.path, 'job', 'model');
  const trained = await runByoc(['train', '--data', data, '--hp', 'algorithm=baseline', '--model-dir', modelDir], {}, 60_000);
  assert.equal(trained.code, 0, trained.stderr);
  // As SageMaker packs it: the model dir's content at the archive's top.
  tarball = path.join(tmp.path, 'model.tar.gz');
  await createTar({ gzip: true, file: tarball, cwd: modelDir }, ['.']);
}

/** JSON log lines, parsed. */
class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
  messages(msg: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg);
  }
}

function lambda(env: Record<string, string>, maxResponseBytes?: number): { handler: LambdaHandler; logs: LogLines } {
  const logs = new LogLines();
  const handler = createLambdaHandler([BaselineAlgorithm], {
    env: { BYOC_LOG_FORMAT: 'json', ...env },
    logStream: logs,
    ...(maxResponseBytes ? { maxResponseBytes } : {}),
  });
  return { handler, logs };
}

const context = (awsRequestId: string) => ({ awsRequestId, functionName: 'byoc', getRemainingTimeInMillis: () => 30_000 });

/** What the client of each kind of event sees: status, content type and the body's text. */
function seen(result: LambdaResult): { status: number; type: string | undefined; body: string } {
  const headers = result.headers ?? Object.fromEntries(Object.entries(result.multiValueHeaders ?? {}).map(([k, v]) => [k, v[0]]));
  const type = headers['content-type'];
  return {
    status: result.statusCode,
    type: type === undefined ? undefined : String(type),
    body: result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body,
  };
}

/** The HTTP request an event stands for, written out independently of hono's adapter. */
function httpRequest(name: string, event: RecordedEvent, requestId: string): { path: string; init: RequestInit } {
  let method: string;
  let url: string;
  const headers: Record<string, string> = {};
  let body: Uint8Array | undefined;
  if (name.startsWith('direct-')) {
    method = 'POST';
    url = '/invocations';
    const json = typeof event.body !== 'string';
    headers['content-type'] = event.contentType ?? (json ? 'application/json' : 'text/csv');
    if (event.accept) headers.accept = event.accept;
    if (event.customAttributes) headers['x-amzn-sagemaker-custom-attributes'] = event.customAttributes;
    body = json ? Buffer.from(JSON.stringify(event.body)) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  } else {
    const v2 = 'rawPath' in event;
    method = v2 ? event.requestContext.http.method : event.httpMethod;
    url = v2 ? `${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}` : event.path;
    for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (event.body) body = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  }
  headers['x-request-id'] = requestId;
  if (body) headers['content-length'] = String(body.byteLength);
  return { path: url, init: { method, headers, ...(body ? { body } : {}) } };
}

describe('Lambda handler', () => {
  const tmp = useTempDir('byoc-lambda-');
  before(() => trainModel(tmp));

  describe('the same answers as the HTTP app', () => {
    let subject: { handler: LambdaHandler; logs: LogLines };
    let app: ReturnType<typeof createApp>;
    before(async () => {
      // A 1 MB body limit, so that the oversized event stays small; every other answer is unaffected.
      subject = lambda({ BYOC_MODEL_DIR: modelDir, BYOC_MAX_PAYLOAD_MB: '1' });
      app = createApp((await subject.handler.ready).deps);
    });

    const expectations: Record<string, { status: number; type?: string; body?: RegExp }> = {
      'http-api-csv-base64.json': {
        status: 200,
        type: 'text/csv',
        body: /^id,colour,size,colour_imputed,colour_imputed_proba,size_imputed,size_imputed_proba\n/,
      },
      'http-api-csv-fill.json': { status: 200, type: 'text/csv', body: /^id,colour,size\nq1,\w+,10\n/ },
      'http-api-json.json': { status: 200, type: 'application/json' },
      'http-api-jsonlines.json': { status: 200, type: 'application/jsonlines' },
      'http-api-ping.json': { status: 200, type: 'text/plain;charset=UTF-8', body: /^$/ },
      'http-api-execution-parameters.json': { status: 200, type: 'application/json', body: /"MaxConcurrentTransforms":1/ },
      'http-api-unknown-path.json': { status: 404, type: 'application/json', body: /^\{\}$/ },
      'http-api-wrong-method.json': { status: 405, type: 'application/json', body: /use POST/ },
      'http-api-bad-csv.json': { status: 400, type: 'application/json' },
      'http-api-unsupported-type.json': { status: 415, type: 'application/json', body: /unsupported Content-Type \\"text\/plain\\"/ },
      'http-api-unknown-attribute.json': { status: 400, type: 'application/json', body: /did you mean \\"output\\"/ },
      'http-api-oversized.json': { status: 413, type: 'application/json', body: /larger than the limit of 1 MB/ },
      'function-url-csv.json': { status: 200, type: 'text/csv', body: /^id,colour,size\n/ },
      'function-url-ping.json': { status: 200, type: 'text/plain;charset=UTF-8', body: /^$/ },
      'rest-api-csv.json': { status: 200, type: 'text/csv', body: /^id,colour,size\n/ },
      'direct-csv.json': { status: 200, type: 'text/csv', body: /^id,colour,size\n/ },
      // JSON records in, CSV out: without a header, as for a header-less CSV request.
      'direct-json.json': { status: 200, type: 'text/csv', body: /^q1,,10,\w+,[\d.]+,,\n$/ },
      'direct-base64.json': { status: 200, type: 'application/json' },
    };

    for (const [name, expected] of Object.entries(expectations)) {
      it(`${name}: ${expected.status}, as app.request() answers the same request`, async () => {
        const event = fixture(name);
        if (name === 'http-api-oversized.json') event.body = Buffer.from(`id,colour,size\n${'q,,1\n'.repeat(250_000)}`).toString('base64');
        const id = `req-${name}`;
        const result = await subject.handler(event, context(id));
        const got = seen(result);
        const { path: url, init } = httpRequest(name, event, id);
        const res = await app.request(url, init);
        const want = { status: res.status, type: res.headers.get('content-type') ?? undefined, body: await res.text() };
        assert.deepEqual(got, want);
        assert.equal(got.status, expected.status, got.body);
        assert.equal(got.type, expected.type);
        if (expected.body) assert.match(got.body, expected.body);
        // Text answers stay text (hono would base64 application/jsonlines); the request id is Lambda's.
        assert.equal(result.isBase64Encoded, false);
        const headers = result.headers ?? result.multiValueHeaders!;
        assert.deepEqual([headers['x-request-id']].flat(), [id]);
      });
    }

    it('an event that brings its own request id keeps it; without a Lambda context the app makes one', async () => {
      const event = fixture('http-api-ping.json');
      event.headers['x-amzn-sagemaker-inference-id'] = 'inference-7';
      assert.equal((await subject.handler(event, context('aws-1'))).headers!['x-request-id'], 'inference-7');
      const direct = await subject.handler({ body: 'id,colour,size\nq,,\n', requestId: 'mine' });
      assert.equal(direct.headers!['x-request-id'], 'mine');
      assert.equal(direct.statusCode, 200);
    });

    it('malformed events get a 400 JSON error that says what was expected, and the handler keeps answering', async () => {
      const events = JSON.parse(readFileSync(path.join(FIXTURES, 'malformed.json'), 'utf8')) as unknown[];
      const reasons: string[] = [];
      for (const [i, event] of events.entries()) {
        const result = await subject.handler(event, context(`bad-${i}`));
        assert.equal(result.statusCode, 400, JSON.stringify(event));
        assert.equal(result.headers!['content-type'], 'application/json');
        const body = JSON.parse(result.body) as { error: string; requestId: string };
        assert.equal(body.requestId, `bad-${i}`);
        reasons.push(body.error);
      }
      assert.match(reasons[0]!, /^malformed event: the event is a string, not a JSON object$/);
      assert.match(reasons[3]!, /the event is an array/);
      assert.match(reasons[4]!, /unknown event shape \(keys: Records\); expected an API Gateway HTTP API \(v2\) or REST \(v1\) event/);
      assert.match(reasons[5]!, /direct invocation: body is a number; give a string \(CSV, JSON, JSON Lines\) or a JSON object or array/);
      assert.match(reasons[6]!, /direct invocation: contentType is a number, not a string/);
      assert.match(reasons[7]!, /http-api event: body is a number, not a string/);
      assert.match(reasons[8]!, /header "content-type" is an array, not a string/);
      assert.match(reasons[9]!, /marked isBase64Encoded but is not base64/);
      assert.match(reasons[10]!, /rest-api event: headers is a string, not an object/);
      assert.match(reasons[11]!, /body is a JSON object but contentType is "text\/csv"; send other types as a string/);
      assert.equal(subject.logs.messages('malformed lambda event: answered 400').length, events.length);
      assert.equal((await subject.handler(fixture('http-api-ping.json'), context('after'))).statusCode, 200);
    });

    it('access log lines are JSON with the Lambda request id', () => {
      const line = subject.logs.messages('request').find((l) => l.requestId === 'req-http-api-csv-base64.json');
      assert.ok(line, 'no access log line for the request');
      assert.equal(line.status, 200);
      assert.equal(line.role, 'lambda');
      assert.equal(subject.logs.messages('lambda handler ready').length, 1);
    });
  });

  describe('model from MODEL_TARBALL, limits, configuration', () => {
    it('MODEL_TARBALL is unpacked once per execution environment, to the temporary folder', async () => {
      // The archive is unpacked under os.tmpdir() (Lambda: /tmp): here, inside this file's
      // temporary folder, which the after hook removes with everything in it.
      const previous = process.env.TMPDIR;
      process.env.TMPDIR = tmp.path;
      let created: ReturnType<typeof lambda>;
      try {
        created = lambda({ MODEL_TARBALL: tarball });
        await created.handler.ready;
      } finally {
        if (previous === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = previous;
      }
      const { handler, logs } = created;
      const env = await handler.ready;
      assert.equal(env.unpackedFrom, tarball);
      assert.equal(path.dirname(env.modelDir!), tmp.path);
      for (let i = 0; i < 3; i++) assert.equal((await handler(fixture('http-api-csv-base64.json'), context(`t${i}`))).statusCode, 200);
      assert.equal((await handler(fixture('http-api-ping.json'), context('ping'))).statusCode, 200);
      assert.equal(handler.unpacks, 1);
      assert.equal(logs.messages('model unpacked from MODEL_TARBALL').length, 1);
      assert.equal(logs.messages('lambda handler ready')[0]!.model, 'ready');
      // The same model as the folder it was packed from.
      assert.deepEqual(
        JSON.parse(await readFile(path.join(env.modelDir!, 'manifest.json'), 'utf8')),
        JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8')),
      );
    });

    const unavailable: Record<string, { make: () => Promise<string>; reason: RegExp }> = {
      missing: {
        make: async () => path.join(tmp.path, 'nowhere', 'model.tar.gz'),
        reason: /^MODEL_TARBALL=.*nowhere\/model\.tar\.gz: no such file or directory$/,
      },
      truncated: {
        make: async () => {
          const bytes = await readFile(tarball);
          const cut = tmp.next('truncated', '.tar.gz');
          await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
          return cut;
        },
        reason: /^MODEL_TARBALL=.*: cannot unpack it: /,
      },
      'not a model': {
        make: async () => {
          const folder = tmp.next('other');
          await mkdir(folder);
          await writeFile(path.join(folder, 'notes.txt'), 'no model here');
          const archive = tmp.next('other', '.tar.gz');
          await createTar({ gzip: true, file: archive, cwd: folder }, ['.']);
          return archive;
        },
        reason: /the archive holds no manifest\.json/,
      },
    };
    for (const [kind, { make, reason }] of Object.entries(unavailable)) {
      it(`a ${kind} MODEL_TARBALL: /ping and /invocations answer 503, the log says why, the handler stays up`, async () => {
        const { handler, logs } = lambda({ MODEL_TARBALL: await make() });
        const ping = await handler(fixture('http-api-ping.json'), context('p'));
        assert.equal(ping.statusCode, 503);
        assert.match(JSON.parse(ping.body).error, /model could not be loaded/);
        assert.equal((await handler(fixture('http-api-csv-base64.json'), context('i'))).statusCode, 503);
        const state = (await handler.ready).deps.model.state;
        assert.equal(state.status, 'failed');
        assert.match(state.status === 'failed' ? state.reason : '', reason);
        assert.match(String(logs.messages('model could not be located: /ping answers 503')[0]?.reason), reason);
        assert.equal(handler.unpacks, 0);
      });
    }

    it('a model folder without a model: 503, as the HTTP server', async () => {
      const { handler } = lambda({ SM_MODEL_DIR: tmp.path });
      assert.equal((await handler(fixture('function-url-ping.json'), context('p'))).statusCode, 503);
    });

    it('the bundle the Lambda image loads (dist/bundle/lambda.js) exports a handler that answers, logging JSON lines on stdout', async () => {
      // What Lambda's Node 20 runtime does with CMD ["lambda.handler"]: import the ES module, call its handler.
      const script = [
        `import { handler } from ${JSON.stringify(path.join(REPO_ROOT, 'dist', 'bundle', 'lambda.js'))};`,
        'const result = await handler(JSON.parse(process.argv[1]), { awsRequestId: "bundle-1" });',
        'process.stdout.write("RESULT " + JSON.stringify(result) + "\\n");',
      ].join('\n');
      const event = JSON.stringify(fixture('http-api-csv-fill.json'));
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script, event],
          { env: cleanEnv({ BYOC_MODEL_DIR: modelDir }), timeout: 30_000 },
          (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
        );
      });
      const lines = stdout.trimEnd().split('\n');
      const result = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice(7)) as LambdaResult;
      assert.equal(result.statusCode, 200);
      assert.match(result.body, /^id,colour,size\nq1,\w+,10\n/);
      const logs = lines.filter((l) => !l.startsWith('RESULT ')).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(logs.some((l) => l.msg === 'request' && l.requestId === 'bundle-1' && l.role === 'lambda'));
    });

    it("an answer over Lambda's response cap is a 413 that says to send fewer rows", async () => {
      const { handler } = lambda({ BYOC_MODEL_DIR: modelDir }, 4096);
      const rows = Array.from({ length: 200 }, (_, i) => `q${i},,`).join('\n');
      const result = await handler({ body: `id,colour,size\n${rows}\n` }, context('big'));
      assert.equal(result.statusCode, 413);
      assert.match(
        JSON.parse(result.body).error,
        /^the answer \(\d+ bytes\) is larger than Lambda's response limit of 4096 bytes; send fewer rows per request$/,
      );
      assert.equal((await handler(fixture('direct-csv.json'), context('small'))).statusCode, 200);
    });

    it('an invalid configuration fails every invocation with the key named (a deployment error, not an answer)', async () => {
      const { handler, logs } = lambda({ BYOC_MODEL_DIR: modelDir, BYOC_MAX_PAYLOAD_MB: 'lots' });
      await assert.rejects(handler(fixture('http-api-ping.json'), context('c')), /BYOC_MAX_PAYLOAD_MB|server\.maxPayloadMb/);
      await assert.rejects(handler.ready);
      assert.match(String(logs.messages('lambda handler cannot start')[0]?.reason), /maxPayloadMb/);
    });
  });
});
