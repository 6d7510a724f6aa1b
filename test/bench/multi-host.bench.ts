/**
 * Complete mode on one host against N hosts of a simulated multi-instance job (test/helpers/multi-host.ts)
 * on a generated numeric table: wall time side by side, and the merged model checked against the
 * single-host one (same files). Each host trains on one thread. Two measures of the N-host job:
 * - concurrent: the N processes at once on this machine (bounded by its cores);
 * - separate machines: each host run alone, the job's time being its slowest host's (what N
 *   SageMaker instances take, without sharing this machine's cores).
 * CPU seconds (the children's user + system time) do not depend on what else loads this machine,
 * so the slowest host's CPU seconds against the single host's are the steadier speed-up figure.
 * Run: npm run bench:multi-host -- [--rows 2000] [--columns 60] [--hosts 2,3] [--epochs 10] [--no-concurrent]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { killAll, makeTempDir, removeDir, type RunResult } from '../helpers/e2e.js';
import { buildHostRoots, filesUnder, lowRankCsv, mergeDirs, trainHosts } from '../helpers/multi-host.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000' },
    columns: { type: 'string', default: '60' },
    hosts: { type: 'string', default: '2,3' },
    epochs: { type: 'string', default: '10' },
    'no-concurrent': { type: 'boolean', default: false },
  },
});
const rows = Number(args.rows);
const columns = Number(args.columns);
const hostCounts = args.hosts.split(',').map(Number);

const ENV = { BYOC_TRAINING_THREADS: '1' };
const HPS = { algorithm: 'datawig', seed: '3', num_epochs: args.epochs, iterations: '1' };

function hostNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `algo-${i + 1}`);
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds of this process's finished children (cutime + cstime of /proc/self/stat). */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Trains the roots at once: seconds from start to the last exit, and the CPU seconds they took. */
async function timed(roots: string[]): Promise<Timing> {
  const t0 = performance.now();
  const cpu0 = childCpuSeconds();
  const results: RunResult[] = await trainHosts(roots, ENV, 3_600_000);
  for (const [i, r] of results.entries()) if (r.code !== 0) throw new Error(`${roots[i]}: exit ${r.code}\n${r.stderr.slice(-2000)}`);
  return { wall: (performance.now() - t0) / 1000, cpu: childCpuSeconds() - cpu0 };
}

const f = (v: number): string => v.toFixed(1);
const ratio = (a: number, b: number): string => (a / b).toFixed(2);

async function main(): Promise<void> {
  const tmp = await makeTempDir('byoc-bench-hosts-');
  try {
    const trainFiles = { 'train.csv': lowRankCsv({ rows, numeric: columns, gaps: 0.1, seed: 11 }) };
    await writeFile(path.join(tmp, 'train.csv'), trainFiles['train.csv']);
    console.log(`table: ${rows} rows x ${columns} numeric columns, 10 % gaps; one training thread per host; num_epochs=${args.epochs}, iterations=1`);
    const [singleRoot] = await buildHostRoots(path.join(tmp, 'single'), ['algo-1'], { hyperparameters: HPS, trainFiles });
    const single = await timed([singleRoot!]);
    const singleFiles = await filesUnder(path.join(singleRoot!, 'model'));
    console.log(`1 host: ${f(single.wall)} s, ${f(single.cpu)} CPU s`);
    const table = [
      "| hosts | concurrent here: wall s | speed-up | separate machines: slowest host's wall s | speed-up | slowest host's CPU s | speed-up | hosts' CPU s |",
      '|---|---|---|---|---|---|---|---|',
      `| 1 | ${f(single.wall)} | 1.00 | ${f(single.wall)} | 1.00 | ${f(single.cpu)} | 1.00 | ${f(single.cpu)} |`,
    ];
    for (const n of hostCounts) {
      const build = (name: string) => buildHostRoots(path.join(tmp, `${name}-${n}`), hostNames(n), { hyperparameters: HPS, trainFiles });
      const concurrent = args['no-concurrent'] ? undefined : await timed(await build('concurrent'));
      // one host at a time, each has the machine to itself as on its own instance (fresh roots: a reused checkpoint would skip the training)
      const roots = await build('alone');
      const alone: Timing[] = [];
      for (const root of roots) alone.push(await timed([root]));
      const slowest = Math.max(...alone.map((a) => a.wall));
      const slowestCpu = Math.max(...alone.map((a) => a.cpu));
      const merged = path.join(tmp, `merged-${n}`);
      await mergeDirs(
        roots.map((r) => path.join(r, 'model')),
        merged,
      );
      const same = JSON.stringify(await filesUnder(merged)) === JSON.stringify(singleFiles);
      if (!same) throw new Error(`${n} hosts: the merged model's files are not the single-host model's`);
      const c = concurrent === undefined ? '- | -' : `${f(concurrent.wall)} | ${ratio(single.wall, concurrent.wall)}`;
      const separate = `${f(slowest)} | ${ratio(single.wall, slowest)} | ${f(slowestCpu)} | ${ratio(single.cpu, slowestCpu)}`;
      table.push(`| ${n} | ${c} | ${separate} | ${alone.map((a) => f(a.cpu)).join(' / ')} |`);
      console.log(`${n} hosts done (merged model: the single-host files)`);
    }
    console.log(table.join('\n'));
  } finally {
    killAll();
    await removeDir(tmp);
  }
}

await main();
