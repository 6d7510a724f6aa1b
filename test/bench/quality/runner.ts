/** One benchmark task end to end: mask the table, run every "ours" variant and the peers on the same masked CSV, score. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeTableCsv } from './csv.js';
import { hiddenCells, scoreTask, type ColumnScores, type Imputations, type TaskImputations } from './evaluate.js';
import { applyMask, generateMask, labelHoldout, type Mask, type MaskSpec } from './masks.js';
import { runOurs, type OursVariant } from './ours.js';
import { runPeers, TABLE_PEERS, TEXT_PEERS, type PeerName } from './peers.js';
import type { BenchTable } from './table.js';

export interface RunOptions {
  seed: number;
  python: string;
  /** Hyperparameters every variant starts from (--ours-hp), before its own. */
  baseHyperparameters: Record<string, string>;
  variants: OursVariant[];
  peers: readonly PeerName[];
  timeoutMs: number;
  keepFiles: boolean;
  log: (line: string) => void;
}

export interface Timing {
  method: string;
  /** Training (ours: `byoc train`, a fresh process; peers: fit / fit_transform). */
  trainSeconds: number;
  /** Ours: the training job's own seconds, without the process start-up (peers: trainSeconds). */
  fitSeconds?: number;
  /** Ours only: `byoc impute` of the whole table. */
  imputeSeconds?: number;
  /** Peers: what else they report (e.g. the linear model's chosen alpha). */
  details?: Record<string, number>;
  error?: string;
}

export interface TableTaskResult {
  table: string;
  mask: string;
  rows: number;
  columns: ColumnScores[];
  timings: Timing[];
}

export interface TextTaskResult {
  table: string;
  label: string;
  classes: number;
  trainRows: number;
  evalRows: number;
  unseenRows: number;
  /** Method → accuracy, macro-F1, training seconds. */
  methods: Record<string, { accuracy: number; macroF1: number; trainSeconds: number; fitSeconds: number; details?: Record<string, number>; error?: string }>;
}

/** column_types for our imputer: the benchmark's own typing, so ours and the peers agree on what is text. */
export function columnTypes(table: BenchTable): string {
  return table.columns.map((c) => `${c.name}:${c.kind}`).join(',');
}

async function withWorkDir<T>(options: RunOptions, label: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `quality-${label.replace(/[^A-Za-z0-9]+/g, '-')}-`));
  try {
    return await body(dir);
  } finally {
    if (options.keepFiles) options.log(`  files kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

interface MethodRuns {
  imputations: TaskImputations;
  timings: Timing[];
}

async function runAllMethods(
  options: RunOptions,
  dir: string,
  masked: BenchTable,
  mask: Mask,
  hyperparameters: Record<string, string>,
  peers: readonly PeerName[],
  label?: string,
): Promise<MethodRuns> {
  const maskedCsv = path.join(dir, 'masked.csv');
  await writeTableCsv(maskedCsv, masked);
  const imputations: TaskImputations = { peers: new Map(), ours: new Map() };
  const timings: Timing[] = [];
  const columns = [...mask.hidden.keys()];
  for (const variant of options.variants) {
    const workDir = path.join(dir, `ours-${variant.name}`);
    await mkdir(workDir);
    const hp = { ...hyperparameters, ...options.baseHyperparameters, ...variant.hyperparameters };
    try {
      const run = await runOurs({ workDir, maskedCsv, hyperparameters: hp, columns, timeoutMs: options.timeoutMs });
      imputations.ours.set(variant.name, new Map(columns.map((c) => [c, hiddenCells(run.imputed.get(c), mask.hidden.get(c)!)])));
      timings.push({ method: variant.name, trainSeconds: run.trainSeconds, fitSeconds: run.fitSeconds, imputeSeconds: run.imputeSeconds });
      options.log(`  ${variant.name}: train ${run.trainSeconds.toFixed(1)} s, impute ${run.imputeSeconds.toFixed(1)} s`);
    } catch (error) {
      timings.push({ method: variant.name, trainSeconds: NaN, error: (error as Error).message });
      options.log(`  ${variant.name} FAILED: ${(error as Error).message}`);
    }
  }
  if (peers.length) {
    const results = await runPeers({
      python: options.python,
      workDir: dir,
      maskedCsv,
      table: masked,
      hidden: mask.hidden,
      peers,
      seed: options.seed,
      label,
      timeoutMs: options.timeoutMs,
    }).then(
      (r) => r.results,
      // the script itself failed: every peer of this task is reported as failed, the run goes on
      (error: Error) => new Map(peers.map((p) => [p, error])),
    );
    for (const [name, result] of results) {
      if (result instanceof Error) {
        timings.push({ method: name, trainSeconds: NaN, error: result.message });
        options.log(`  peer ${name} FAILED: ${result.message}`);
        continue;
      }
      imputations.peers.set(name, result.imputations as Map<string, Imputations>);
      timings.push({ method: name, trainSeconds: result.fitSeconds, ...(Object.keys(result.details).length ? { details: result.details } : {}) });
    }
    options.log(
      `  peers: ${timings
        .filter((t) => !t.error && (peers as readonly string[]).includes(t.method))
        .map((t) => `${t.method} ${t.trainSeconds.toFixed(1)} s`)
        .join(', ')}`,
    );
  }
  return { imputations, timings };
}

/** Complete mode (no label_column): every column with gaps is imputed; the hidden cells of the target columns are scored. */
export async function runTableTask(table: BenchTable, spec: MaskSpec, options: RunOptions): Promise<TableTaskResult> {
  const mask = generateMask(table, spec, options.seed);
  const masked = applyMask(table, mask);
  const hyperparameters = { algorithm: 'datawig', column_types: columnTypes(table), seed: String(options.seed) };
  const peers = options.peers.filter((p) => (TABLE_PEERS as readonly string[]).includes(p));
  return withWorkDir(options, `${table.name}-${spec.id}`, async (dir) => {
    const runs = await runAllMethods(options, dir, masked, mask, hyperparameters, peers);
    return { table: table.name, mask: spec.id, rows: table.rows, columns: scoreTask(table, masked, mask, runs.imputations), timings: runs.timings };
  });
}

/** Share of the label's known cells held out in a text → category task. */
export const TEXT_HOLDOUT_RATE = 0.2;

/** Single target (label_column): train on the rows whose label is known, score the held-out rows. */
export async function runTextTask(table: BenchTable, label: string, options: RunOptions): Promise<TextTaskResult> {
  const mask = labelHoldout(table, label, TEXT_HOLDOUT_RATE, options.seed);
  const masked = applyMask(table, mask);
  const rows = mask.hidden.get(label)!;
  const hyperparameters = { algorithm: 'datawig', label_column: label, column_types: columnTypes(table), seed: String(options.seed) };
  const peers = options.peers.filter((p) => (TEXT_PEERS as readonly string[]).includes(p));
  return withWorkDir(options, `${table.name}-${label}`, async (dir) => {
    const runs = await runAllMethods(options, dir, masked, mask, hyperparameters, peers, label);
    const [scores] = scoreTask(table, masked, mask, runs.imputations);
    const labelColumn = masked.columns.find((c) => c.name === label)!;
    const truthColumn = table.columns.find((c) => c.name === label)!;
    if (labelColumn.kind === 'numeric' || truthColumn.kind === 'numeric') throw new Error(`text task ${table.name}: label "${label}" must be categorical`);
    const trainLabels = new Set(labelColumn.values.filter((v) => v !== null));
    const unseenRows = rows.filter((r) => !trainLabels.has(truthColumn.values[r]!)).length;
    const methods: TextTaskResult['methods'] = {};
    for (const timing of runs.timings) {
      const score = scores?.ours[timing.method] ?? scores?.peers[timing.method];
      methods[timing.method] = {
        accuracy: score ? 1 - score.error : NaN,
        macroF1: score?.macroF1 ?? NaN,
        trainSeconds: timing.trainSeconds,
        fitSeconds: timing.fitSeconds ?? timing.trainSeconds,
        ...(timing.details ? { details: timing.details } : {}),
        ...(timing.error ? { error: timing.error } : {}),
      };
    }
    return {
      table: table.name,
      label,
      classes: trainLabels.size,
      trainRows: labelColumn.values.filter((v) => v !== null).length,
      evalRows: rows.length,
      unseenRows,
      methods,
    };
  });
}
