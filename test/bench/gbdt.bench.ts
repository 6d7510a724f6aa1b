/**
 * Gradient-boosted trees: our learner and scikit-learn's HistGradientBoosting (2 OpenMP threads) on
 * the same generated rows in one run, side by side: fit seconds, test quality and the time ratio.
 * Run: npx tsc -p . ; node dist/test/bench/gbdt.bench.js [--repeat N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classCount, predictProba, predictRaw } from '../../algorithms/datawig/core/gbdt-model.js';
import { fitGbdt, type GbdtOptions } from '../../algorithms/datawig/fit/gbdt/fit-gbdt.js';
import {
  accuracy,
  classificationData,
  normalisedMse,
  regressionData,
  runSklearn,
  sklearnPython,
  writeDataset,
  type Dataset,
  type SklearnResult,
} from '../datawig/gbdt-compare.js';

interface Case {
  name: string;
  data: Dataset;
  options: GbdtOptions;
}

const repeatArg = process.argv.indexOf('--repeat');
const repeat = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 1;

const cases: Case[] = [
  { name: 'regression 5k x 20', data: regressionData({ rows: 5000, testRows: 5000, numeric: 20, nanFraction: 0.1, seed: 1 }), options: {} },
  { name: 'regression 50k x 20', data: regressionData({ rows: 50000, testRows: 10000, numeric: 20, nanFraction: 0.1, seed: 2 }), options: {} },
  {
    name: '3-class 5k x 10 (2 categorical)',
    data: classificationData({ rows: 5000, testRows: 5000, numeric: 8, categorical: 2, levels: 30, nanFraction: 0.15, seed: 3 }),
    options: {},
  },
  {
    name: '3-class 50k x 20 (4 categorical)',
    data: classificationData({ rows: 50000, testRows: 10000, numeric: 16, categorical: 4, levels: 50, nanFraction: 0.15, seed: 4 }),
    options: {},
  },
];

function quality(d: Dataset, model: ReturnType<typeof fitGbdt>['model']): number {
  if (d.task === 'regression') return normalisedMse(predictRaw(model, d.test.features), d.test.y);
  return accuracy(predictProba(model, d.test.features), classCount(model), d.test.y as Int32Array);
}

/** Median microseconds of predictRaw on one row (as serving calls it), over the first 2,000 test rows. */
function oneRowMicros(d: Dataset, model: ReturnType<typeof fitGbdt>['model']): number {
  const n = Math.min(2000, d.test.features[0]!.length);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = d.test.features.map((col) => Float64Array.of(col[i]!));
    const start = performance.now();
    predictRaw(model, row);
    times.push((performance.now() - start) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function ours(c: Case): { seconds: number; cpuSeconds: number; quality: number; iterations: number; rowMicros: number } {
  let best = Infinity;
  let cpu = Infinity;
  let fit!: ReturnType<typeof fitGbdt>;
  for (let r = 0; r < repeat; r++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    fit = fitGbdt({ features: c.data.train.features, categorical: c.data.categorical, y: c.data.train.y }, c.options);
    best = Math.min(best, (performance.now() - start) / 1000);
    const used = process.cpuUsage(startCpu);
    cpu = Math.min(cpu, (used.user + used.system) / 1e6);
  }
  return { seconds: best, cpuSeconds: cpu, quality: quality(c.data, fit.model), iterations: fit.iterationsRun, rowMicros: oneRowMicros(c.data, fit.model) };
}

const python = sklearnPython();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gbdt-bench-'));
try {
  const dirs = cases.map((c, i) => {
    const dir = path.join(tmp, String(i));
    writeDataset(dir, c.data, c.options);
    return dir;
  });
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)}, ${python}; best of ${repeat} fit(s) each`);
  console.log('sklearn 2 threads: OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE; ratio = ours / sklearn with 2 threads (wall), and CPU seconds of all threads\n');
  console.log(
    '| data | metric | ours | sklearn | fit s ours | fit s sklearn 2 thr | fit s sklearn 1 thr | wall ratio | CPU s ours / sklearn 2 thr | iterations ours / sklearn | one-row predict µs ours |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const bestOf = (dir: string, threads: number): SklearnResult => {
    let best = runSklearn(python, [dir], threads)[0]!;
    for (let r = 1; r < repeat; r++) {
      const again = runSklearn(python, [dir], threads)[0]!;
      if (again.fitSeconds < best.fitSeconds) best = again;
    }
    return best;
  };
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const o = ours(c);
    const two = bestOf(dirs[i]!, 2);
    const one = bestOf(dirs[i]!, 1);
    const metric = c.data.task === 'regression' ? 'normalised MSE' : 'accuracy';
    const theirs = c.data.task === 'regression' ? two.nmse! : two.accuracy!;
    const cells = [c.name, metric, o.quality.toFixed(4), theirs.toFixed(4), o.seconds.toFixed(2), two.fitSeconds.toFixed(2), one.fitSeconds.toFixed(2)];
    cells.push(
      `${(o.seconds / two.fitSeconds).toFixed(2)}x`,
      `${o.cpuSeconds.toFixed(2)} / ${two.fitCpuSeconds.toFixed(2)}`,
      `${o.iterations} / ${two.nIter}`,
      o.rowMicros.toFixed(1),
    );
    console.log(`| ${cells.join(' | ')} |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
