import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_CONFIG_FILE, ENVIRONMENT_VARIABLES, loadConfig } from '../../framework/runtime/config.js';
import { answerConfigRequests, requestConfig } from '../../framework/runtime/config-handoff.js';
import { payloadLimitBytes, resolveWorkerCount } from '../../framework/runtime/server-settings.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tmp = useTempDir('byoc-config-');

async function yamlFile(text: string): Promise<string> {
  const file = tmp.next('c', '.yaml');
  await writeFile(file, text);
  return file;
}

/** Asserts a ConfigError whose message contains every string. */
function configError(env: Record<string, string>, ...parts: string[]): void {
  assert.throws(
    () => loadConfig({ env }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      for (const part of parts) assert.ok(error.message.includes(part), `"${error.message}" should include "${part}"`);
      return true;
    },
  );
}

describe('loadConfig: config/default.yaml', () => {
  it('loads and validates with the documented defaults', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.workers, 'auto');
    assert.equal(config.server.timeoutSeconds, 60);
    assert.equal(config.server.maxPayloadMb, 6);
    assert.equal(config.batch.enabled, false);
    assert.equal(config.batch.strategy, 'MULTI_RECORD');
    assert.deepEqual(config.plugins, []);
    assert.equal(config.logging.level, 'info');
    assert.equal(typeof config.algorithm.default, 'string');
  });

  it('the hosting profiles of config/profiles load over the defaults (BYOC_CONFIG)', () => {
    const profile = (name: string) => loadConfig({ env: { BYOC_CONFIG: path.join(path.dirname(DEFAULT_CONFIG_FILE), 'profiles', name) } });
    const asyncInference = profile('async-inference.yaml');
    assert.equal(payloadLimitBytes(asyncInference), 1024 * 1024 * 1024);
    assert.equal(asyncInference.server.timeoutSeconds, 900);
    assert.equal(asyncInference.server.streamMinMb, 8, 'large CSV bodies stream');
    const serverless = profile('serverless.yaml');
    assert.equal(payloadLimitBytes(serverless), 4 * 1024 * 1024);
    assert.equal(resolveWorkerCount(serverless), 1);
    assert.equal(serverless.server.inferenceThread, false);
  });

  it('documents every environment variable in default.yaml', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(DEFAULT_CONFIG_FILE, 'utf8');
    for (const { names } of ENVIRONMENT_VARIABLES) {
      for (const name of names) assert.ok(text.includes(name), `${name} is documented in default.yaml`);
    }
  });

  it('a missing or invalid default file is a ConfigError naming it', async () => {
    const missing = path.join(tmp.path, 'nope.yaml');
    assert.throws(
      () => loadConfig({ env: {}, defaultFile: missing }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(missing),
    );
    const bad = await yamlFile('server: [unclosed\n');
    assert.throws(
      () => loadConfig({ env: {}, defaultFile: bad }),
      (e: unknown) => e instanceof ConfigError && /not valid YAML/.test(e.message),
    );
    const list = await yamlFile('- a\n- b\n');
    assert.throws(() => loadConfig({ env: {}, defaultFile: list }), /must hold a mapping/);
  });
});

/** Loads the configuration from `env` alone and compares the settings named by their dotted paths. */
function assertSettings(env: Record<string, string>, expected: Record<string, unknown>): void {
  const config = loadConfig({ env });
  const at = (key: string): unknown => key.split('.').reduce<unknown>((value, name) => (value as Record<string, unknown>)[name], config);
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((key) => [key, at(key)])), expected);
}

describe('loadConfig: environment overrides', () => {
  it('SageMaker and BYOC variables override the file', () => {
    assertSettings(
      {
        SAGEMAKER_BIND_TO_PORT: '9090',
        MODEL_SERVER_WORKERS: '3',
        MODEL_SERVER_TIMEOUT: '7.5',
        BYOC_MAX_PAYLOAD_MB: '2',
        BYOC_LOG_LEVEL: 'warn',
        BYOC_PLUGINS: ' @a/one , /abs/two.js ,,',
        BYOC_DEFAULT_ALGORITHM: 'baseline',
        SAGEMAKER_BATCH: 'TRUE',
        SAGEMAKER_MAX_PAYLOAD_IN_MB: '20',
        SAGEMAKER_BATCH_STRATEGY: 'SINGLE_RECORD',
        SAGEMAKER_MAX_CONCURRENT_TRANSFORMS: '4',
      },
      {
        'server.port': 9090,
        'server.workers': 3,
        'server.timeoutSeconds': 7.5,
        'server.maxPayloadMb': 2,
        'logging.level': 'warn',
        plugins: ['@a/one', '/abs/two.js'],
        'algorithm.default': 'baseline',
        'batch.enabled': true,
        'batch.maxPayloadMb': 20,
        'batch.strategy': 'SINGLE_RECORD',
        'batch.maxConcurrentTransforms': 4,
      },
    );
  });

  it('SAGEMAKER_MODEL_SERVER_WORKERS / _TIMEOUT win over MODEL_SERVER_WORKERS / _TIMEOUT', () => {
    const env = { MODEL_SERVER_WORKERS: '3', SAGEMAKER_MODEL_SERVER_WORKERS: '5', MODEL_SERVER_TIMEOUT: '10', SAGEMAKER_MODEL_SERVER_TIMEOUT: '20' };
    assertSettings(env, { 'server.workers': 5, 'server.timeoutSeconds': 20 });
  });

  it('an empty variable counts as unset', () => {
    assertSettings({ SAGEMAKER_MODEL_SERVER_WORKERS: '', MODEL_SERVER_WORKERS: '2', SAGEMAKER_BIND_TO_PORT: '' }, { 'server.workers': 2, 'server.port': 8080 });
  });

  it('training input limits: defaults, and their variables', () => {
    assertSettings({}, { 'training.maxChannelMb': 16384, 'training.maxChannelRows': 50_000_000, 'training.maxTableHeapShare': 0.7 });
    assertSettings(
      { BYOC_MAX_CHANNEL_MB: '50', BYOC_MAX_CHANNEL_ROWS: '1000', BYOC_MAX_TABLE_HEAP_SHARE: '0.25' },
      { 'training.maxChannelMb': 50, 'training.maxChannelRows': 1000, 'training.maxTableHeapShare': 0.25 },
    );
    configError({ BYOC_MAX_CHANNEL_ROWS: '2.5' }, 'training.maxChannelRows', 'BYOC_MAX_CHANNEL_ROWS');
    configError({ BYOC_MAX_CHANNEL_MB: '0' }, 'training.maxChannelMb', 'BYOC_MAX_CHANNEL_MB');
    configError({ BYOC_MAX_TABLE_HEAP_SHARE: '1.5' }, 'training.maxTableHeapShare', 'BYOC_MAX_TABLE_HEAP_SHARE');
    configError({ BYOC_MAX_CHANNEL_MB: '0x10' }, 'BYOC_MAX_CHANNEL_MB', 'expected a number');
  });

  it('"auto" workers resolve to the CPU count', () => {
    const config = loadConfig({ env: { MODEL_SERVER_WORKERS: 'AUTO' } });
    assert.equal(config.server.workers, 'auto');
    assert.equal(resolveWorkerCount(config), Math.max(1, os.availableParallelism()));
    assert.equal(resolveWorkerCount(loadConfig({ env: { MODEL_SERVER_WORKERS: '7' } })), 7);
  });

  it('payload limit: real-time limit, or the batch limit when SAGEMAKER_BATCH=true', () => {
    assert.equal(payloadLimitBytes(loadConfig({ env: {} })), 6 * 1024 * 1024);
    assert.equal(payloadLimitBytes(loadConfig({ env: { BYOC_MAX_PAYLOAD_MB: '1' } })), 1024 * 1024);
    assert.equal(payloadLimitBytes(loadConfig({ env: { SAGEMAKER_MAX_PAYLOAD_IN_MB: '20' } })), 6 * 1024 * 1024);
    assert.equal(payloadLimitBytes(loadConfig({ env: { SAGEMAKER_BATCH: 'true', SAGEMAKER_MAX_PAYLOAD_IN_MB: '20' } })), 20 * 1024 * 1024);
  });
});

describe('loadConfig: bad values are ConfigErrors naming the variable (and the key)', () => {
  it('non-numeric numbers and non-boolean booleans name the variable and the value', () => {
    configError({ MODEL_SERVER_WORKERS: 'many' }, 'MODEL_SERVER_WORKERS', '"many"', 'number');
    configError({ SAGEMAKER_BIND_TO_PORT: '80a' }, 'SAGEMAKER_BIND_TO_PORT', 'number');
    configError({ MODEL_SERVER_TIMEOUT: 'Infinity' }, 'MODEL_SERVER_TIMEOUT');
    configError({ SAGEMAKER_BATCH: 'maybe' }, 'SAGEMAKER_BATCH', 'true or false');
  });

  it('out-of-range values name the key and the variable they came from', () => {
    configError({ MODEL_SERVER_WORKERS: '0' }, 'server.workers', 'MODEL_SERVER_WORKERS');
    configError({ SAGEMAKER_MODEL_SERVER_WORKERS: '2.5' }, 'server.workers', 'SAGEMAKER_MODEL_SERVER_WORKERS');
    configError({ SAGEMAKER_BIND_TO_PORT: '70000' }, 'server.port', 'SAGEMAKER_BIND_TO_PORT');
    configError({ MODEL_SERVER_TIMEOUT: '-1' }, 'server.timeoutSeconds', 'MODEL_SERVER_TIMEOUT');
    configError({ BYOC_LOG_LEVEL: 'chatty' }, 'logging.level', 'BYOC_LOG_LEVEL');
    configError({ SAGEMAKER_BATCH_STRATEGY: 'ALL' }, 'batch.strategy', 'SAGEMAKER_BATCH_STRATEGY');
  });

  it('reports every problem at once', () => {
    configError({ MODEL_SERVER_WORKERS: '0', BYOC_LOG_LEVEL: 'x' }, 'server.workers', 'logging.level');
  });
});

describe('loadConfig: BYOC_CONFIG file', () => {
  it('is merged over default.yaml, and environment variables win over it', async () => {
    const file = await yamlFile('server:\n  port: 9000\n  timeoutSeconds: 5\nlogging:\n  level: debug\nplugins: ["@team/algo"]\n');
    const config = loadConfig({ env: { BYOC_CONFIG: file, SAGEMAKER_BIND_TO_PORT: '9100' } });
    assert.equal(config.server.port, 9100, 'env beats the file');
    assert.equal(config.server.timeoutSeconds, 5, 'file beats the default');
    assert.equal(config.server.maxPayloadMb, 6, 'keys the file does not set keep their defaults (deep merge)');
    assert.equal(config.logging.level, 'debug');
    assert.deepEqual(config.plugins, ['@team/algo']);
  });

  it('an empty file changes nothing', async () => {
    const file = await yamlFile('# nothing\n');
    assert.deepEqual(loadConfig({ env: { BYOC_CONFIG: file } }), loadConfig({ env: {} }));
  });

  it('unknown keys are refused and named', async () => {
    const file = await yamlFile('servr:\n  port: 1\nserver:\n  prot: 2\n');
    configError({ BYOC_CONFIG: file }, 'servr', 'prot', 'server');
  });

  it('a bad value in the file names the key', async () => {
    const file = await yamlFile('server:\n  workers: lots\n');
    configError({ BYOC_CONFIG: file }, 'server.workers');
  });

  it('a missing file is a ConfigError naming it', () => {
    const missing = path.join(tmp.path, 'missing.yaml');
    configError({ BYOC_CONFIG: missing }, missing);
  });
});

describe('configuration handed from the serving primary to its workers', () => {
  /** Both ends of a cluster IPC channel, in process: what one end sends, the other end emits. */
  function channel() {
    const primarySide = new EventEmitter();
    const workerSide = new EventEmitter();
    let connected = true;
    const worker = Object.assign(primarySide, {
      isConnected: () => connected,
      send: (message: unknown) => void setImmediate(() => workerSide.emit('message', message)),
    });
    const primary = Object.assign(workerSide, {
      send: (message: unknown) => void setImmediate(() => primarySide.emit('message', message)),
    });
    return { worker, primary, disconnect: () => (connected = false) };
  }

  it('a worker that asks before the primary has the configuration gets exactly the validated one once it has', async () => {
    const config = loadConfig({ env: { SAGEMAKER_BIND_TO_PORT: '9123', BYOC_MAX_ROWS: '17' } });
    const { worker, primary } = channel();
    let provide!: (c: typeof config) => void;
    answerConfigRequests(worker, new Promise((resolve) => (provide = resolve)));
    let answered = false;
    const asked = requestConfig(primary).finally(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(answered, false, 'no answer before the primary has validated the configuration');
    provide(config);
    const received = await asked;
    assert.deepEqual(received, config);
    assert.equal(received.server.port, 9123);
    assert.equal(received.server.maxRows, 17);
    assert.equal(primary.listenerCount('message'), 0, 'the worker stops listening once answered');
    // A replacement worker asks later and is answered at once.
    const later = channel();
    answerConfigRequests(later.worker, Promise.resolve(config));
    assert.deepEqual(await requestConfig(later.primary), config);
  });

  it('nothing is sent to a worker that went away; a process without a primary is told so', async () => {
    const { worker, primary, disconnect } = channel();
    let sent = 0;
    const send = worker.send;
    worker.send = (message: unknown) => void (sent++, send(message));
    answerConfigRequests(worker, Promise.resolve(loadConfig({ env: {} })));
    disconnect();
    primary.send({ type: 'config-request' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(sent, 0);
    await assert.rejects(requestConfig(new EventEmitter()), /not started by a serving primary/);
  });
});
