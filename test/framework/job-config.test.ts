import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TrainingError } from '../../framework/contract/errors.js';
import { readJobConfig } from '../../framework/ml-root/job-config.js';
import { resolvePaths } from '../../framework/ml-root/paths.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tmp = useTempDir('byoc-jobcfg-');

async function root(files: Record<string, string>): Promise<string> {
  const dir = tmp.next('r');
  await mkdir(path.join(dir, 'input', 'config'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, 'input', 'config', name), text);
  return dir;
}

describe('readJobConfig', () => {
  it('missing files are fine: empty hyperparameters and channels, one host algo-1', async () => {
    const cfg = await readJobConfig(resolvePaths(await root({}), {}), {});
    assert.deepEqual(cfg, {
      hyperparameters: {},
      inputDataConfig: {},
      resourceConfig: { current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: undefined },
    });
  });

  it('a root that does not exist at all is fine too', async () => {
    const cfg = await readJobConfig(resolvePaths(path.join(tmp.path, 'nowhere'), {}), {});
    assert.deepEqual(cfg.hyperparameters, {});
  });

  it('reads the three files (BOM tolerated)', async () => {
    const dir = await root({
      'hyperparameters.json': '\uFEFF{"label_column": "y", "num_epochs": "10"}',
      'inputdataconfig.json': '{"train": {"ContentType": "text/csv", "TrainingInputMode": "File"}}',
      'resourceconfig.json': '{"current_host": "algo-2", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"}',
    });
    const cfg = await readJobConfig(resolvePaths(dir, {}), {});
    assert.deepEqual(cfg.hyperparameters, { label_column: 'y', num_epochs: '10' });
    assert.equal(cfg.inputDataConfig.train?.TrainingInputMode, 'File');
    assert.deepEqual(cfg.resourceConfig, { current_host: 'algo-2', hosts: ['algo-1', 'algo-2'], network_interface_name: 'eth0' });
  });

  for (const file of ['hyperparameters.json', 'inputdataconfig.json', 'resourceconfig.json']) {
    it(`corrupt ${file} is a TrainingError naming the file`, async () => {
      const dir = await root({ [file]: '{"a": ' });
      await assert.rejects(readJobConfig(resolvePaths(dir, {}), {}), (error: unknown) => {
        assert.ok(error instanceof TrainingError);
        assert.ok(error.message.includes(file), error.message);
        assert.ok(error.message.includes(path.join(dir, 'input', 'config', file)), error.message);
        assert.match(error.message, /not valid JSON/);
        return true;
      });
    });
  }

  it('a JSON value that is not an object is refused with the file named', async () => {
    const dir = await root({ 'hyperparameters.json': '["a"]' });
    await assert.rejects(readJobConfig(resolvePaths(dir, {}), {}), /hyperparameters\.json .*must be a JSON object/);
  });

  it('resourceconfig hosts must be strings', async () => {
    const dir = await root({ 'resourceconfig.json': '{"current_host": "a", "hosts": [1]}' });
    await assert.rejects(readJobConfig(resolvePaths(dir, {}), {}), /"hosts" must be an array of host names/);
  });

  it('falls back to SM_HPS, SM_CURRENT_HOST and SM_HOSTS when the files are absent', async () => {
    const dir = await root({});
    const cfg = await readJobConfig(resolvePaths(dir, {}), {
      SM_HPS: '{"label_column": "z"}',
      SM_CURRENT_HOST: 'algo-3',
      SM_HOSTS: '["algo-3", "algo-4"]',
    });
    assert.deepEqual(cfg.hyperparameters, { label_column: 'z' });
    assert.equal(cfg.resourceConfig.current_host, 'algo-3');
    assert.deepEqual(cfg.resourceConfig.hosts, ['algo-3', 'algo-4']);
  });

  it('hyperparameters.json wins over SM_HPS', async () => {
    const dir = await root({ 'hyperparameters.json': '{"a": "file"}' });
    const cfg = await readJobConfig(resolvePaths(dir, {}), { SM_HPS: '{"a": "env"}' });
    assert.deepEqual(cfg.hyperparameters, { a: 'file' });
  });

  it('SM_HPS that is not JSON names the variable', async () => {
    const dir = await root({});
    await assert.rejects(readJobConfig(resolvePaths(dir, {}), { SM_HPS: '{oops' }), /environment variable SM_HPS is not valid JSON/);
  });
});
