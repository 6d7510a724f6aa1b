/**
 * The framework's side of multi-host training: who the designated host is, how items are shared
 * out, the manifest every host would write alike, and the host list the job must give.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assignToHosts, designatedHost, isDesignatedHost } from '../../framework/contract/hosts.js';
import { createManifest, readManifest, writeManifest } from '../../framework/model/manifest.js';
import { readJobConfig } from '../../framework/ml-root/job-config.js';
import { resolvePaths } from '../../framework/ml-root/paths.js';
import { givenParameters } from '../../framework/parameters/parse.js';
import { MemoryArtifactStore } from '../../framework/storage/artifact-store.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tmp = useTempDir('byoc-hosts-');

describe('hosts of a training job', () => {
  it('the designated host is the first name in sorted order, whatever the list order; one host is always designated', () => {
    assert.equal(designatedHost({ current: 'algo-2', all: ['algo-3', 'algo-2', 'algo-1'] }), 'algo-1');
    assert.equal(isDesignatedHost({ current: 'algo-1', all: ['algo-2', 'algo-1'] }), true);
    assert.equal(isDesignatedHost({ current: 'algo-2', all: ['algo-2', 'algo-1'] }), false);
    assert.equal(isDesignatedHost({ current: 'x', all: ['algo-1'] }), true);
  });

  it('assignToHosts: longest first to the least loaded host, the same for any host order, the costliest item on the designated host', () => {
    const costs = [5, 1, 8, 3, 3, 2];
    const owners = assignToHosts(costs, ['algo-2', 'algo-1']);
    assert.deepEqual(owners, ['algo-2', 'algo-2', 'algo-1', 'algo-2', 'algo-1', 'algo-2']);
    assert.deepEqual(assignToHosts(costs, ['algo-1', 'algo-2']), owners);
    const load = (h: string) => costs.reduce((n, c, i) => n + (owners[i] === h ? c : 0), 0);
    assert.deepEqual([load('algo-1'), load('algo-2')], [11, 11]);
    // equal costs: spread in item order, ties to the host first in sorted order
    assert.deepEqual(assignToHosts([1, 1, 1, 1, 1], ['b', 'a', 'c']), ['a', 'b', 'c', 'a', 'b']);
    assert.deepEqual(assignToHosts([], ['a']), []);
    assert.throws(() => assignToHosts([1], []), /no hosts/);
  });

  it('a multi-host manifest has no created-at and no metrics, and reads back', async () => {
    const input = {
      algorithm: { name: 'baseline', version: '1.0.0' },
      framework: { name: 'sagemaker-byoc', version: '0.1.0' },
      inputSchema: { columns: [{ name: 'a' }], requiredColumns: [] },
      hyperparameters: { algorithm: 'baseline' },
      metrics: { 'a.validation_rmse': 1 },
    };
    const a = createManifest({ ...input, multiHost: true, now: new Date(0) });
    const b = createManifest({ ...input, multiHost: true, metrics: { other: 2 } });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.equal('createdAt' in a || 'metrics' in a, false);
    const store = new MemoryArtifactStore();
    await writeManifest(store, a);
    assert.deepEqual(await readManifest(store, 'model'), a);
    assert.ok(createManifest(input).createdAt, 'one host: as before');
  });

  it('several hosts must be named once each, this one among them', async () => {
    const cases: [unknown, RegExp][] = [
      [{ current_host: 'algo-3', hosts: ['algo-1', 'algo-2'] }, /"current_host" "algo-3" is not one of its "hosts" \(algo-1, algo-2\)/],
      [{ current_host: 'algo-1', hosts: ['algo-1', 'algo-1'] }, /names "algo-1" twice/],
      [{ current_host: 'algo-1', hosts: ['algo-1', '../x'] }, /"\.\.\/x" is not a host name/],
    ];
    for (const [config, error] of cases) {
      const dir = tmp.next('r');
      await mkdir(path.join(dir, 'input', 'config'), { recursive: true });
      await writeFile(path.join(dir, 'input', 'config', 'resourceconfig.json'), JSON.stringify(config));
      await assert.rejects(readJobConfig(resolvePaths(dir, {}), {}), error);
    }
  });

  it('givenParameters names the keys a job set, aliases by their canonical name', () => {
    const schema = {
      iterations: { type: 'integer', default: 10, description: '' },
      feature_columns: { type: 'list', items: 'string', aliases: ['input_columns'], description: '' },
    } as const;
    assert.deepEqual([...givenParameters(schema, { input_columns: 'a' })], ['feature_columns']);
    assert.deepEqual([...givenParameters(schema, { iterations: '1', other: 'x' })], ['iterations']);
  });
});
