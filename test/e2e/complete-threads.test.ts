/**
 * Complete mode through `byoc train` on one training thread and on two: the columns of a round run
 * in parallel on two, and the model directory must not depend on it (seeded, order-preserving
 * task pool): every file of the model is byte-identical, the manifest up to its clock fields.
 */
import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { buildMlRoot, killAll, makeTempDir, removeDir, runByoc } from '../helpers/e2e.js';

after(killAll);

/** 240 rows: two numeric columns driven by a third, a category that follows one of them, about 15 % of the cells empty. */
function tableCsv(): string {
  const r = rng(17);
  const lines = ['a,b,c,kind'];
  for (let i = 0; i < 240; i++) {
    const a = r() * 10;
    const cells = [a.toFixed(3), (2 * a + r()).toFixed(3), (a * a - 3 * a + r()).toFixed(3), a > 5 ? 'high' : 'low'];
    lines.push(cells.map((c) => (r() < 0.15 ? '' : c)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Every file under dir (relative path -> bytes), manifest.json without its clock fields. */
async function modelFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const name = path.relative(dir, file);
    const bytes = await readFile(file);
    if (name !== 'manifest.json') out.set(name, bytes.toString('base64'));
    else {
      const manifest = JSON.parse(bytes.toString('utf8')) as { createdAt?: string; metrics?: Record<string, number> };
      delete manifest.createdAt;
      // timings differ from run to run
      for (const key of Object.keys(manifest.metrics ?? {})) if (key === 'training_seconds' || key.endsWith('fit_seconds')) delete manifest.metrics![key];
      out.set(name, JSON.stringify(manifest));
    }
  }
  return out;
}

describe('complete mode on one and on two training threads', () => {
  it('writes the same model', async () => {
    const csv = tableCsv();
    const hyperparameters = { algorithm: 'datawig', seed: '5', iterations: '3' };
    const models: Map<string, string>[] = [];
    const tmp = await makeTempDir('byoc-e2e-threads-');
    try {
      for (const threads of ['1', '2']) {
        const root = await buildMlRoot(path.join(tmp, `threads-${threads}`), { hyperparameters, trainFiles: { 'train.csv': csv } });
        const result = await runByoc(['train', '--ml-root', root], { BYOC_TRAINING_THREADS: threads }, 120_000);
        assert.equal(result.code, 0, result.stderr);
        models.push(await modelFiles(path.join(root, 'model')));
      }
      const [one, two] = models as [Map<string, string>, Map<string, string>];
      assert.ok(
        [...one.keys()].some((f) => f.endsWith('target.json')),
        'the model has targets',
      );
      assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
      for (const [name, bytes] of one) assert.equal(two.get(name), bytes, `${name} differs between 1 and 2 threads`);
    } finally {
      await removeDir(tmp);
    }
  });
});
