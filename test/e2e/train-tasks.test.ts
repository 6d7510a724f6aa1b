/**
 * `byoc train` through the bundled CLI with an algorithm that spreads its training over task
 * threads (test/fixtures/task-plugin.ts, loaded by BYOC_PLUGINS): the threads start on the CLI's
 * own entry point, run two tasks, and the job exits when training ends.
 */
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT, buildMlRoot, killAll, makeTempDir, removeDir, runByoc } from '../helpers/e2e.js';

const TASK_PLUGIN = path.join(REPO_ROOT, 'dist', 'test', 'fixtures', 'task-plugin.js');

after(killAll);

describe('byoc train with training tasks', () => {
  it('runs the tasks on 2 threads, writes the model and exits 0', async () => {
    const root = await buildMlRoot(await makeTempDir('byoc-e2e-tasks-'), { hyperparameters: { algorithm: 'task-fixture', count: '6', offset: '2' } });
    try {
      const result = await runByoc(['train', '--ml-root', root], { BYOC_PLUGINS: TASK_PLUGIN, BYOC_TRAINING_THREADS: '2' }, 60_000);
      assert.equal(result.code, 0, result.stderr);
      const model = JSON.parse(await readFile(path.join(root, 'model', 'tasks.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(model.squares, [3, 6, 11, 18, 27, 38]);
      assert.equal(model.total, 103);
      assert.equal(model.threads, 2);
      assert.equal((model.taskThreadIds as number[]).length, 2);
      assert.ok(!(model.taskThreadIds as number[]).includes(0), 'the tasks ran on threads');
      assert.match(result.stdout, /"msg":"training tasks run on worker threads"/);
      assert.match(result.stdout, /"msg":"training complete"/);
    } finally {
      await removeDir(root);
    }
  });
});
