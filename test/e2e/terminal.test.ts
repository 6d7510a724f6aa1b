/**
 * End-to-end: what a person sees on a terminal. `byoc train` runs in a pseudo-terminal (util-linux
 * `script`): text log lines, a live progress bar per model family (epoch n / max, losses, early
 * stopping, ETA), a line per finished family, the summary table, a failure printed once; and
 * `--log-format` / BYOC_LOG_FORMAT switching between that and the JSON logs and METRIC lines that
 * SageMaker and CI get.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAIN, cleanEnv, jsonLines, killAll, makeTempDir, removeDir, runByoc } from '../helpers/e2e.js';

const SCRIPT = '/usr/bin/script';
const COLOURS = ['red', 'blue', 'green', 'black'];
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'.split(' ');

/** A title naming its colour among filler words: enough rows for the network's epochs to take a visible while. */
function catalogue(rows: number): string {
  const lines = ['title,size,colour'];
  for (let i = 0; i < rows; i++) {
    const colour = COLOURS[(i * 7) % 4]!;
    const filler = Array.from({ length: 6 }, (_, k) => WORDS[(i * 31 + k * 17) % WORDS.length]).join(' ');
    lines.push(`${filler} ${colour},${1 + (i % 9)},${colour}`);
  }
  return `${lines.join('\n')}\n`;
}

interface TerminalRun {
  code: number | null;
  /** Everything the terminal received, escape sequences included. */
  raw: string;
  /** The same without escape sequences and carriage returns. */
  text: string;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/** Runs `byoc ...args` with stdin, stdout and stderr on one pseudo-terminal (160 columns); killed after timeoutMs. */
function runInTerminal(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<TerminalRun> {
  const command = `stty cols 160 rows 50; exec ${[process.execPath, MAIN, ...args].map(shellQuote).join(' ')}`;
  // its own process group, so that a timeout stops script and byoc together
  const child = spawn(SCRIPT, ['-qefc', command, '/dev/null'], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let raw = '';
  child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`byoc ${args.join(' ')} did not finish within ${timeoutMs} ms; the terminal showed:\n${plain(raw)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, raw, text: plain(raw) });
    });
  });
}

let tmp: string;
let data: string;

before(async () => {
  assert.ok(existsSync(SCRIPT), `${SCRIPT} (util-linux, Debian's bsdutils) is needed to run byoc in a pseudo-terminal`);
  tmp = await makeTempDir('byoc-e2e-terminal-');
  data = path.join(tmp, 'catalogue.csv');
  await writeFile(data, catalogue(3000));
});
after(async () => {
  killAll();
  await removeDir(tmp);
});

const NETWORK_HPS = ['--hp', 'label_column=colour', '--hp', 'model_family=network', '--hp', 'num_epochs=8', '--hp', 'patience=20'];

describe('byoc train on a terminal', () => {
  it('shows text log lines, a live bar per family (epoch n / max, losses, early stopping, ETA), a line when it ends, and the summary table; no JSON, no METRIC lines', async () => {
    const model = path.join(tmp, 'tty', 'model');
    const run = await runInTerminal(['train', '--data', data, ...NETWORK_HPS, '--model-dir', model]);
    assert.equal(run.code, 0, run.text);
    assert.match(run.text, /^\[\d\d:\d\d:\d\d\] INFO: training started /m);
    assert.doesNotMatch(run.text, /\{"level":/, 'no JSON log line');
    assert.doesNotMatch(run.text, /^METRIC /m, 'METRIC lines are not printed between the bars');
    // at least one frame of the bar, drawn while the epochs ran
    assert.match(run.text, /colour · network {2}\S+ {2}\d\/8 {2}loss [\d.e-]+ {2}val_loss [\d.e-]+ {2}best epoch \d, patience \d\/20 {2}ETA ≤ \d+s/);
    assert.match(run.text, /^✓ colour · network: 8 epochs, best \d$/m);
    assert.match(run.text, /^column +family +metric +value +baseline/m);
    assert.match(run.text, /^colour +network +accuracy +[\d.]+ +[\d.]+ +2700 \/ 300 /m);
    // colours on a terminal, and the cursor shown again at the end
    assert.ok(run.raw.includes('\x1b[32mINFO'), 'the level is coloured');
    assert.ok(run.raw.lastIndexOf('\x1b[?25h') > run.raw.lastIndexOf('\x1b[?25l'), 'the cursor is visible again');
  });

  it('prints a failure once, without passing the escape sequences of the data on to the terminal', async () => {
    const label = 'hue\x1b[2J';
    const run = await runInTerminal(['train', '--data', data, '--hp', `label_column=${label}`, '--model-dir', path.join(tmp, 'fail', 'model')]);
    assert.equal(run.code, 255, run.text);
    assert.equal(run.text.match(/is not a column of the training data/g)?.length, 1, run.text);
    assert.match(run.text, /^training failed: label_column "hue \[2J" is not a column of the training data; its columns are: title, size, colour$/m);
    assert.ok(!run.raw.includes('\x1b[2J'), 'no escape sequence from the data reaches the terminal');
    assert.match(await readFile(path.join(tmp, 'fail', 'output', 'failure'), 'utf8'), /is not a column of the training data/);
  });

  it('--log-format json: the JSON log and METRIC lines, as under SageMaker, and no bars or table', async () => {
    const run = await runInTerminal(['train', '--log-format', 'json', '--data', data, ...NETWORK_HPS, '--model-dir', path.join(tmp, 'json', 'model')]);
    assert.equal(run.code, 0, run.text);
    const logs = jsonLines(run.text);
    assert.ok(logs.some((l) => l.msg === 'training started' && l.level === 'info' && l.role === 'train'));
    assert.equal(run.text.match(/^METRIC validation:loss=[\d.e-]+ epoch=\d$/gm)?.length, 8);
    assert.doesNotMatch(run.text, /✓|ETA|^column +family/m);
  });
});

describe('--log-format and BYOC_LOG_FORMAT without a terminal', () => {
  it('text: readable lines on stderr, METRIC lines still on stdout, no bars', async () => {
    const result = await runByoc(
      ['train', '--data', data, ...NETWORK_HPS, '--hp', 'num_epochs=2', '--model-dir', path.join(tmp, 'text', 'model')],
      { BYOC_LOG_FORMAT: 'text' },
      90_000,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^\[\d\d:\d\d:\d\d\] INFO: training complete /m);
    assert.ok(!result.stderr.includes('\x1b['), 'no colours or cursor movement off a terminal');
    assert.deepEqual(
      result.stdout
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('METRIC ')),
      [],
      'stdout holds only METRIC lines',
    );
    assert.equal(result.stdout.match(/^METRIC train:loss=/gm)?.length, 2);
  });

  it('an unknown format is a usage error naming the choices', async () => {
    const result = await runByoc(['train', '--log-format', 'yaml', '--data', data, '--model-dir', path.join(tmp, 'bad', 'model')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--log-format.*yaml.*(auto, json, text|auto, json or text)/);
    const env = await runByoc(['train', '--data', data, '--model-dir', path.join(tmp, 'bad', 'model')], { BYOC_LOG_FORMAT: 'yaml' });
    assert.equal(env.code, 255);
    assert.match(env.stderr, /logging\.format/);
  });
});
