/**
 * datawig benchmark (bounded in time, prints tables). Sections, all by default:
 *   movies   impute Major Genre / MPAA Rating / Creative Type on vega-datasets movies (80/20 split)
 *   numeric  DataWig paper protocol: low-rank matrix and swiss roll, 10%/30% masked, MCAR/MAR/MNAR
 *   text     5,000 rows with two ~100-word text columns: training time, rows/s, latency
 *   complete complete mode on the whole movies table
 *   train    training speed (train rows/s = rows x epochs / training seconds, also per CPU second) and
 *            validation accuracy on the IMDB sample and generated 5k / 20k-row text -> 16-class tables
 *            (and one with a 2^17-row table), with the cost of the epoch checkpoints written to a
 *            folder (not in the default sections: run it by name)
 * Run: npx tsc -p . ; node dist/test/bench/datawig.bench.js [section ...]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { DirectoryArtifactStore } from '../../framework/storage/artifact-store.js';
import { createTestLoadContext, createTestTrainContext } from '../../framework/testing.js';
import { invokeInProcess, type InProcessRequest } from '../../framework/testing.js';
import type { InputRecord, Predictor, RecordBatch, Table } from '../../framework/contract/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { loadTf } from '../../algorithms/datawig/fit/tf-backend.js';
import { hp } from '../datawig/helpers.js';
import { knnImpute, lowRank, mask, meanImpute, swissRoll, textRows, type Mechanism } from './lib/datawig-data.js';

const alg = new DatawigAlgorithm();
const invoke = (predictor: Predictor, batch: RecordBatch<InputRecord>, request: InProcessRequest = {}) =>
  invokeInProcess({ algorithm: alg, predictor }, batch, request);
const csv = { accept: 'text/csv' };
const sections = process.argv.slice(2).length ? process.argv.slice(2) : ['movies', 'numeric', 'text', 'complete'];

function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}\n`);
  if (!rows.length) return;
  const cols = Object.keys(rows[0]!);
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : v);
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => fmt(r[c]!)).join(' | ')} |`);
}

function moviesTable(): Table {
  // the package's "exports" hide data/, so read the file from node_modules (dist/test/bench -> repo root)
  const file = new URL('../../../node_modules/vega-datasets/data/movies.json', import.meta.url);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
  const columns = Object.keys(raw[0]!);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- cells of a JSON dataset: strings, numbers, booleans
  const records = raw.map((m) => Object.fromEntries(columns.map((c) => [c, m[c] === null || m[c] === undefined ? '' : String(m[c])])) as InputRecord);
  return { columns, records };
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const r = rng(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function macroF1(truth: string[], pred: string[]): number {
  const labels = [...new Set(truth)];
  let sum = 0;
  for (const l of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      if (pred[i] === l && t === l) tp++;
      else if (pred[i] === l) fp++;
      else if (t === l) fn++;
    });
    sum += tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
  }
  return sum / labels.length;
}

async function rowsPerSecond(p: Predictor, columns: string[], records: InputRecord[]): Promise<{ batch: number; singleMs: number }> {
  await invoke(p, { columns, records: records.slice(0, 50) }, csv);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    await invoke(p, { columns, records }, csv);
    n += records.length;
  }
  const batch = n / ((performance.now() - t0) / 1000);
  const times: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const s = performance.now();
    await invoke(p, { columns, records: [records[i % records.length]!] }, csv);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return { batch, singleMs: times[500]! };
}

async function movies(): Promise<void> {
  const table = moviesTable();
  const out: Record<string, string | number>[] = [];
  for (const target of ['Major Genre', 'MPAA Rating', 'Creative Type']) {
    const known = shuffle(
      table.records.filter((r) => r[target] !== ''),
      2024,
    );
    const cut = Math.floor(known.length * 0.8);
    const train = known.slice(0, cut);
    const test = known.slice(cut);
    const counts = new Map<string, number>();
    for (const r of train) counts.set(String(r[target]), (counts.get(String(r[target])) ?? 0) + 1);
    const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const truth = test.map((r) => String(r[target]));
    const t0 = performance.now();
    const ctx = createTestTrainContext({ train: { columns: table.columns, records: train } }, hp({ label_column: target }));
    const res = await alg.train(ctx);
    const trainS = (performance.now() - t0) / 1000;
    const p = await alg.load(createTestLoadContext(ctx.model, res.inputSchema));
    const blanked = test.map((r) => ({ ...r, [target]: '' }));
    const o = await invoke(p, { columns: table.columns, records: blanked }, csv);
    const pred = o.records.map((r) => String(r[`${target}_imputed`]));
    const acc = pred.filter((v, i) => v === truth[i]).length / truth.length;
    const speed = await rowsPerSecond(p, table.columns, blanked);
    out.push({
      task: target,
      'train/test': `${train.length}/${test.length}`,
      classes: counts.size,
      accuracy: acc,
      'macro-F1': macroF1(truth, pred),
      'baseline acc': truth.filter((t) => t === majority).length / truth.length,
      'baseline F1': macroF1(
        truth,
        truth.map(() => majority),
      ),
      'train s': trainS,
      'predict rows/s': Math.round(speed.batch),
      'single row ms': speed.singleMs,
    });
  }
  printTable('movies: categorical imputation (80/20 split of rows with the column known; baseline = most frequent class)', out);
}

async function numeric(): Promise<void> {
  const out: Record<string, string | number>[] = [];
  const sets: [string, number[][]][] = [
    ['low-rank 600x6 (rank 2)', lowRank(600, 6, 2, 7)],
    ['swiss roll 600x3', swissRoll(600, 8)],
  ];
  for (const [name, X] of sets) {
    const d = X[0]!.length;
    // MSE in standardised units so that columns weigh the same
    const sd = Array.from({ length: d }, (_, j) => {
      const v = X.map((r) => r[j]!);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) || 1;
    });
    for (const rate of [0.1, 0.3]) {
      for (const mech of ['MCAR', 'MAR', 'MNAR'] as Mechanism[]) {
        const M = mask(X, rate, mech, 11);
        const mse = (Y: number[][]) => {
          let s = 0;
          let c = 0;
          X.forEach((row, i) =>
            row.forEach((v, j) => {
              if (M[i]![j]) {
                s += ((Y[i]![j]! - v) / sd[j]!) ** 2;
                c++;
              }
            }),
          );
          return s / c;
        };
        const columns = Array.from({ length: d }, (_, j) => `c${j}`);
        const records = X.map((row, i) => Object.fromEntries(row.map((v, j) => [`c${j}`, M[i]![j] ? '' : v.toPrecision(8)])) as InputRecord);
        const t0 = performance.now();
        const ctx = createTestTrainContext({ train: { columns, records } }, hp({ column_types: columns.map((c) => `${c}:numeric`) }));
        const res = await alg.train(ctx);
        const p = await alg.load(createTestLoadContext(ctx.model, res.inputSchema));
        const o = await invoke(p, { columns, records }, csv);
        const trainS = (performance.now() - t0) / 1000;
        const Y = X.map((row, i) => row.map((v, j) => (M[i]![j] ? Number(o.records[i]![`c${j}_imputed`]) : v)));
        out.push({
          data: name,
          masked: `${rate * 100}%`,
          mechanism: mech,
          'datawig MSE': mse(Y),
          'mean MSE': mse(meanImpute(X, M)),
          'kNN (k=5) MSE': mse(knnImpute(X, M)),
          'datawig s': trainS,
        });
      }
    }
  }
  printTable('numeric imputation, DataWig paper protocol (MSE on masked cells, standardised units)', out);
}

async function text(): Promise<void> {
  const rows = textRows(6000, 16, 5);
  const train = rows.slice(0, 5000);
  const test = rows.slice(5000).map((r) => ({ title: r.title, description: r.description }));
  const t0 = performance.now();
  const ctx = createTestTrainContext({ train: { columns: ['title', 'description', 'label'], records: train } }, hp({ label_column: 'label' }));
  const res = await alg.train(ctx);
  const trainS = (performance.now() - t0) / 1000;
  const p = await alg.load(createTestLoadContext(ctx.model, res.inputSchema));
  const o = await invoke(p, { columns: ['title', 'description'], records: test }, csv);
  const acc = o.records.filter((r, i) => r.label_imputed === rows[5000 + i]!.label).length / test.length;
  const speed = await rowsPerSecond(p, ['title', 'description'], test);
  const m = res.metrics ?? {};
  printTable('5,000 rows, two ~100-word text columns, 16 classes (training includes validation + calibration)', [
    {
      'train s': trainS,
      epochs: (await ctx.model.readJson<{ metrics: { epochs: number } }>('targets/0/target.json')).metrics.epochs,
      'val accuracy': m.validation_accuracy ?? NaN,
      'ECE before': m.validation_ece_before_calibration ?? NaN,
      'ECE after': m.validation_ece ?? NaN,
      'held-out accuracy': acc,
      'predict rows/s': Math.round(speed.batch),
      'single row ms': speed.singleMs,
    },
  ]);
}

async function complete(): Promise<void> {
  const table = moviesTable();
  const t0 = performance.now();
  const ctx = createTestTrainContext({ train: table }, hp({}));
  const res = await alg.train(ctx);
  const trainS = (performance.now() - t0) / 1000;
  const p = await alg.load(createTestLoadContext(ctx.model, res.inputSchema));
  const o = await invoke(p, table, csv);
  const targets = (await ctx.model.readJson<{ targets: { label: string }[] }>('model.json')).targets.map((t) => t.label);
  let filled = 0;
  let gaps = 0;
  o.records.forEach((r, i) => {
    for (const t of targets) {
      if (table.records[i]![t] !== '') continue;
      gaps++;
      if (r[`${t}_imputed`] !== '') filled++;
    }
  });
  const speed = await rowsPerSecond(p, table.columns, table.records.slice(0, 500));
  printTable('complete mode on movies (3,201 rows)', [
    { 'train s': trainS, columns: targets.length, gaps, filled, 'predict rows/s': Math.round(speed.batch), 'single row ms': speed.singleMs },
  ]);
  console.log(`\nmodelled columns: ${targets.join(', ')}`);
}

/** The IMDB sample's training rows (the checked-in copy; dist/test/bench -> repo root). */
function imdbTable(): Table {
  const file = new URL('../../../test/fixtures/imdb_sample/train.csv', import.meta.url);
  const parsed = Papa.parse<InputRecord>(readFileSync(file, 'utf8'), { header: true, skipEmptyLines: true });
  return { columns: parsed.meta.fields!, records: parsed.data };
}

/**
 * Training speed on one table: the job's training seconds, train rows/s over every epoch run, the
 * validation accuracy, and what the epoch checkpoints (to a folder, as /opt/ml/checkpoints) cost.
 */
async function trainOnce(name: string, table: Table, label: string, overrides: Parameters<typeof hp>[0]): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'datawig-bench-ckpt-'));
  try {
    const ctx = createTestTrainContext({ train: table }, hp({ label_column: label, ...overrides }));
    (ctx as { checkpoints: unknown }).checkpoints = new DirectoryArtifactStore(dir);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const res = await alg.train(ctx);
    const trainS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU seconds as well: on a shared machine the wall time mostly measures the other jobs
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const target = await ctx.model.readJson<{ metrics: { epochs: number; train_rows: number } }>('targets/0/target.json');
    const writes = ctx.logger.entries.filter((e) => e.message === 'datawig: epoch checkpointed');
    const ms = writes.map((e) => Number(e.fields?.ms));
    return {
      table: name,
      rows: table.records.length,
      epochs: target.metrics.epochs,
      'train s': trainS,
      'train CPU s': cpuS,
      'train rows/s': Math.round((target.metrics.train_rows * target.metrics.epochs) / trainS),
      'rows per CPU s': Math.round((target.metrics.train_rows * target.metrics.epochs) / cpuS),
      'val accuracy': res.metrics?.validation_accuracy ?? NaN,
      'epoch checkpoints': writes.length,
      'MB each': writes.length ? Number(writes[0]!.fields?.bytes) / 1e6 : 0,
      'ms each (median)': ms.length ? ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]! : 0,
      'checkpoint share (wall)': ms.reduce((a, b) => a + b, 0) / 1000 / trainS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function trainSpeed(): Promise<void> {
  const text = (n: number): Table => ({ columns: ['title', 'description', 'label'], records: textRows(n, 16, 5) });
  const fixed = { num_epochs: 10, patience: 100 };
  const out = [
    await trainOnce('imdb sample', imdbTable(), 'rating_binary', { feature_columns: ['review'], num_epochs: 10 }),
    await trainOnce('text 5k, 16 classes', text(5000), 'label', fixed),
    await trainOnce('text 20k, 16 classes', text(20000), 'label', { ...fixed, num_epochs: 5 }),
    // a sparse case: a batch uses a small share of a 2^17-row table
    await trainOnce('text 5k, 2^17 buckets, words', text(5000), 'label', { ...fixed, num_epochs: 5, num_hash_buckets: 2 ** 17, tokens: 'words' }),
  ];
  printTable('training speed (fixed epochs; validation and calibration included in train s)', out);
}

const { backend } = await loadTf();
console.log(`# datawig benchmark — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), tfjs backend ${backend}`);
const started = performance.now();
for (const s of sections) {
  if (s === 'movies') await movies();
  else if (s === 'numeric') await numeric();
  else if (s === 'text') await text();
  else if (s === 'complete') await complete();
  else if (s === 'train') await trainSpeed();
  else throw new Error(`unknown section ${s}`);
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
