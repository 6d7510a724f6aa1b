/**
 * `npm run bench:quality`: our imputer (the current build, through `byoc train` / `byoc impute`) and
 * scikit-learn's established imputers on the same masks of the same tables; prints markdown tables
 * (stdout) and progress (stderr). See docs/quality-benchmark.md.
 *
 *   node dist/test/bench/quality/main.js [--quick] [--tables a,b] [--masks mcar10,mnar30] [--seed n]
 *     [--ours-hp k=v ...] [--variant name:k=v,k=v ...] [--no-default] [--no-text] [--json out.json]
 *     [--python /usr/bin/python3] [--timeout-seconds 1800] [--keep-files]
 */
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ALL_MASKS, parseMaskId, type MaskSpec } from './masks.js';
import { BYOC_MAIN, parseAssignments, parseVariant, type OursVariant } from './ours.js';
import { checkPython, defaultPython, TABLE_PEERS, TEXT_PEERS } from './peers.js';
import { casesOf, fullReport } from './report.js';
import { summarise } from './metrics.js';
import { runTableTask, runTextTask, type RunOptions, type TableTaskResult, type TextTaskResult } from './runner.js';
import { QUICK_MASKS, selectTables, type TableEntry } from './tables.js';

const USAGE = `usage: node dist/test/bench/quality/main.js [options]
  --quick                  a subset: ${QUICK_MASKS.join(', ')} on gapminder, coordinates, catalogue (+ its text task), mcar30 on lowrank
  --tables a,b             tables (movies, gapminder, flights-5k, lowrank, swissroll, catalogue, coordinates)
  --masks m,n              masks (${ALL_MASKS.map((m) => m.id).join(', ')}; any mcar|mar|mnar + percent)
  --seed n                 seed of generators, masks, our imputer and the peers (default 1)
  --ours-hp k=v            hyperparameter for every "ours" variant (repeatable; "k=v,k=v" too)
  --variant name:k=v,k=v   an extra "ours" variant (repeatable); the default variant is "ours"
  --no-default             run only the --variant variants
  --no-text                skip the text → category tasks
  --json file              save all results as JSON
  --python path            interpreter with scikit-learn (default $BENCH_PYTHON, /usr/bin/python3, python3)
  --timeout-seconds n      per process (default 1800)
  --keep-files             keep the temporary ml-roots, masked CSVs and outputs`;

interface BenchOptions {
  tables: TableEntry[];
  /** The masks of a table (--masks, else --quick's per-table choice, else all six). */
  masks: (entry: TableEntry) => MaskSpec[];
  text: boolean;
  json?: string;
  run: RunOptions;
}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      tables: { type: 'string' },
      masks: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'ours-hp': { type: 'string', multiple: true, default: [] },
      variant: { type: 'string', multiple: true, default: [] },
      'no-default': { type: 'boolean', default: false },
      'no-text': { type: 'boolean', default: false },
      json: { type: 'string' },
      python: { type: 'string' },
      'timeout-seconds': { type: 'string', default: '1800' },
      'keep-files': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed "${values.seed}": expected a non-negative integer`);
  const timeout = Number(values['timeout-seconds']);
  if (!(timeout > 0)) throw new Error(`--timeout-seconds "${values['timeout-seconds']}": expected a positive number`);
  const variants: OursVariant[] = values['no-default'] ? [] : [{ name: 'ours', hyperparameters: {} }];
  variants.push(...values.variant.map(parseVariant));
  if (variants.length === 0) throw new Error('--no-default without --variant: nothing of ours to measure');
  if (new Set(variants.map((v) => v.name)).size !== variants.length) throw new Error(`variant names must be unique: ${variants.map((v) => v.name).join(', ')}`);
  const masks = list(values.masks)?.map(parseMaskId);
  return {
    tables: selectTables(list(values.tables), values.quick),
    masks: (entry) => masks ?? (values.quick ? (entry.quickMasks ?? QUICK_MASKS).map(parseMaskId) : [...ALL_MASKS]),
    text: !values['no-text'],
    ...(values.json ? { json: values.json } : {}),
    run: {
      seed,
      python: values.python ?? defaultPython(),
      baseHyperparameters: Object.assign({}, ...values['ours-hp'].map(parseAssignments)) as Record<string, string>,
      variants,
      peers: [...TABLE_PEERS, ...TEXT_PEERS],
      timeoutMs: timeout * 1000,
      keepFiles: values['keep-files'],
      log: (line) => process.stderr.write(`${line}\n`),
    },
  };
}

/** Modification times of the build this run measures: a rebuild midway (another session running tsc) is reported. */
function buildStamp(): string {
  const dist = path.resolve(path.dirname(BYOC_MAIN), '..', '..');
  return ['container/image/main.js', 'algorithms/datawig/index.js', 'framework/index.js']
    .map((f) => {
      try {
        return String(statSync(path.join(dist, f)).mtimeMs);
      } catch {
        return 'absent';
      }
    })
    .join(',');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return;
  }
  const { run } = options;
  const sklearn = await checkPython(run.python);
  const stampBefore = buildStamp();
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  run.log(
    `quality benchmark: ${options.tables
      .map(
        (t) =>
          `${t.name} (${options
            .masks(t)
            .map((m) => m.id)
            .join(', ')})`,
      )
      .join(', ')}; variants ${run.variants.map((v) => v.name).join(', ')}; scikit-learn ${sklearn} (${run.python})`,
  );
  const tableResults: TableTaskResult[] = [];
  const textResults: TextTaskResult[] = [];
  for (const entry of options.tables) {
    const table = entry.load(run.seed);
    for (const mask of options.masks(entry)) {
      run.log(`[${elapsed()}] ${table.name} ${mask.id}`);
      tableResults.push(await runTableTask(table, mask, run));
    }
    for (const label of options.text ? entry.textLabels : []) {
      run.log(`[${elapsed()}] ${table.name} text → category: ${label}`);
      textResults.push(await runTextTask(table, label, run));
    }
  }
  const variants = run.variants.map((v) => v.name);
  const rebuilt = buildStamp() !== stampBefore ? '\n**Warning: dist/ was rebuilt during the run; some tasks measured another build.**\n' : '';
  if (rebuilt) run.log('warning: dist/ was rebuilt during the run');
  const header = `# Imputation quality benchmark\n\n${new Date().toISOString().slice(0, 10)}, seed ${run.seed}, ${os.cpus().length} CPUs, Node ${process.version}, scikit-learn ${sklearn}; ${elapsed()} in all.\nVariants: ${run.variants.map((v) => `${v.name} ${JSON.stringify({ ...run.baseHyperparameters, ...v.hyperparameters })}`).join('; ')}\n${rebuilt}`;
  process.stdout.write(`${header}\n${fullReport(tableResults, textResults, run.peers, variants)}`);
  if (options.json) {
    const summaries = Object.fromEntries(variants.map((v) => [v, summarise(casesOf(tableResults, v))]));
    const payload = {
      date: new Date().toISOString(),
      seed: run.seed,
      sklearn,
      variants: run.variants,
      baseHyperparameters: run.baseHyperparameters,
      tableResults,
      textResults,
      summaries,
    };
    await writeFile(options.json, `${JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
    run.log(`results saved to ${options.json}`);
  }
  run.log(`done in ${elapsed()}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:quality: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
