/**
 * `npm run demo`: trains on the bundled movies table in complete mode (every column with gaps gets
 * a model), serves the model on 127.0.0.1, sends one example request with gaps, prints it filled in
 * and keeps serving until Ctrl-C (`--once`: stop after the example).
 * Env: DEMO_ALGORITHM (default datawig), DEMO_PORT (default 8080), DEMO_DIR (default .demo).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMovies, toCsv } from './movies.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const entry = path.join(repoRoot, 'dist', 'bundle', 'byoc.js');
const algorithm = process.env.DEMO_ALGORITHM ?? 'datawig';
const port = Number(process.env.DEMO_PORT ?? 8080);
const mlRoot = path.resolve(repoRoot, process.env.DEMO_DIR ?? '.demo');
const once = process.argv.includes('--once');

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [entry, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
}

async function waitForPing(server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ping`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not answer /ping with 200 within 120 s');
}

async function main(): Promise<void> {
  const { columns, rows } = await readMovies();
  await rm(mlRoot, { recursive: true, force: true });
  await mkdir(path.join(mlRoot, 'input', 'data', 'train'), { recursive: true });
  await mkdir(path.join(mlRoot, 'input', 'config'), { recursive: true });
  await writeFile(path.join(mlRoot, 'input', 'data', 'train', 'movies.csv'), toCsv(columns, rows));
  // No label_column: complete mode, one model per column with gaps.
  await writeFile(path.join(mlRoot, 'input', 'config', 'hyperparameters.json'), JSON.stringify({ algorithm }, null, 2));
  console.log(`\n== training "${algorithm}" in complete mode on ${rows.length} movies (${mlRoot})\n`);
  const trainer = run(['train', '--ml-root', mlRoot], { BYOC_LOG_LEVEL: process.env.BYOC_LOG_LEVEL ?? 'info' });
  const code = await new Promise<number>((resolve) => trainer.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`training failed (exit ${code}); see ${path.join(mlRoot, 'output', 'failure')}`);

  const report = path.join(mlRoot, 'output', 'data', 'report.html');
  console.log(`\n== the model is in ${path.join(mlRoot, 'model')} (byoc impute --model ${path.join(mlRoot, 'model')} --input FILE --output - --fill)`);
  if (existsSync(report)) console.log(`== training report: ${report} (open it in a browser)`);
  console.log(`\n== serving on http://127.0.0.1:${port}\n`);
  const server = run(['serve', '--ml-root', mlRoot, '--port', String(port)], {
    BYOC_HOST: '127.0.0.1',
    BYOC_LOG_LEVEL: process.env.BYOC_LOG_LEVEL ?? 'warn',
  });
  const stop = (): void => {
    server.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await waitForPing(server);
    const sample = rows.filter((r) => r['Major Genre'] === null || r['MPAA Rating'] === null).slice(0, 3);
    const body = toCsv(columns, sample);
    console.log('== example request (CSV rows with gaps):\n');
    console.log(body);
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      // output=fill: the request's columns with the gaps filled in
      headers: { 'Content-Type': 'text/csv', Accept: 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'output=fill' },
      body,
    });
    console.log(`== response ${res.status} (${res.headers.get('content-type')}): the same rows, gaps filled in\n`);
    console.log(await res.text());
    console.log(
      `Try it yourself:\n  curl -s -X POST -H 'Content-Type: application/json' \\\n` +
        `    -d '{"instances": [{"Title": "Alien", "Director": "Ridley Scott", "Major Genre": null}]}' \\\n` +
        `    http://127.0.0.1:${port}/invocations\n`,
    );
  } catch (error) {
    stop();
    throw error;
  }
  if (once) stop();
  else console.log('Serving until Ctrl-C.');
  await new Promise<void>((resolve) => server.on('exit', () => resolve()));
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
