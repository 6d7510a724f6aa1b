/**
 * Complete mode across the hosts of a multi-instance training job, simulated with one `byoc train`
 * process per host (own ml-root and resourceconfig.json, same channel), run at the same time. Their
 * model folders merge without a clashing file name (what SageMaker's model.tar.gz aggregation
 * needs), the merged model is the single-host model (same seed, one round) file for file and in its
 * answers, and the manifest is the same bytes whichever host writes it.
 */
import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { killAll, makeTempDir, removeDir, runByoc } from '../helpers/e2e.js';
import { buildHostRoots, filesUnder, lowRankCsv, mergeDirs, trainHosts } from '../helpers/multi-host.js';

after(killAll);

// one thread per process: several hosts share this machine's cores
const ENV = { BYOC_TRAINING_THREADS: '1' };
const HPS = { algorithm: 'datawig', seed: '5', num_epochs: '5' };

let tmp: string;
let csv: string;
let single: string;

/** Trains `hosts` as one job (hyperparameters `hps`); returns each host's ml-root after asserting every process exited 0. */
async function trainJob(name: string, hosts: string[], hps: Record<string, string>): Promise<{ roots: string[]; stdout: string[] }> {
  const roots = await buildHostRoots(path.join(tmp, name), hosts, { hyperparameters: hps, trainFiles: { 'train.csv': csv } });
  const results = await trainHosts(roots, ENV);
  for (const [i, r] of results.entries()) assert.equal(r.code, 0, `${name} ${hosts[i]}: ${r.stderr}\n${r.stdout.slice(-2000)}`);
  return { roots, stdout: results.map((r) => r.stdout) };
}

async function merged(name: string, roots: string[], sub: 'model' | 'output/data'): Promise<string> {
  const into = path.join(tmp, name, `merged-${sub.replace('/', '-')}`);
  await mergeDirs(
    roots.map((r) => path.join(r, sub)),
    into,
  );
  return into;
}

/** `byoc impute` of the training table with the model: the answer's CSV. */
async function imputed(model: string): Promise<string> {
  const input = path.join(tmp, 'train.csv');
  const result = await runByoc(['impute', '--model', model, '--input', input, '--output', '-'], ENV, 60_000);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

async function bytes(dir: string, name: string): Promise<string> {
  return (await readFile(path.join(dir, name))).toString('base64');
}

describe('complete mode on several hosts', () => {
  before(async () => {
    tmp = await makeTempDir('byoc-e2e-hosts-');
    // four numeric columns, two categorical ones (2 and 3 classes), all with gaps
    csv = lowRankCsv({ rows: 200, numeric: 4, categorical: 2, gaps: 0.15, seed: 23 });
    await writeFile(path.join(tmp, 'train.csv'), csv);
    const { roots } = await trainJob('single', ['algo-1'], { ...HPS, iterations: '1' });
    single = path.join(roots[0]!, 'model');
  });
  after(() => removeDir(tmp));

  it('2 and 3 hosts: merged without a clash, the single-host model file for file, the same answers, one manifest whoever writes it', async () => {
    // iterations left out: several hosts train one round (a log line says so)
    const two = await trainJob('two', ['algo-1', 'algo-2'], HPS);
    // algo-2 is the designated host here (the first name in sorted order)
    const three = await trainJob('three', ['algo-2', 'algo-3', 'algo-4'], HPS);
    assert.match(two.stdout[0]!, /complete mode on 2 hosts trains one round/);
    assert.match(three.stdout[2]!, /this host trains \d of 6 columns/);

    const singleFiles = await filesUnder(single);
    for (const [name, job] of [
      ['two', two],
      ['three', three],
    ] as const) {
      // only the designated host writes the shared files; every host trains a share
      const perHost = await Promise.all(job.roots.map((r) => filesUnder(path.join(r, 'model'))));
      assert.ok(perHost[0]!.includes('manifest.json') && perHost[0]!.includes('model.json'), `${name}: the designated host writes the shared files`);
      for (const files of perHost.slice(1))
        assert.ok(!files.includes('manifest.json') && !files.includes('model.json') && files.length > 0, `${name}: ${files.join(', ')}`);
      const model = await merged(name, job.roots, 'model');
      await merged(name, job.roots, 'output/data');
      assert.deepEqual(await filesUnder(model), singleFiles, `${name}: the merged model has the single-host model's files`);
      for (const file of singleFiles.filter((f) => f !== 'manifest.json'))
        assert.equal(await bytes(model, file), await bytes(single, file), `${name}: ${file} differs`);
      assert.equal(await imputed(model), await imputed(single), `${name}: the merged model answers as the single-host one`);
    }

    const manifest2 = await readFile(path.join(two.roots[0]!, 'model', 'manifest.json'), 'utf8');
    const manifest3 = await readFile(path.join(three.roots[0]!, 'model', 'manifest.json'), 'utf8');
    assert.equal(manifest3, manifest2, 'algo-1 of two hosts and algo-2 of three write the same manifest');
    const parsed = JSON.parse(manifest2) as Record<string, unknown>;
    assert.equal(parsed.createdAt, undefined, 'no host-local time');
    assert.equal(parsed.metrics, undefined, 'no host-local metrics');
    const singleManifest = JSON.parse(await readFile(path.join(single, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(parsed.inputSchema, singleManifest.inputSchema);
  });

  it('refuses iterations > 1 set on several hosts, naming the fix', async () => {
    const roots = await buildHostRoots(path.join(tmp, 'chained'), ['algo-1', 'algo-2'], {
      hyperparameters: { ...HPS, iterations: '3' },
      trainFiles: { 'train.csv': csv },
    });
    const [result] = await trainHosts(roots.slice(0, 1), ENV);
    assert.equal(result!.code, 255);
    const failure = await readFile(path.join(roots[0]!, 'output', 'failure'), 'utf8');
    assert.match(failure, /^iterations=3 cannot run on 2 hosts: .*Set iterations=1 \(or leave it out\)/);
  });

  it('single mode: the designated host trains, the other writes nothing and exits 0', async () => {
    const { roots, stdout } = await trainJob('single-mode', ['algo-1', 'algo-2'], { ...HPS, label_column: 'k0' });
    assert.ok((await filesUnder(path.join(roots[0]!, 'model'))).includes('manifest.json'));
    assert.deepEqual(await filesUnder(path.join(roots[1]!, 'model')), []);
    assert.match(stdout[1]!, /single mode trains on host algo-1 alone/);
  });

  it('an algorithm that does not share its work trains on the designated host alone', async () => {
    const hps = { algorithm: 'baseline', label_column: 'k0' };
    const { roots, stdout } = await trainJob('baseline', ['algo-1', 'algo-2'], hps);
    assert.ok((await filesUnder(path.join(roots[0]!, 'model'))).includes('manifest.json'));
    assert.deepEqual(await filesUnder(path.join(roots[1]!, 'model')), []);
    assert.match(stdout[1]!, /training runs on host algo-1 alone/);
  });
});
