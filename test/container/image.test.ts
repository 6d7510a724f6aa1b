/**
 * Container end-to-end test (`npm run test:container`): builds the real
 * container/image/Dockerfile with podman and runs the image exactly as SageMaker does:
 *   - `IMAGE train` on a temp copy of test/sagemaker_fs mounted at /opt/ml → model/manifest.json
 *   - `IMAGE serve` with SAGEMAKER_BIND_TO_PORT → /ping, CSV and JSON /invocations,
 *     /execution-parameters, SIGTERM → exit 0
 *   - a bad hyperparameter → non-zero exit and output/failure on the mounted tree
 *   - container/local/{train_local,serve_local,impute}.sh against the built image
 * Set-up (as root when something is missing): apt-get install podman runc debootstrap,
 * containers.conf default_ulimits, and the stand-in base image localhost/node:20-bookworm-slim
 * (built once, then reused). Measured figures are printed as test diagnostics.
 *
 * It only runs under `npm run test:container` (or BYOC_CONTAINER_TEST=1): plain `npm test`
 * matches this file too and skips it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  BASE_IMAGE,
  PODMAN,
  REPO_ROOT,
  TEST_IMAGE,
  cleanupAll,
  forceRemove,
  freePort,
  request,
  run,
  start,
  trackContainer,
  invoke,
  waitForReady,
  within,
} from './podman.js';

const enabled = process.env.npm_lifecycle_event === 'test:container' || process.env.BYOC_CONTAINER_TEST === '1';
const MIN = 60_000;
const SAMPLE_FS = path.join(REPO_ROOT, 'test', 'sagemaker_fs');
const TEST_CSV = path.join(REPO_ROOT, 'container', 'local', 'test.csv');
/** Default: the checked-in sample as is (datawig). BYOC_CONTAINER_TEST_ALGORITHM=baseline overrides. */
const ALGORITHM = process.env.BYOC_CONTAINER_TEST_ALGORITHM;
const id = `${process.pid}-${Date.now().toString(36)}`;

const figures: Record<string, string> = {};
let loading503s = 0;
/** Counts 503 "model is loading" answers that came after /ping said 200 (reported, retried). */
function noteLoading503(): void {
  loading503s += 1;
  figures['NOTE 503 after /ping 200'] = `${loading503s} invocation(s) answered 503 "model is loading" after /ping had answered 200 (retried)`;
}
const tempDirs: string[] = [];

async function tempCopyOfSampleFs(hyperparameters?: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'byoc-container-'));
  tempDirs.push(dir);
  await cp(SAMPLE_FS, dir, { recursive: true });
  await rm(path.join(dir, 'model'), { recursive: true, force: true });
  await rm(path.join(dir, 'output'), { recursive: true, force: true });
  const hpsFile = path.join(dir, 'input', 'config', 'hyperparameters.json');
  const hps = hyperparameters ?? (JSON.parse(await readFile(hpsFile, 'utf8')) as Record<string, unknown>);
  if (ALGORITHM && !hyperparameters) (hps as Record<string, unknown>).algorithm = ALGORITHM;
  await writeFile(hpsFile, JSON.stringify(hps));
  return dir;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function podmanRun(name: string, mlRoot: string, args: readonly string[], extra: readonly string[] = []): string[] {
  return [...PODMAN.slice(1), 'run', '--rm', '--name', trackContainer(name), '--network', 'host', '-v', `${mlRoot}:/opt/ml`, ...extra, TEST_IMAGE, ...args];
}

describe('container image (podman)', { skip: enabled ? false : 'run with `npm run test:container`' }, () => {
  let trainedFs = '';
  const suiteStart = Date.now();

  before(
    async () => {
      const setup = await run(path.join(REPO_ROOT, 'container', 'local', 'setup_podman.sh'), [], { timeoutMs: 10 * MIN });
      assert.equal(setup.code, 0, `setup_podman.sh failed:\n${setup.stdout}\n${setup.stderr}`);
      figures['podman setup'] = `${(setup.ms / 1000).toFixed(1)} s`;

      const base = await run(path.join(REPO_ROOT, 'container', 'local', 'build_base_image.sh'), [], {
        timeoutMs: 15 * MIN,
        env: { CONTAINER_ENGINE: 'podman', BASE_TAG: BASE_IMAGE },
      });
      assert.equal(base.code, 0, `build_base_image.sh failed:\n${base.stdout.slice(-3000)}\n${base.stderr.slice(-3000)}`);
      figures['stand-in base image (cached when present)'] = `${(base.ms / 1000).toFixed(1)} s`;

      const previous = await run(PODMAN[0]!, [...PODMAN.slice(1), 'image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE], { timeoutMs: MIN });
      const build = await run(
        PODMAN[0]!,
        [
          ...PODMAN.slice(1),
          'build',
          '--network',
          'host',
          '--build-arg',
          `BASE_IMAGE=${BASE_IMAGE}`,
          '-f',
          'container/image/Dockerfile',
          // the SageMaker image: the lambda stage's base image is never pulled, whatever the builder's defaults
          '--target',
          'runtime',
          '-t',
          TEST_IMAGE,
          '.',
        ],
        { timeoutMs: 20 * MIN },
      );
      assert.equal(build.code, 0, `image build failed:\n${build.stdout.slice(-6000)}\n${build.stderr.slice(-3000)}`);
      figures['image build'] = `${(build.ms / 1000).toFixed(1)} s`;
      // Drop the image this build replaced (layers shared with the new one stay), so that
      // repeated runs do not pile up old test images.
      const oldId = previous.code === 0 ? previous.stdout.trim() : '';
      if (oldId) {
        const now = await run(PODMAN[0]!, [...PODMAN.slice(1), 'image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE], { timeoutMs: MIN });
        if (now.stdout.trim() !== oldId) await run(PODMAN[0]!, [...PODMAN.slice(1), 'rmi', oldId], { timeoutMs: MIN });
      }

      const size = await run(PODMAN[0]!, [...PODMAN.slice(1), 'image', 'inspect', '--format', '{{.Size}}', TEST_IMAGE], { timeoutMs: MIN });
      const baseSize = await run(PODMAN[0]!, [...PODMAN.slice(1), 'image', 'inspect', '--format', '{{.Size}}', BASE_IMAGE], { timeoutMs: MIN });
      const mb = (s: string) => (Number(s.trim()) / 1e6).toFixed(0);
      figures['image size'] =
        `${mb(size.stdout)} MB (base ${mb(baseSize.stdout)} MB, app layers ${((Number(size.stdout) - Number(baseSize.stdout)) / 1e6).toFixed(0)} MB)`;
    },
    { timeout: 45 * MIN },
  );

  after(async () => {
    await cleanupAll();
    for (const d of tempDirs) await rm(d, { recursive: true, force: true });
    figures['whole container test'] = `${((Date.now() - suiteStart) / 1000).toFixed(1)} s`;
    for (const [k, v] of Object.entries(figures)) console.log(`figure: ${k}: ${v}`);
  });

  it('image: exec-form ENTRYPOINT, WORKDIR /opt/program, SageMaker label, config next to dist', { timeout: 2 * MIN }, async () => {
    const r = await run(PODMAN[0]!, [...PODMAN.slice(1), 'image', 'inspect', TEST_IMAGE], { timeoutMs: MIN });
    assert.equal(r.code, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as [{ Config: { Entrypoint: string[]; WorkingDir: string; Labels: Record<string, string>; Env: string[] } }];
    assert.deepEqual(info.Config.Entrypoint, ['node', '/opt/program/dist/bundle/byoc.js']);
    assert.equal(info.Config.WorkingDir, '/opt/program');
    assert.equal(info.Config.Labels['com.amazonaws.sagemaker.capabilities.accept-bind-to-port'], 'true');
    assert.equal(info.Config.Labels['com.amazonaws.sagemaker.capabilities.multi-models'], 'true');
    assert.ok(info.Config.Env.includes('NODE_ENV=production'));
    const ls = await run(
      PODMAN[0]!,
      [
        ...PODMAN.slice(1),
        'run',
        '--rm',
        '--name',
        trackContainer(`byoc-test-ls-${id}`),
        '--entrypoint',
        'sh',
        TEST_IMAGE,
        '-c',
        'ls /opt/program/config /opt/program/dist/container/image && ls /opt/program/node_modules | wc -l && test ! -e /opt/program/node_modules/typescript && echo no-dev-deps',
      ],
      { timeoutMs: MIN },
    );
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /default\.yaml/);
    assert.match(ls.stdout, /main\.js/);
    assert.match(ls.stdout, /no-dev-deps/);
  });

  it('`train` writes the model (manifest.json) to the mounted /opt/ml and prints METRIC lines', { timeout: 20 * MIN }, async () => {
    const fs = await tempCopyOfSampleFs();
    const r = await run(PODMAN[0]!, podmanRun(`byoc-test-train-${id}`, fs, ['train']), { timeoutMs: 15 * MIN, container: `byoc-test-train-${id}` });
    figures['train (imdb sample, container run)'] = `${(r.ms / 1000).toFixed(1)} s`;
    assert.equal(r.code, 0, `train failed (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    assert.ok(await exists(path.join(fs, 'model', 'manifest.json')), 'model/manifest.json missing');
    assert.equal(await exists(path.join(fs, 'output', 'failure')), false, 'output/failure written on success');
    assert.match(r.stdout, /^METRIC [A-Za-z0-9_.:-]+=[-+0-9.eE]+/m);
    const backendLine = (r.stdout + r.stderr).split('\n').find((l) => /backend ready/i.test(l));
    if (backendLine) figures['TensorFlow.js backend (training log)'] = /"backend":"([^"]+)"/.exec(backendLine)?.[1] ?? backendLine.slice(0, 200);
    trainedFs = fs;
  });

  it('`serve`: /ping, CSV and JSON /invocations, /execution-parameters, SIGTERM → exit 0', { timeout: 10 * MIN }, async (t) => {
    if (!trainedFs) return t.skip('training failed');
    const port = await freePort();
    const name = `byoc-test-serve-${id}`;
    const startedAt = Date.now();
    const server = start(PODMAN[0]!, podmanRun(name, trainedFs, ['serve'], ['-e', `SAGEMAKER_BIND_TO_PORT=${port}`]));
    try {
      const ready = await waitForReady(port, 2 * MIN, server.exited).catch((err: Error) => {
        throw new Error(`${err.message}\n--- server output\n${server.output().slice(-4000)}`);
      });
      figures['serve cold start (podman run → first /ping 200)'] = `${(ready.firstOkMs / 1000).toFixed(2)} s`;
      figures['serve cold start (→ /ping 200 from every worker)'] = `${(ready.stableMs / 1000).toFixed(2)} s`;
      if (ready.flapped) {
        figures['NOTE /ping'] = 'answered non-200 after its first 200 (a worker was still loading the model)';
        t.diagnostic('/ping answered non-200 after its first 200: a worker was still loading its model');
      }

      const ping = await request(port, 'GET', '/ping');
      assert.equal(ping.status, 200);
      assert.equal(ping.body, '');

      // CSV: the test file (header + 50 reviews) → one output row per input row, imputed column added
      const csvIn = await readFile(TEST_CSV, 'utf8');
      const inRows = parse(csvIn) as string[][];
      const t0 = Date.now();
      const csv = await invoke(port, csvIn, { 'Content-Type': 'text/csv', Accept: 'text/csv' }, { onRetry: noteLoading503 });
      figures['CSV invocation, 50 rows'] = `${Date.now() - t0} ms`;
      assert.equal(csv.status, 200, csv.body);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      const outRows = parse(csv.body) as string[][];
      assert.equal(outRows.length, inRows.length, 'one output row per input row (plus header)');
      assert.ok(outRows[0]!.length > inRows[0]!.length, `no imputed column in header ${outRows[0]!.join(',')}`);
      assert.ok(
        outRows[0]!.some((h) => h.startsWith('rating_binary') && h !== 'rating_binary'),
        outRows[0]!.join(','),
      );

      // JSON {"instances": [...]}
      const json = await invoke(
        port,
        JSON.stringify({ instances: [{ review: 'A wonderful, moving film with great acting.' }, { review: 'Dull and far too long.' }] }),
        { 'Content-Type': 'application/json', Accept: 'application/json' },
        { onRetry: noteLoading503 },
      );
      assert.equal(json.status, 200, json.body);
      assert.match(String(json.headers['content-type']), /application\/json/);
      const parsed = JSON.parse(json.body) as Record<string, unknown>;
      const records = (parsed.instances ?? parsed.predictions) as unknown[];
      assert.ok(Array.isArray(records) && records.length === 2, json.body);
      assert.match(json.body, /rating_binary/);

      const params = await request(port, 'GET', '/execution-parameters');
      assert.equal(params.status, 200);
      const ep = JSON.parse(params.body) as Record<string, unknown>;
      assert.ok(Number.isInteger(ep.MaxConcurrentTransforms) && (ep.MaxConcurrentTransforms as number) >= 1, params.body);
      assert.ok(['MULTI_RECORD', 'SINGLE_RECORD'].includes(ep.BatchStrategy as string), params.body);
      assert.ok(Number.isInteger(ep.MaxPayloadInMB), params.body);

      // SIGTERM, as SageMaker sends it: drain and exit 0
      const stopAt = Date.now();
      const kill = await run(PODMAN[0]!, [...PODMAN.slice(1), 'kill', '--signal', 'TERM', name], { timeoutMs: MIN });
      assert.equal(kill.code, 0, kill.stderr);
      const exit = await within(server.exited, 40_000, 'no exit within 40 s of SIGTERM');
      figures['SIGTERM → container exit'] = `${((Date.now() - stopAt) / 1000).toFixed(2)} s`;
      assert.equal(exit.code, 0, `exit after SIGTERM: ${JSON.stringify(exit)}\n${server.output().slice(-3000)}`);
      await assert.rejects(request(port, 'GET', '/ping', { timeoutMs: 2000 }));
      figures['serve session total'] = `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
    } finally {
      if (server.child.exitCode === null) await forceRemove(name);
    }
  });

  it('serverless profile: --memory=2g, one worker, 4 MB bodies: cold start and peak memory with the datawig model', { timeout: 10 * MIN }, async () => {
    assert.ok(trainedFs, 'the train test above left a model');
    const port = await freePort();
    const name = `byoc-test-serverless-${id}`;
    // the profile of docs/hosting.md: SageMaker Serverless Inference gives 1-6 GB and 4 MB payloads
    const profile = [
      '--memory',
      '2g',
      '-e',
      `SAGEMAKER_BIND_TO_PORT=${port}`,
      '-e',
      'SAGEMAKER_MODEL_SERVER_WORKERS=1',
      '-e',
      'BYOC_MAX_PAYLOAD_MB=4',
      '-e',
      'BYOC_INFERENCE_THREAD=false',
    ];
    const server = start(PODMAN[0]!, podmanRun(name, trainedFs, ['serve'], profile));
    try {
      const ready = await waitForReady(port, 2 * MIN, server.exited).catch((err: Error) => {
        throw new Error(`${err.message}\n--- server output\n${server.output().slice(-4000)}`);
      });
      figures['serverless profile: cold start (podman run → /ping 200)'] = `${(ready.firstOkMs / 1000).toFixed(2)} s`;
      const csvIn = await readFile(TEST_CSV, 'utf8');
      for (let i = 0; i < 20; i++) {
        const res = await invoke(port, csvIn, { 'Content-Type': 'text/csv' }, { onRetry: noteLoading503 });
        assert.equal(res.status, 200, res.body);
      }
      // the cgroup's own high-water mark (v2 memory.peak, else v1 max_usage_in_bytes)
      const peak = await run(
        PODMAN[0]!,
        [...PODMAN.slice(1), 'exec', name, 'sh', '-c', 'cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes'],
        { timeoutMs: MIN },
      );
      assert.equal(peak.code, 0, peak.stderr);
      const peakMb = Number(peak.stdout.trim()) / 1024 / 1024;
      assert.ok(peakMb > 0 && peakMb < 2048, `peak ${peakMb} MB within the 2 GB limit`);
      figures['serverless profile: peak memory after 20 invocations (cgroup)'] = `${peakMb.toFixed(0)} MB`;
    } finally {
      await forceRemove(name);
    }
  });

  it(
    'batch transform emulation: SAGEMAKER_BATCH=true, line-split chunks (header only in the first) join to the whole-file output',
    { timeout: 10 * MIN },
    async (t) => {
      if (!trainedFs) return t.skip('training failed');
      const port = await freePort();
      const name = `byoc-test-batch-${id}`;
      const server = start(
        PODMAN[0]!,
        podmanRun(name, trainedFs, ['serve'], ['-e', `SAGEMAKER_BIND_TO_PORT=${port}`, '-e', 'SAGEMAKER_BATCH=true', '-e', 'SAGEMAKER_MAX_PAYLOAD_IN_MB=20']),
      );
      try {
        await waitForReady(port, 2 * MIN, server.exited).catch((err: Error) => {
          throw new Error(`${err.message}\n--- server output\n${server.output().slice(-4000)}`);
        });
        const params = JSON.parse((await request(port, 'GET', '/execution-parameters')).body) as Record<string, unknown>;
        assert.equal(params.MaxPayloadInMB, 20, JSON.stringify(params));

        const whole = await readFile(TEST_CSV, 'utf8');
        const post = async (body: string): Promise<string> => {
          const r = await invoke(port, body, { 'Content-Type': 'text/csv', Accept: 'text/csv' }, { onRetry: noteLoading503 });
          assert.equal(r.status, 200, r.body);
          return r.body;
        };
        const wholeOut = await post(whole);
        // SplitType=Line: cut the file at line boundaries; only the first chunk has the header
        const lines = whole.split('\n').filter((l) => l !== '');
        const chunks: string[] = [];
        for (const [from, to] of [
          [0, 8],
          [8, 21],
          [21, 22],
          [22, lines.length],
        ] as const)
          chunks.push(`${lines.slice(from, to).join('\n')}\n`);
        const outs: string[] = [];
        for (const c of chunks) outs.push(await post(c));
        const joined = outs.map((o) => (o.endsWith('\n') ? o : `${o}\n`)).join('');
        const norm = (x: string) => x.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
        assert.deepEqual(norm(joined), norm(wholeOut), 'AssembleWith=Line output of the chunks differs from the whole-file output');
        assert.equal(norm(joined).length, lines.length);
      } finally {
        await run(PODMAN[0]!, [...PODMAN.slice(1), 'kill', '--signal', 'TERM', name], { timeoutMs: MIN }).catch(() => undefined);
        await within(server.exited, 40_000, 'batch server did not exit after SIGTERM').catch(() => forceRemove(name));
      }
    },
  );

  it('a failing training job (bad hyperparameter) exits non-zero and leaves output/failure', { timeout: 5 * MIN }, async () => {
    const fs = await tempCopyOfSampleFs({
      feature_columns: 'review',
      label_column: 'rating_binary',
      num_epochs: 'ten',
      ...(ALGORITHM ? { algorithm: ALGORITHM } : {}),
    });
    const r = await run(PODMAN[0]!, podmanRun(`byoc-test-fail-${id}`, fs, ['train']), { timeoutMs: 4 * MIN, container: `byoc-test-fail-${id}` });
    assert.notEqual(r.code, 0, 'training with num_epochs=ten must fail');
    const failure = await readFile(path.join(fs, 'output', 'failure'), 'utf8');
    assert.match(failure, /num_epochs/, `failure file does not name the hyperparameter: ${failure}`);
    assert.equal(await exists(path.join(fs, 'model', 'manifest.json')), false);
  });

  it('container/local scripts: train_local.sh, serve_local.sh, impute.sh against the image', { timeout: 20 * MIN }, async () => {
    const fs = await tempCopyOfSampleFs();
    const env = { CONTAINER_ENGINE: 'podman', SAGEMAKER_FS: fs };
    const train = await run(
      path.join(REPO_ROOT, 'container', 'local', 'train_local.sh'),
      [TEST_IMAGE, '--name', trackContainer(`byoc-test-local-train-${id}`)],
      {
        timeoutMs: 15 * MIN,
        env,
        container: `byoc-test-local-train-${id}`,
      },
    );
    assert.equal(train.code, 0, `${train.stdout.slice(-3000)}\n${train.stderr.slice(-3000)}`);
    assert.match(train.stdout, /manifest\.json/);

    const port = await freePort();
    const name = trackContainer(`byoc-test-local-serve-${id}`);
    const server = start(path.join(REPO_ROOT, 'container', 'local', 'serve_local.sh'), [TEST_IMAGE], {
      env: { ...env, PORT: String(port), CONTAINER_NAME: name },
    });
    try {
      const impute = await run(path.join(REPO_ROOT, 'container', 'local', 'impute.sh'), [TEST_CSV], {
        timeoutMs: 3 * MIN,
        env: { PORT: String(port), PING_TIMEOUT: '120' },
      });
      assert.equal(impute.code, 0, `${impute.stderr}\n--- server\n${server.output().slice(-3000)}`);
      assert.match(impute.stderr, /ping OK/);
      const rows = parse(impute.stdout) as string[][];
      assert.equal(rows.length, 51);
      await run(PODMAN[0]!, [...PODMAN.slice(1), 'kill', '--signal', 'TERM', name], { timeoutMs: MIN });
      const exit = await within(server.exited, 40_000, 'serve_local.sh did not exit within 40 s of SIGTERM');
      assert.equal(exit.code, 0);
    } finally {
      if (server.child.exitCode === null) await forceRemove(name);
    }
  });
});
