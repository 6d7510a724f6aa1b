import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Container, inject, injectable } from 'inversify';
import { AlgorithmRegistry, UnknownAlgorithmError } from '../../framework/algorithms/registry.js';
import type { Algorithm, Logger } from '../../framework/contract/algorithm.js';
import { bindAlgorithm, createFrameworkContainer, loadPluginAlgorithms } from '../../framework/composition.js';
import { TOKENS, algorithmFactory, type AlgorithmProvider } from '../../framework/contract/services.js';
import { loadConfig } from '../../framework/runtime/config.js';
import { RecordingLogger } from '../../framework/testing.js';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';

const fake = (name: string): Algorithm => ({
  name,
  version: '1.0.0',
  description: 'fake',
  hyperparameters: {},
  train: async () => ({ inputSchema: { columns: [], requiredColumns: [] } }),
  load: async () => ({ targets: [], predict: (b) => ({ records: b.records.map(() => ({ targets: [] })) }) }),
});

describe('AlgorithmRegistry', () => {
  it('finds algorithms by name and lists names sorted', () => {
    const registry = new AlgorithmRegistry([fake('zeta'), fake('alpha')]);
    assert.deepEqual(registry.names(), ['alpha', 'zeta']);
    assert.equal(registry.get('zeta').name, 'zeta');
    assert.deepEqual(
      registry.list().map((a) => a.name),
      ['alpha', 'zeta'],
    );
  });

  it('an unknown name lists the known ones and the purpose', () => {
    const registry = new AlgorithmRegistry([fake('baseline'), fake('datawig')]);
    assert.throws(
      () => registry.get('xgboost', 'hyperparameter "algorithm"'),
      (error: unknown) => {
        assert.ok(error instanceof UnknownAlgorithmError);
        assert.match(error.message, /unknown algorithm "xgboost" \(hyperparameter "algorithm"\)/);
        assert.match(error.message, /registered algorithms: baseline, datawig/);
        return true;
      },
    );
    assert.throws(() => new AlgorithmRegistry([]).get('x'), /registered algorithms: none/);
  });

  it('refuses duplicate names, invalid names and objects that are not algorithms', () => {
    assert.throws(() => new AlgorithmRegistry([fake('a'), fake('a')]), /two algorithms are registered as "a"/);
    assert.throws(() => new AlgorithmRegistry([fake('Bad Name')]), /algorithm name "Bad Name" is invalid/);
    assert.throws(() => new AlgorithmRegistry([{ name: 'x' } as unknown as Algorithm]), /must implement train\(ctx\) and load\(ctx\)/);
  });
});

describe('dependency injection', () => {
  it('binds instances, classes and factories under one multi-injection token', () => {
    const container = createFrameworkContainer({
      config: loadConfig({ env: {} }),
      logger: new RecordingLogger(),
      algorithms: [fake('one'), BaselineAlgorithm, algorithmFactory(() => fake('three'))],
    });
    const registry = container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry);
    assert.deepEqual(registry.names(), ['baseline', 'one', 'three']);
    assert.equal(container.getAll<Algorithm>(TOKENS.Algorithm).length, 3);
  });

  it('a plugin class gets framework services injected; a factory resolves them by token', () => {
    const logger = new RecordingLogger();
    @injectable()
    class Injected {
      readonly name = 'injected';
      readonly version = '1.0.0';
      readonly description = 'asks for the logger';
      readonly hyperparameters = {};
      constructor(@inject(TOKENS.Logger) readonly logger: Logger) {}
      // eslint-disable-next-line @typescript-eslint/unbound-method -- fake() builds them as arrow functions (no `this`)
      train = fake('x').train;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- as above
      load = fake('x').load;
    }
    let seen: Logger | undefined;
    const factory = algorithmFactory((services) => {
      seen = services.get<Logger>(TOKENS.Logger);
      return fake('made');
    });
    const container = createFrameworkContainer({ config: loadConfig({ env: {} }), logger, algorithms: [Injected, factory] });
    const registry = container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry);
    assert.equal((registry.get('injected') as unknown as Injected).logger, logger);
    assert.equal(seen, logger);
  });

  it('an unmarked function is taken for a class, never called as a factory', () => {
    const container = createFrameworkContainer({
      config: loadConfig({ env: {} }),
      logger: new RecordingLogger(),
      algorithms: [(() => fake('plain')) as unknown as AlgorithmProvider],
    });
    assert.throws(() => container.get(TOKENS.AlgorithmRegistry));
  });

  it('an algorithm may not declare a custom attribute the framework reserves', () => {
    const clash = { ...fake('clash'), attributes: { output: { type: 'string', description: 'mine' } } } as const;
    assert.throws(() => new AlgorithmRegistry([clash]), /declares the custom attribute\(s\) output, which the framework reserves/);
  });

  it('bindAlgorithm adds one algorithm to a container', () => {
    const container = new Container();
    bindAlgorithm(container, fake('solo'));
    assert.equal(container.get<Algorithm>(TOKENS.Algorithm).name, 'solo');
  });

  it('loadPluginAlgorithms names a package that cannot be loaded', async () => {
    await assert.rejects(
      loadPluginAlgorithms(['@nonexistent/byoc-plugin']),
      /plugin package "@nonexistent\/byoc-plugin" \(config plugins:\) could not be loaded/,
    );
  });

  it('loadPluginAlgorithms refuses a module without a default export', async () => {
    await assert.rejects(loadPluginAlgorithms(['data:text/javascript,export const x = 1;']), /must default-export an Algorithm/);
  });

  it('a plugin whose default export is not an algorithm fails when the registry is built', async () => {
    const providers = await loadPluginAlgorithms(['data:text/javascript,export default { name: "x" };']);
    const container = createFrameworkContainer({ config: loadConfig({ env: {} }), logger: new RecordingLogger(), algorithms: providers });
    assert.throws(() => container.get(TOKENS.AlgorithmRegistry), /must implement train\(ctx\) and load\(ctx\)/);
  });

  it('loads a plugin from a module exporting an algorithm class', async () => {
    const src = 'export default class { name = "plug"; version = "1.0.0"; description = "d"; hyperparameters = {}; train() {} load() {} }';
    const providers = await loadPluginAlgorithms([`data:text/javascript,${encodeURIComponent(src)}`]);
    const container = createFrameworkContainer({ config: loadConfig({ env: {} }), logger: new RecordingLogger(), algorithms: providers });
    assert.deepEqual(container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry).names(), ['plug']);
  });
});
