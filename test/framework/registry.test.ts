import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Container, inject, injectable } from 'inversify';
import { AlgorithmRegistry, UnknownAlgorithmError } from '../../framework/algorithms/registry.js';
import type { Algorithm, Logger } from '../../framework/contract/algorithm.js';
import { bindAlgorithm, createFrameworkContainer, loadPluginAlgorithms, resolvePluginSpecifier } from '../../framework/composition.js';
import { TOKENS, algorithmFactory, type AlgorithmProvider } from '../../framework/contract/services.js';
import { parseCustomAttributes } from '../../framework/invocation/attributes.js';
import { resolvePaths } from '../../framework/ml-root/paths.js';
import { parseAttributes } from '../../framework/parameters/parse.js';
import { loadConfig } from '../../framework/runtime/config.js';
import { PACKAGE_ROOT } from '../../framework/runtime/package-root.js';
import { TrainingRunner } from '../../framework/training/runner.js';
import { RecordingLogger } from '../../framework/testing.js';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';
import { BASELINE_HPS, buildMlRoot, makeTempDir, removeDir } from '../helpers/e2e.js';

/**
 * Plugin modules written by the tests: under dist/test/tmp-plugins/ (inside the application
 * folder, where plugin paths are accepted), removed after the file's tests.
 */
const TMP_PLUGINS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tmp-plugins');
let tmpDir: string | undefined;
async function pluginDir(): Promise<string> {
  if (!tmpDir) {
    await mkdir(TMP_PLUGINS, { recursive: true });
    tmpDir = await mkdtemp(path.join(TMP_PLUGINS, 'registry-'));
  }
  return tmpDir;
}
let pluginCount = 0;
async function pluginFile(source: string): Promise<string> {
  const file = path.join(await pluginDir(), `plugin-${++pluginCount}.js`);
  await writeFile(file, source);
  return file;
}
after(async () => {
  if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  await rmdir(TMP_PLUGINS).catch(() => undefined); // only if empty (other files may use it)
});

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
    const file = await pluginFile('export const x = 1;');
    await assert.rejects(loadPluginAlgorithms([file]), /must default-export an Algorithm/);
  });

  it('a plugin whose default export is not an algorithm fails when the registry is built', async () => {
    const providers = await loadPluginAlgorithms([await pluginFile('export default { name: "x" };')]);
    const container = createFrameworkContainer({ config: loadConfig({ env: {} }), logger: new RecordingLogger(), algorithms: providers });
    assert.throws(() => container.get(TOKENS.AlgorithmRegistry), /must implement train\(ctx\) and load\(ctx\)/);
  });

  it('loads a plugin from a module exporting an algorithm class', async () => {
    const src = 'export default class { name = "plug"; version = "1.0.0"; description = "d"; hyperparameters = {}; train() {} load() {} }';
    const providers = await loadPluginAlgorithms([await pluginFile(src)]);
    const container = createFrameworkContainer({ config: loadConfig({ env: {} }), logger: new RecordingLogger(), algorithms: providers });
    assert.deepEqual(container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry).names(), ['plug']);
  });
});

describe('plugin specifiers', () => {
  it('accepts npm package names, scoped or not, with a subpath, and absolute paths inside the application folder', () => {
    for (const name of ['byoc-plugin', '@acme/byoc-plugin', '@acme/byoc-plugin/dist/plugin.js', 'plugin.js', 'a~b']) {
      assert.equal(resolvePluginSpecifier(name), name);
    }
    const inside = path.join(PACKAGE_ROOT, 'dist', 'test', 'fixtures', 'slow-plugin.js');
    assert.equal(resolvePluginSpecifier(inside), pathToFileURL(inside).href);
  });

  it('refuses URLs, relative paths, paths outside the application folder, bad names and built-ins, naming the specifier and what is accepted', async () => {
    const cases: Array<[string, RegExp]> = [
      ['data:text/javascript,export default {}', /URLs are not accepted/],
      ['http://example.com/plugin.js', /URLs are not accepted/],
      ['https://example.com/plugin.js', /URLs are not accepted/],
      ['file:///tmp/plugin.js', /URLs are not accepted/],
      ['node:fs', /URLs are not accepted/],
      ['./plugin.js', /relative paths are not accepted/],
      ['../plugin.js', /relative paths are not accepted/],
      [path.join(os.tmpdir(), 'plugin.js'), /outside the application folder/],
      [`${PACKAGE_ROOT}/../plugin.js`, /outside the application folder/],
      [PACKAGE_ROOT, /outside the application folder/],
      ['Byoc-Plugin', /not a valid npm package name/],
      ['_private', /not a valid npm package name/],
      ['pkg/../../etc/x.js', /not a valid npm package name/],
      ['@scope/', /not a valid npm package name/],
      ['x'.repeat(215), /not a valid npm package name/],
      ['fs', /"fs" is a Node built-in module/],
      ['child_process', /"child_process" is a Node built-in module/],
    ];
    for (const [specifier, why] of cases) {
      await assert.rejects(loadPluginAlgorithms([specifier]), (error: Error) => {
        assert.match(error.message, why, specifier);
        assert.ok(error.message.startsWith(`plugin "${specifier}" (config plugins:) is refused: `), error.message);
        assert.match(error.message, /accepted: an npm package name, optionally with a subpath .* or an absolute path inside the application folder/);
        return true;
      });
    }
  });

  it('a symbolic link inside the application folder that points out of it is refused', async () => {
    const outside = path.join(os.tmpdir(), `byoc-plugin-outside-${process.pid}.js`);
    await writeFile(outside, 'export default {};');
    const link = path.join(await pluginDir(), 'link.js');
    await symlink(outside, link);
    try {
      await assert.rejects(loadPluginAlgorithms([link]), /outside the application folder/);
    } finally {
      await rm(outside, { force: true });
    }
  });

  it('only configuration chooses plugins: a hyperparameter named "plugins" is an unknown hyperparameter', async () => {
    const root = await buildMlRoot(await makeTempDir('byoc-plugins-hp-'), { hyperparameters: { ...BASELINE_HPS, plugins: 'x' } });
    try {
      const paths = resolvePaths(root);
      const container = createFrameworkContainer({
        config: loadConfig({ env: {} }),
        logger: new RecordingLogger(),
        paths,
        algorithms: [new BaselineAlgorithm()],
      });
      const code = await container.get(TrainingRunner).run();
      assert.notEqual(code, 0);
      assert.match(await readFile(paths.failureFile, 'utf8'), /unknown hyperparameter "plugins" = "x"/);
    } finally {
      await removeDir(root);
    }
  });

  it('only configuration chooses plugins: a custom attribute named "plugins" is refused like any unknown attribute', () => {
    assert.throws(() => parseAttributes(new BaselineAlgorithm().attributes, parseCustomAttributes('plugins=x')), /unknown custom attribute "plugins"/);
  });
});
