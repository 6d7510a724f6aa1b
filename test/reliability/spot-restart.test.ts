/**
 * Managed spot training, end to end: `byoc train` (datawig, complete mode) as a child process is
 * interrupted (SIGKILL, like a lost instance, or SIGTERM, like a spot interruption) either right
 * after its first target checkpoint or in the middle of a later target's epochs (after one of its
 * epoch checkpoints), then run again on the same ml-root with the model directory emptied and the
 * checkpoints kept, as SageMaker does. The restart must resume the checkpointed targets, continue
 * the interrupted target from its saved epoch, train only the rest, finish faster than a fresh run
 * and write model/targets/** byte-identical to an uninterrupted run.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildMlRoot, killAll, makeTempDir, removeDir, runByoc, startByoc } from '../helpers/e2e.js';

// One round of network models on the training thread: the test counts one checkpoint per column and
// kills the job between epoch checkpoints, which only a network fitted on the training thread writes
// (chained rounds: test/datawig/complete-chained.test.ts; worker threads: test/e2e/train-tasks.test.ts).
const HPS = { algorithm: 'datawig', num_epochs: '8', iterations: '1', model_family: 'network' };
const ENV = { BYOC_TRAINING_THREADS: '1' };
const COLUMNS = ['color', 'size', 'weight', 'note'];
const CHECKPOINTED = 'datawig: target checkpointed';
const RESUMED = 'datawig: resumed target from checkpoint';
const EPOCH_CHECKPOINTED = 'datawig: epoch checkpointed';
const EPOCH_RESUMED = 'datawig: resumed target from epoch checkpoint';
/** Bound of one whole `byoc train` run (a fresh one takes ~5-8 s here). */
const RUN_TIMEOUT_MS = 60_000;

/**
 * A deterministic complete-mode table with ~10 % gaps per column: two categorical columns, one
 * numeric column that depends on them and one short text column. 1,200 rows make each target take
 * about half a second here (more on a loaded machine), so an interruption leaves targets to train.
 */
function tableCsv(rows = 1_200): string {
  let state = 7;
  const rnd = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const colors = ['red', 'green', 'blue', 'yellow'];
  const sizes = ['small', 'medium', 'large'];
  const words = ['soft', 'hard', 'shiny', 'matte', 'round', 'square', 'light', 'heavy'];
  const lines = [COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(rnd() * colors.length);
    const s = Math.floor(rnd() * sizes.length);
    const weight = (c * 2 + s * 3 + rnd()).toFixed(2);
    const note = `${words[(c + s) % words.length]} ${words[(c * 3 + 1) % words.length]} item`;
    const gap = (): boolean => rnd() < 0.1;
    lines.push([gap() ? '' : colors[c], gap() ? '' : sizes[s], gap() ? '' : weight, gap() ? '' : note].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The `msg` of every JSON log line on stdout (METRIC lines and other text are skipped). */
interface LogEntry {
  msg: string;
  label?: string;
  round?: number;
  epoch?: number;
  finished?: boolean;
}

function messages(stdout: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; label?: unknown; round?: unknown; epoch?: unknown; finished?: unknown };
      if (typeof entry.msg === 'string') {
        out.push({
          msg: entry.msg,
          label: typeof entry.label === 'string' ? entry.label : undefined,
          round: typeof entry.round === 'number' ? entry.round : undefined,
          epoch: typeof entry.epoch === 'number' ? entry.epoch : undefined,
          finished: typeof entry.finished === 'boolean' ? entry.finished : undefined,
        });
      }
    } catch {
      // a line cut by SIGKILL
    }
  }
  return out;
}

const labelsOf = (stdout: string, msg: string): string[] =>
  messages(stdout)
    .filter((m) => m.msg === msg)
    .map((m) => `${m.label}@${m.round}`);

/** Every file under `dir`, relative path → bytes. */
async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), await readFile(full));
  }
  return out;
}

function assertSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'the same files under model/targets');
  for (const [name, bytes] of expected) assert.ok(actual.get(name)!.equals(bytes), `model/targets/${name} differs from the uninterrupted run's`);
}

let tmp: string;
let csv: string;
let fresh: { ms: number; trainingSeconds: number; trained: string[]; targets: Map<string, Buffer> };

/** The job's own training time (`datawig: training done`, seconds). */
function trainingSeconds(stdout: string): number {
  for (const line of stdout.split('\n')) {
    if (!line.includes('"msg":"datawig: training done"')) continue;
    return Number((JSON.parse(line) as { seconds?: unknown }).seconds);
  }
  throw new Error('no "datawig: training done" line in the output');
}

async function newRoot(name: string): Promise<string> {
  return buildMlRoot(path.join(tmp, name), { hyperparameters: HPS, trainFiles: { 'train.csv': csv } });
}

before(async () => {
  tmp = await makeTempDir('byoc-rel-spot-');
  csv = tableCsv();
  const root = await newRoot('fresh');
  const started = performance.now();
  const result = await runByoc(['train', '--ml-root', root], ENV, RUN_TIMEOUT_MS);
  const ms = Math.round(performance.now() - started);
  assert.equal(result.code, 0, `the uninterrupted run failed:\n${result.stdout.slice(-3000)}\n${result.stderr}`);
  fresh = {
    ms,
    trainingSeconds: trainingSeconds(result.stdout),
    trained: labelsOf(result.stdout, CHECKPOINTED),
    targets: await filesUnder(path.join(root, 'model', 'targets')),
  };
  assert.deepEqual(labelsOf(result.stdout, RESUMED), [], 'a fresh ml-root has no checkpoints');
  assert.deepEqual(
    fresh.trained,
    COLUMNS.map((c) => `${c}@1`),
    'every column is a target, checkpointed once',
  );
});

after(async () => {
  killAll();
  await removeDir(tmp);
});

/** Where the run is interrupted: right after the first finished target, or inside the third target's epochs. */
type Moment = 'after-first-target' | 'mid-target';

/** The log line that triggers the interruption. */
const TRIGGER: Record<Moment, RegExp> = {
  'after-first-target': /"msg":"datawig: target checkpointed"/,
  // an epoch checkpoint of the third target (not its final one): it is in the middle of its epochs
  'mid-target': new RegExp(`"label":"${COLUMNS[2]}"[^\n]*"finished":false[^\n]*"msg":"${EPOCH_CHECKPOINTED}"`),
};

/**
 * Starts `byoc train`, sends `signal` once the trigger line of `moment` is logged, waits for the
 * exit, then restarts on the same ml-root (model dir emptied, checkpoints kept) and checks the restart.
 */
async function interruptAndRestart(t: TestContext, name: string, signal: 'SIGKILL' | 'SIGTERM', moment: Moment): Promise<void> {
  const root = await newRoot(name);
  const started = performance.now();
  const first = startByoc(['train', '--ml-root', root], ENV);
  try {
    await first.waitForOutput(TRIGGER[moment], RUN_TIMEOUT_MS);
  } catch (error) {
    first.kill('SIGKILL');
    throw error;
  }
  first.kill(signal);
  const stopped = await first.exit(30_000);
  const stoppedMs = Math.round(performance.now() - started);
  const checkpointed = labelsOf(stopped.stdout, CHECKPOINTED);
  const failure = await readFile(path.join(root, 'output', 'failure'), 'utf8').catch(() => undefined);
  if (signal === 'SIGKILL') {
    assert.equal(stopped.signal, 'SIGKILL', `killed by SIGKILL (exit ${stopped.code})`);
  } else {
    assert.equal(stopped.code, 143, `a stopped job exits 143:\n${stopped.stdout.slice(-2000)}\n${stopped.stderr}`);
    assert.ok(failure, 'output/failure was written');
    assert.match(failure, /stopped by SIGTERM/);
    assert.match(stopped.stdout, /SIGTERM received: asking the algorithm to stop/);
  }
  assert.ok(checkpointed.length >= 1, 'the interrupted run checkpointed a target');
  assert.ok(checkpointed.length < COLUMNS.length, `interrupted before the last target (checkpointed ${checkpointed.join(', ')})`);
  // the last epoch checkpoint the interrupted run logged for a target it did not finish
  const unfinished = messages(stopped.stdout).filter(
    (m) => m.msg === EPOCH_CHECKPOINTED && m.finished === false && !checkpointed.includes(`${m.label}@${m.round}`),
  );
  const lastEpoch = unfinished.at(-1);
  if (moment === 'mid-target') assert.equal(lastEpoch?.label, COLUMNS[2], 'interrupted inside the third target');

  // SageMaker starts the new instance with an empty model dir and the checkpoints synced back.
  await rm(path.join(root, 'model'), { recursive: true, force: true });
  await mkdir(path.join(root, 'model'));
  const restartedAt = performance.now();
  const restart = await runByoc(['train', '--ml-root', root], ENV, RUN_TIMEOUT_MS);
  const restartMs = Math.round(performance.now() - restartedAt);
  assert.equal(restart.code, 0, `the restarted job failed:\n${restart.stdout.slice(-3000)}\n${restart.stderr}`);
  await assert.rejects(readFile(path.join(root, 'output', 'failure')), 'a successful job removes output/failure');
  const resumed = labelsOf(restart.stdout, RESUMED);
  const trained = labelsOf(restart.stdout, CHECKPOINTED);
  const continued = messages(restart.stdout).filter((m) => m.msg === EPOCH_RESUMED && m.finished === false);
  t.diagnostic(
    `${signal} ${moment}: fresh run ${fresh.ms} ms (training ${fresh.trainingSeconds} s, ${fresh.trained.length} targets trained); interrupted run ${stoppedMs} ms ` +
      `(checkpointed ${checkpointed.join(', ')}; last epoch checkpoint ${lastEpoch ? `${lastEpoch.label} epoch ${lastEpoch.epoch}` : 'none'}); ` +
      `restart ${restartMs} ms (training ${trainingSeconds(restart.stdout)} s): resumed ${resumed.length} [${resumed.join(', ')}], continued ` +
      `[${continued.map((m) => `${m.label} from epoch ${m.epoch}`).join(', ')}], trained ${trained.length} [${trained.join(', ')}]`,
  );
  assert.ok(resumed.length >= 1, 'the restart resumed at least one target');
  // Every checkpoint the interrupted run logged is reused (SIGKILL may cut a log line, never a valid checkpoint).
  for (const label of checkpointed) assert.ok(resumed.includes(label), `${label} was checkpointed, so it is resumed`);
  if (signal === 'SIGTERM') assert.deepEqual(resumed, checkpointed, 'a graceful stop logs every checkpoint it wrote');
  if (lastEpoch) {
    // the target being trained continues from its last epoch checkpoint (SIGKILL: perhaps a later one whose log line was cut)
    const cont = continued.find((m) => m.label === lastEpoch.label);
    assert.ok(cont, `${lastEpoch.label} continues from an epoch checkpoint`);
    if (signal === 'SIGTERM') assert.equal(cont.epoch, lastEpoch.epoch, 'continued from the last epoch checkpoint logged');
    else assert.ok(cont.epoch! >= lastEpoch.epoch!, `continued from epoch ${cont.epoch} >= ${lastEpoch.epoch}`);
  }
  assert.ok(trained.length < fresh.trained.length, `the restart trains fewer targets (${trained.length}) than a fresh run (${fresh.trained.length})`);
  assert.deepEqual([...resumed, ...trained].sort(), [...fresh.trained].sort(), 'each target is either resumed or trained, once');
  // (time saved is a benchmark matter: wall-clock comparisons of 2-second jobs fail on a loaded CI host)
  assertSameFiles(await filesUnder(path.join(root, 'model', 'targets')), fresh.targets);
}

describe('managed spot training: a restarted datawig job resumes from its checkpoints', () => {
  it('SIGKILL after the first checkpoint: the restart resumes, trains the rest, same model', async (t) => {
    await interruptAndRestart(t, 'sigkill', 'SIGKILL', 'after-first-target');
  });

  it('SIGKILL in the middle of a target: the restart continues it from its epoch checkpoint, same model', async (t) => {
    await interruptAndRestart(t, 'sigkill-mid', 'SIGKILL', 'mid-target');
  });

  it('SIGTERM in the middle of a target: exit 143 with the reason, the restart continues it, same model', async (t) => {
    await interruptAndRestart(t, 'sigterm-mid', 'SIGTERM', 'mid-target');
  });
});
