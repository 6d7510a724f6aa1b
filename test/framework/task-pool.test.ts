/**
 * The training task pool: in-process (threads 1, what plugin tests get by default) and on real
 * worker threads started on a fixture entry script (test/fixtures/task-entry.ts) with the
 * `task-fixture` algorithm: results in input order, errors by input index with their class, dead
 * threads, abort, the thread limit and reuse, log lines, and the process exiting after a job.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createFrameworkContainer } from '../../framework/composition.js';
import { TrainingAbortedError, TrainingError } from '../../framework/contract/errors.js';
import { resolvePaths } from '../../framework/ml-root/paths.js';
import { ConfigError, loadConfig } from '../../framework/runtime/config.js';
import { MemoryArtifactStore } from '../../framework/storage/artifact-store.js';
import { createTestTrainContext, RecordingLogger, RecordingProgress } from '../../framework/testing.js';
import { TrainingRunner } from '../../framework/training/runner.js';
import { TrainingTaskPool, trainingThreads } from '../../framework/training/task-pool.js';
import type { TaskThreadData } from '../../framework/training/task-protocol.js';
import { buildMlRoot, makeTempDir, removeDir } from '../helpers/e2e.js';
import { TaskFixtureAlgorithm } from '../fixtures/task-plugin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.join(here, '..', 'fixtures', 'task-entry.js');
const algorithm = new TaskFixtureAlgorithm();
const HPS = { count: 4, offset: 10 };

/** A RecordingLogger that can wait for a line. */
class WaitingLogger extends RecordingLogger {
  private readonly waiters: Array<{ message: string; resolve: () => void }> = [];
  /** Resolves when a line with this message is logged from now on. */
  next(message: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ message, resolve }));
  }
  override info(message: string, fields?: Record<string, unknown>): void {
    super.info(message, fields);
    for (const w of this.waiters.filter((x) => x.message === message)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
}

interface Pool {
  pool: TrainingTaskPool;
  abort: AbortController;
  logger: WaitingLogger;
  progress: RecordingProgress;
  workers: Worker[];
  /** How many of the started threads have exited. */
  exited: () => number;
}

const pools: TrainingTaskPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));

function threadPool(threads = 2, options: { abortGraceMs?: number } = {}): Pool {
  const abort = new AbortController();
  const logger = new WaitingLogger();
  const progress = new RecordingProgress();
  const workers: Worker[] = [];
  let exits = 0;
  const workerData: TaskThreadData = { byocRole: 'training-task', config: loadConfig({ env: {} }), algorithm: algorithm.name, hyperparameters: HPS };
  const pool = new TrainingTaskPool({
    algorithm: algorithm.name,
    tasks: algorithm.tasks,
    hyperparameters: HPS,
    checkpoints: new MemoryArtifactStore(),
    logger,
    progress,
    signal: abort.signal,
    threads,
    abortGraceMs: options.abortGraceMs ?? 100,
    spawn: () => {
      const worker = new Worker(ENTRY, { workerData });
      worker.once('exit', () => exits++);
      workers.push(worker);
      return worker;
    },
  });
  pools.push(pool);
  return { pool, abort, logger, progress, workers, exited: () => exits };
}

type Square = { n: number; value: number; threadId: number };

describe('training task pool, in-process (threads 1)', () => {
  it('runs the tasks one after the other on this thread and returns the outputs in input order', async () => {
    const ctx = createTestTrainContext({}, HPS, { algorithm });
    assert.equal(ctx.tasks.threads, 1);
    const squares = await ctx.tasks.run<Square>('square', [{ n: 3, delayMs: 5 }, { n: 1 }, { n: 2 }]);
    assert.deepEqual(
      squares.map((s) => [s.n, s.value, s.threadId]),
      [
        [3, 19, 0],
        [1, 11, 0],
        [2, 14, 0],
      ],
    );
    assert.deepEqual(await ctx.tasks.run('sum', []), []);
  });

  it('gives each invocation its task name and input index on its log lines (they win over the task’s own)', async () => {
    const ctx = createTestTrainContext({}, HPS, { algorithm });
    await ctx.tasks.run('log', [{ n: 7 }, { n: 8 }]);
    assert.deepEqual(
      ctx.logger.entries.map((e) => [e.message, e.fields]),
      [
        ['fixture task says hello', { task: 'log', index: 0, n: 7 }],
        ['fixture task says hello', { task: 'log', index: 1, n: 8 }],
      ],
    );
  });

  it('rejects with the first failure, the task’s own error, and runs nothing after it', async () => {
    const ctx = createTestTrainContext({}, HPS, { algorithm });
    await assert.rejects(ctx.tasks.run('fail', [{ n: 0 }, { n: 1, as: 'training' }, { n: 2, as: 'range' }]), (error: unknown) => {
      assert.ok(error instanceof TrainingError);
      assert.equal(error.message, 'input 1 cannot be trained on');
      return true;
    });
    await assert.rejects(ctx.tasks.run('fail', [{ n: 5, as: 'range' }]), RangeError);
  });

  it('hands the job’s progress reporter to its tasks', async () => {
    const ctx = createTestTrainContext({}, HPS, { algorithm });
    await ctx.tasks.run('progress', [{ unit: 'a', steps: 2 }]);
    assert.deepEqual(
      ctx.progress.updates.map((u) => [u.unit, u.step, u.total, u.status]),
      [
        ['a', 1, 2, 'step 1'],
        ['a', 2, 2, 'step 2'],
      ],
    );
    assert.deepEqual(ctx.progress.finished, [{ unit: 'a', summary: '2 steps' }]);
  });

  it('refuses an unknown task name, naming the ones the algorithm declares', async () => {
    const ctx = createTestTrainContext({}, HPS, { algorithm });
    await assert.rejects(
      ctx.tasks.run('fit-target', [1]),
      /algorithm "task-fixture" declares no training task "fit-target" \(it declares: checkpoint, exit, fail, hang, log, progress, square, sum, unclonable\)/,
    );
    const bare = createTestTrainContext({}, HPS);
    await assert.rejects(bare.tasks.run('square', [1]), /declares no training task "square" \(it declares none\)/);
  });

  it('hands tasks the job’s checkpoint store and abort signal', async () => {
    const ctx = createTestTrainContext({}, HPS, { algorithm });
    assert.deepEqual(await ctx.tasks.run('checkpoint', [{ name: 'a.json' }]), [['a.json']]);
    assert.ok(ctx.checkpoints.files.has('a.json'));
    const running = ctx.tasks.run('hang', [{ honour: true }, { honour: true }]);
    ctx.abort.abort(new TrainingAbortedError());
    await assert.rejects(running, TrainingAbortedError);
    await assert.rejects(ctx.tasks.run('square', [{ n: 1 }]), TrainingAbortedError);
  });
});

describe('training task pool, on worker threads', () => {
  it('spreads the inputs over 2 threads and returns the outputs in input order, whatever finishes first', async () => {
    const { pool, workers } = threadPool(2);
    assert.equal(pool.threads, 2);
    // Earlier inputs take longer: they finish last.
    const inputs = Array.from({ length: 8 }, (_, i) => ({ n: i + 1, delayMs: (8 - i) * 5 }));
    const squares = await pool.run<Square>('square', inputs);
    assert.deepEqual(
      squares.map((s) => s.value),
      inputs.map(({ n }) => n * n + HPS.offset),
    );
    const threadIds = new Set(squares.map((s) => s.threadId));
    assert.equal(threadIds.size, 2, 'both threads ran tasks');
    assert.ok(!threadIds.has(0), 'no task ran on the main thread');
    // The threads serve later runs too; typed arrays travel both ways.
    assert.deepEqual(await pool.run('sum', [{ values: new Float64Array([1, 2, 3.5]) }, { values: [] }]), [6.5, 0]);
    const again = await pool.run<Square>('square', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.ok(again.every((s) => threadIds.has(s.threadId)));
    assert.equal(workers.length, 2, 'no thread was started beyond the limit, none again');
  });

  it('starts threads only when a run needs them, no more than it has inputs', async () => {
    const { pool, workers } = threadPool(4);
    assert.equal(workers.length, 0);
    await pool.run('sum', [{ values: [1] }]);
    assert.equal(workers.length, 1);
  });

  it('prestart() starts threads ahead of a run, up to the limit, and the run uses them', async () => {
    const { pool, workers } = threadPool(2);
    pool.prestart(1);
    assert.equal(workers.length, 1);
    pool.prestart(5);
    assert.equal(workers.length, 2, 'no more than the pool has');
    const squares = await pool.run<Square>('square', [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(
      squares.map((s) => s.value),
      [11, 14],
    );
    assert.equal(workers.length, 2, 'the run started none');
    const inProcess = createTestTrainContext({}, HPS, { algorithm });
    inProcess.tasks.prestart();
    assert.deepEqual(
      (await inProcess.tasks.run<Square>('square', [{ n: 2 }])).map((s) => s.threadId),
      [0],
    );
  });

  it('keeps a TrainingError a TrainingError, and an unexpected error’s class name, message and stack', async () => {
    const { pool } = threadPool(2);
    await assert.rejects(pool.run('fail', [{ n: 0 }, { n: 1, as: 'training' }]), (error: unknown) => {
      assert.ok(error instanceof TrainingError, `a TrainingError, got ${String(error)}`);
      assert.equal(error.message, 'input 1 cannot be trained on');
      return true;
    });
    await assert.rejects(pool.run('fail', [{ n: 4, as: 'range' }]), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof TrainingError));
      assert.equal(error.name, 'RangeError');
      assert.equal(error.message, 'input 4 is out of range');
      assert.match(error.stack ?? '', /task-plugin\.js/);
      return true;
    });
    // The pool still works after failures.
    assert.deepEqual(await pool.run('fail', [{ n: 9 }]), [9]);
  });

  it('rejects when a task throws after others finished, with the lowest failing input whatever the timing', async () => {
    const { pool } = threadPool(2);
    // Input 2 fails first in time, input 1 later: the answer is input 1's, as in-process.
    const inputs = [{ n: 0 }, { n: 1, as: 'training', delayMs: 150 }, { n: 2, as: 'range' }, { n: 3, delayMs: 5 }];
    await assert.rejects(pool.run('fail', inputs), (error: unknown) => error instanceof TrainingError && error.message === 'input 1 cannot be trained on');
    // One failing input after others finished.
    await assert.rejects(pool.run('fail', [{ n: 0 }, { n: 1 }, { n: 2, as: 'range', delayMs: 20 }]), /input 2 is out of range/);
  });

  it('fails the run with a clear message when a thread dies, and starts a new one for the next run', async () => {
    const { pool, workers } = threadPool(2);
    await assert.rejects(pool.run('exit', [{ code: 7 }]), /the thread running training task "exit" \(input #0\) stopped before it finished \(exit code 7\)/);
    assert.deepEqual(await pool.run('sum', [{ values: [2, 3] }]), [5]);
    assert.equal(workers.length, 2);
  });

  it('says what cannot cross the thread boundary', async () => {
    const { pool } = threadPool(2);
    await assert.rejects(pool.run('unclonable', [{}]), /the result of training task "unclonable" \(input #0\) cannot be sent back from its thread/);
    await assert.rejects(pool.run('sum', [{ values: [1] }, { values: () => 1 }]), /input #1 of training task "sum" cannot be sent to a thread/);
  });

  it('forwards the tasks’ progress from their threads to the job’s reporter, in order, before their results', async () => {
    const { pool, progress } = threadPool(2);
    assert.deepEqual(
      await pool.run('progress', [
        { unit: 'x', steps: 3 },
        { unit: 'y', steps: 1 },
      ]),
      [3, 1],
    );
    assert.deepEqual(
      progress.updates.filter((u) => u.unit === 'x').map((u) => [u.step, u.total, u.figures?.loss]),
      [
        [1, 3, 1],
        [2, 3, 0.5],
        [3, 3, 1 / 3],
      ],
    );
    assert.deepEqual(
      progress.finished.sort((a, b) => a.unit.localeCompare(b.unit)),
      [
        { unit: 'x', summary: '3 steps' },
        { unit: 'y', summary: '1 steps' },
      ],
    );
  });

  it('posts the tasks’ log lines to the job’s logger with the task name and input index', async () => {
    const { pool, logger } = threadPool(2);
    await pool.run('log', [{ n: 1 }, { n: 2 }]);
    const lines = logger.entries.filter((e) => e.message === 'fixture task says hello').map((e) => e.fields);
    assert.deepEqual(
      lines.sort((a, b) => (a!.index as number) - (b!.index as number)),
      [
        { task: 'log', index: 0, n: 1 },
        { task: 'log', index: 1, n: 2 },
      ],
    );
    assert.ok(logger.entries.some((e) => e.message === 'training tasks run on worker threads' && e.fields?.threads === 2));
  });

  it('on abort, tells the tasks, terminates threads that do not stop, and rejects with TrainingAbortedError', async () => {
    const { pool, abort, logger, exited } = threadPool(2, { abortGraceMs: 300 });
    const started = logger.next('hang started');
    // One task stops on its signal, the other never yields.
    const running = pool.run('hang', [{ honour: true }, { honour: false }]);
    await started;
    const aborted = Date.now();
    abort.abort(new TrainingAbortedError());
    await assert.rejects(running, TrainingAbortedError);
    assert.ok(Date.now() - aborted < 5000, 'the grace, not the task, decided when');
    assert.ok(logger.entries.some((e) => e.message === 'hang saw abort' && e.fields?.index === 0));
    assert.equal(exited(), 2, 'both threads were stopped before run rejected');
    await assert.rejects(pool.run('sum', [{ values: [] }]), TrainingAbortedError);
  });

  it('close() terminates the threads; later runs are refused', async () => {
    const { pool, exited } = threadPool(2);
    await pool.run('square', [{ n: 1 }, { n: 2 }]);
    await pool.close();
    assert.equal(exited(), 2);
    await assert.rejects(pool.run('square', [{ n: 1 }]), /the training task pool is closed/);
  });

  it('an idle thread, prestarted or done, does not keep the process alive (a job that forgets close() still exits)', async () => {
    const script = `
      import { createTestTrainContext } from ${JSON.stringify(pathToFileURL(path.join(here, '..', '..', 'framework', 'testing.js')).href)};
      import { TaskFixtureAlgorithm } from ${JSON.stringify(pathToFileURL(path.join(here, '..', 'fixtures', 'task-plugin.js')).href)};
      const ctx = createTestTrainContext({}, { count: 2, offset: 0 }, { algorithm: new TaskFixtureAlgorithm(), threads: 3, entry: ${JSON.stringify(ENTRY)} });
      ctx.tasks.prestart(); // the third thread never runs a task
      const out = await ctx.tasks.run('square', [{ n: 2 }, { n: 3 }]);
      console.log(JSON.stringify(out.map((s) => s.value)));`;
    // A file, not --eval: threads inherit the process's flags, and --input-type is refused for a file entry.
    const dir = await makeTempDir('byoc-task-exit-');
    const file = path.join(dir, 'job.mjs');
    await writeFile(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    await removeDir(dir);
    assert.equal(signal, null, `the process had to be killed: ${stderr}`);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), '[4,9]');
  });
});

describe('training task pool in a training job', () => {
  it('the runner runs the algorithm’s tasks on training.threads threads started on the task entry, then stops them', async () => {
    const root = await buildMlRoot(await makeTempDir('byoc-task-pool-'), { hyperparameters: { algorithm: 'task-fixture', count: '5', offset: '1' } });
    try {
      const logger = new RecordingLogger();
      const container = createFrameworkContainer({
        config: loadConfig({ env: { BYOC_TRAINING_THREADS: '2' } }),
        logger,
        paths: resolvePaths(root, {}),
        algorithms: [TaskFixtureAlgorithm],
      });
      const code = await container.get(TrainingRunner).run({ taskEntry: ENTRY });
      assert.equal(code, 0, JSON.stringify(logger.entries.filter((e) => e.level === 'error')));
      const result = JSON.parse(await readFile(path.join(root, 'model', 'tasks.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(result.squares, [2, 5, 10, 17, 26]);
      assert.equal(result.total, 60);
      assert.equal(result.threads, 2);
      assert.equal((result.taskThreadIds as number[]).length, 2);
    } finally {
      await removeDir(root);
    }
  });

  it('without a task entry (or with training.threads 1), the tasks run in-process', async () => {
    const root = await buildMlRoot(await makeTempDir('byoc-task-pool-'), { hyperparameters: { algorithm: 'task-fixture', count: '3' } });
    try {
      const container = createFrameworkContainer({
        config: loadConfig({ env: { BYOC_TRAINING_THREADS: '4' } }),
        logger: new RecordingLogger(),
        paths: resolvePaths(root, {}),
        algorithms: [TaskFixtureAlgorithm],
      });
      assert.equal(await container.get(TrainingRunner).run(), 0);
      const result = JSON.parse(await readFile(path.join(root, 'model', 'tasks.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(result, { threads: 1, squares: [1, 4, 9], total: 14, taskThreadIds: [0] });
    } finally {
      await removeDir(root);
    }
  });
});

describe('training.threads configuration', () => {
  it('defaults to auto (the CPUs), takes BYOC_TRAINING_THREADS, refuses 0', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.training.threads, 'auto');
    assert.ok(trainingThreads(config) >= 1);
    assert.equal(trainingThreads(loadConfig({ env: { BYOC_TRAINING_THREADS: '3' } })), 3);
    assert.equal(loadConfig({ env: { BYOC_TRAINING_THREADS: 'AUTO' } }).training.threads, 'auto');
    assert.throws(
      () => loadConfig({ env: { BYOC_TRAINING_THREADS: '0' } }),
      (e: unknown) => e instanceof ConfigError && /training\.threads \(from BYOC_TRAINING_THREADS\)/.test(e.message),
    );
  });
});
