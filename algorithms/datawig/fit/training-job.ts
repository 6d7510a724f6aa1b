/** The training job: table checks, type resolution, single / complete mode, saving the model directory. */
import {
  argmax,
  assignToHosts,
  copyRecord,
  designatedHost,
  isDesignatedHost,
  setKey,
  TrainingError,
  type InputRecord,
  type Table,
  type TaskContext,
  type TrainContext,
  type TrainResult,
  type ColumnSpec,
} from '../../../framework/contract/index.js';
import { columnStats, inferType } from '../core/columns.js';
import { MissingValues, parseNumberText } from '../../../framework/contract/index.js';
import { TargetModel } from '../core/target-model.js';
import type { ColumnType } from '../format/featurizer-spec.js';
import { targetDir, writeModelIndex, writeTarget } from '../format/model-directory.js';
import { indicatedColumn, missingIndicator, MODEL_INDEX_FORMAT, type ModelIndex } from '../format/model-index.js';
import type { ModelFamily, TargetConfig, Task } from '../format/target-artifact.js';
import type { DatawigHyperparameters } from '../hyperparameters.js';
import type { FitInput, Fitted } from './fit-target.js';
import type { TreeJob } from './family-fits.js';
import type { GbdtFit } from './gbdt/fit-gbdt.js';
import {
  checkpointScope,
  openEpochCheckpoints,
  resumeTarget,
  saveCheckpoint,
  supersedeProgress,
  targetFingerprint,
  type CheckpointKey,
} from './checkpoints.js';
import { search, writeHpoResults, type SearchContext } from './search.js';
import { competitiveFamilies, meanLossRatio, MIN_ROUND_IMPROVEMENT } from './round-policy.js';
import { validationCells, validationRows, withCell, withoutValidationCells, type ColumnValidation } from './held-out-cells.js';
import { loadTf, tfLoader, type TfLoader } from './tf-backend.js';

export async function train(ctx: TrainContext<DatawigHyperparameters>): Promise<TrainResult> {
  const hp = ctx.hyperparameters;
  const started = Date.now();
  const deadline = hp.max_training_seconds > 0 ? started + hp.max_training_seconds * 1000 : Infinity;
  const designated = isDesignatedHost(ctx.hosts);
  if (hp.label_column && !designated) {
    // one model cannot be split: the designated host trains it, and nothing of this host's is written
    ctx.logger.info(`datawig: single mode trains on host ${designatedHost(ctx.hosts)} alone; this host has nothing to do`, { host: ctx.hosts.current });
    return { inputSchema: { columns: [], requiredColumns: [] } };
  }
  // the threads load while the data is read: complete mode's columns, or single mode's trees beside the linear model
  if (!hp.label_column) ctx.tasks.prestart();
  else if (hp.model_family === 'auto' || hp.model_family === 'ensemble') ctx.tasks.prestart(1);
  const { table, valTable, valChannel } = await readTables(ctx);
  const missingTokens = [...new Set(['', ...hp.missing_values])];
  const missing = new MissingValues(missingTokens);
  const types = resolveTypes(table, hp.column_types, missing);
  const tf = tfLoader(ctx.logger);
  const hpoRows: string[] = []; // every search's candidates, one table
  const job: Job = { ctx, hp, tf, table, valTable, valChannel, types, missing, deadline, cfgBase: targetConfig(hp, missingTokens), hpoRows };
  const index: ModelIndex = {
    format: MODEL_INDEX_FORMAT,
    mode: hp.label_column ? 'single' : 'complete',
    features: [],
    columns: table.columns.map((c) => ({ name: c, type: types.get(c)!.type })),
    targets: [],
    defaults: { precision_threshold: hp.precision_threshold, top_k: hp.top_k, explain_tokens: hp.explain_tokens },
    backend: 'none',
    missingTokens,
  };
  const metrics = hp.label_column ? await trainSingle(job, hp.label_column, index) : await trainComplete(job, index);
  // the backend a network trained on (task threads pick theirs by the same rules); none trained: none loaded
  const backend = job.networks ? (await loadTf(ctx.logger)).backend : 'none';
  index.backend = backend;
  // on several hosts the index names every host's targets, so one host writes it
  if (designated) await writeModelIndex(ctx.model, index);
  metrics.training_seconds = (Date.now() - started) / 1000;
  ctx.logger.info('datawig: training done', { seconds: metrics.training_seconds, backend });
  const required = index.mode === 'single' ? index.features : table.columns;
  const columns: ColumnSpec[] = table.columns.map((c) => ({ name: c, type: types.get(c)!.type }));
  return { inputSchema: { columns, requiredColumns: required }, metrics };
}

/** What every target's training needs: the data, its column types, the base config, the deadline. */
interface Job {
  ctx: TrainContext<DatawigHyperparameters>;
  hp: DatawigHyperparameters;
  tf: TfLoader;
  table: Table;
  /** Set once a saved target has a network member. */
  networks?: boolean;
  /** The validation (or test) channel's table, if there is one; otherwise a split of the train rows. */
  valTable: Table | undefined;
  valChannel: string | undefined;
  types: Map<string, TypeInfo>;
  missing: MissingValues;
  deadline: number;
  cfgBase: TargetConfig;
  /** Every search's rows of hpo_results.csv. */
  hpoRows: string[];
}

/** The train channel (rows required) and the validation or test channel if given. */
async function readTables(ctx: TrainContext<DatawigHyperparameters>): Promise<{ table: Table; valTable: Table | undefined; valChannel: string | undefined }> {
  const table = await ctx.channels.readTable('train');
  if (table.records.length === 0) throw new TrainingError('the train channel has a header but no rows: nothing to learn from');
  const valChannel = ['validation', 'test'].find((c) => ctx.channels.has(c));
  const valTable = valChannel ? await ctx.channels.readTable(valChannel) : undefined;
  if (valTable && valChannel)
    ctx.logger.info(`datawig: using the "${valChannel}" channel for validation instead of a split`, { rows: valTable.records.length });
  return { table, valTable, valChannel };
}

function targetConfig(hp: DatawigHyperparameters, missingTokens: string[]): TargetConfig {
  return {
    tokens: hp.tokens,
    wordRange: range(hp.word_ngram_range, 'word_ngram_range'),
    charRange: range(hp.char_ngram_range, 'char_ngram_range'),
    buckets: hp.num_hash_buckets,
    maxTokens: hp.max_tokens,
    latentDim: hp.latent_dim,
    numericLatentDim: hp.numeric_latent_dim,
    numericHiddenLayers: hp.numeric_hidden_layers,
    fcHidden: hp.final_fc_hidden_units,
    learningRate: hp.learning_rate,
    weightDecay: hp.weight_decay,
    batchSize: hp.batch_size,
    epochs: hp.num_epochs,
    patience: hp.patience,
    seed: hp.seed,
    classWeights: hp.class_weights,
    missingTokens,
    tfidf: hp.tfidf,
    clipRegression: hp.clip_numeric_imputations,
  };
}

/** Single mode: one model for label_column (checked first), saved as target 0. Returns its metrics. */
async function trainSingle(job: Job, label: string, index: ModelIndex): Promise<Record<string, number>> {
  const { table, valTable, hp } = job;
  if (!table.columns.includes(label)) {
    throw new TrainingError(`label_column "${label}" is not a column of the training data; its columns are: ${table.columns.join(', ')}`);
  }
  const features = hp.feature_columns?.length ? hp.feature_columns : table.columns.filter((c) => c !== label);
  for (const f of features) {
    if (!table.columns.includes(f))
      throw new TrainingError(`feature column "${f}" is not a column of the training data; its columns are: ${table.columns.join(', ')}`);
    if (f === label) throw new TrainingError(`"${label}" is both the label column and a feature column`);
  }
  if (valTable)
    for (const c of [label, ...features])
      if (!valTable.columns.includes(c))
        throw new TrainingError(`the ${job.valChannel} channel lacks column "${c}"; its columns are: ${valTable.columns.join(', ')}`);
  checkLabel(table.records, label, job.types.get(label)!.type, job.missing);
  index.label = label;
  index.features = features;
  const fitted = await searchTarget(job, label, table.records, features, job.deadline);
  return saveTargets(job, index, [fitted], undefined);
}

/**
 * Complete mode: one model per numeric or categorical column with gaps, each from all other
 * feature columns, in `iterations` chained rounds (MICE-style, Jacobi: the columns of a round are
 * independent and run in the task pool). Round 1 trains on the raw rows (every family handles a
 * missing cell); round r on the raw rows with the gaps of the modelled columns filled by round
 * r-1's models, plus a missing indicator per filled feature column (the fill hides which cells were
 * missing). Every round is saved; serving replays them the same way. Returns the last round's
 * metrics, prefixed by column.
 */
async function trainComplete(job: Job, index: ModelIndex): Promise<Record<string, number>> {
  if (job.ctx.hosts.all.length > 1) job.hp = oneRoundOnHosts(job);
  const { table, hp } = job;
  const features = hp.feature_columns?.length ? hp.feature_columns : table.columns;
  for (const f of features)
    if (!table.columns.includes(f))
      throw new TrainingError(`feature column "${f}" is not a column of the training data; its columns are: ${table.columns.join(', ')}`);
  const reserved = table.columns.find((c) => indicatedColumn(c) !== undefined);
  if (reserved !== undefined)
    throw new TrainingError(`column ${JSON.stringify(reserved)} starts with a NUL character, which complete mode reserves for its own features`);
  index.features = features;
  const targets = imputableColumns(job);
  if (targets.length === 0)
    throw new TrainingError(
      'complete mode (no label_column): no numeric or categorical column has missing cells to impute; set label_column to train a single imputer',
    );
  job.ctx.logger.info('datawig: complete mode', { targets, rounds: hp.iterations, threads: job.ctx.tasks.threads });
  const filled = targets.filter((c) => features.includes(c));
  // without a validation channel, each column's validation rows go through the rounds blind to its cell (fit/held-out-cells.ts)
  const validation = job.valTable ? undefined : validationCells(table.records, targets, hp.validation_split, hp.seed, job.missing);
  let blind = new Map([...(validation ?? [])].map(([c, v]) => [c, v.blindRaw]));
  const raw = { rows: table.records, valRows: job.valTable?.records };
  let current: RoundRows = raw;
  const fitOf = (round: number, label: string, rows: RoundRows, budgetMs: number, families: ModelFamily[] | undefined): ColumnFit => {
    const cells = validation?.get(label);
    const check = cells && { cells, blind: blind.get(label)! };
    return columnFit(job, {
      round,
      label,
      rows,
      raw,
      validation: check,
      features: featuresOf(job, label, features, round > 1 ? filled : []),
      budgetMs,
      families,
    });
  };
  if (job.ctx.hosts.all.length > 1) return trainShare(job, index, targets, features, (label, budgetMs) => fitOf(1, label, raw, budgetMs, undefined));
  // a round is saved once the next one has shown whether it was worth keeping
  let pending: { round: number; fitted: Fitted[] } | undefined;
  let final: { round: number; fitted: Fitted[] } | undefined;
  for (let round = 1; !final; round++) {
    const t0 = Date.now();
    const budgetMs = columnBudget(job, round, targets.length);
    const fits = targets.map((label, i) => fitOf(round, label, current, budgetMs, pending && competitiveFamilies(pending.fitted[i]!)));
    const fitted = await fitColumns(job, fits);
    job.ctx.logger.info(`datawig: complete mode round ${round} of at most ${hp.iterations} done`, {
      seconds: (Date.now() - t0) / 1000,
      validationLoss: Object.fromEntries(fitted.map((f) => [f.artifact.label, f.valLoss])),
    });
    if (pending) {
      const ratio = meanLossRatio(pending.fitted, fitted);
      if (ratio >= 1) {
        job.ctx.logger.info(`datawig: complete mode keeps ${pending.round} rounds: round ${round} did not lower the mean validation loss`, { ratio });
        final = pending;
        break;
      }
      await saveTargets(job, index, pending.fitted, pending.round, false);
      if (ratio > 1 - MIN_ROUND_IMPROVEMENT) {
        job.ctx.logger.info(
          `datawig: complete mode stops after round ${round}: it lowered the mean validation loss by less than ${MIN_ROUND_IMPROVEMENT * 100} %`,
          {
            ratio,
          },
        );
        final = { round, fitted };
        break;
      }
    }
    pending = { round, fitted };
    if (round === hp.iterations) final = pending;
    else {
      const models = fitted.map((f) => new TargetModel(f.artifact, f.weights));
      current = nextRoundRows(raw, current, models, filled, job.missing);
      blind = new Map([...blind].map(([c, rows]) => [c, filledRows(validation!.get(c)!.blindRaw, rows, models, filled, job.missing)]));
    }
  }
  const metrics = await saveTargets(job, index, final.fitted, final.round, true);
  metrics.rounds = final.round;
  reportFallbacks(job, final.fitted, metrics);
  return metrics;
}

/**
 * Several hosts train one round: round 2 of a column needs every column's round-1 model, which
 * other hosts train. An `iterations` > 1 the job set is refused; the default gives way with a log line.
 */
function oneRoundOnHosts(job: Job): DatawigHyperparameters {
  const { hp, ctx } = job;
  const n = ctx.hosts.all.length;
  if (hp.iterations > 1 && ctx.givenHyperparameters?.has('iterations'))
    throw new TrainingError(
      `iterations=${hp.iterations} cannot run on ${n} hosts: a chained round needs every column's model of the round before, and other hosts train most of them. ` +
        'Set iterations=1 (or leave it out) to share the columns across the hosts, or train on one instance for chained rounds',
    );
  if (hp.iterations > 1)
    ctx.logger.info(`datawig: complete mode on ${n} hosts trains one round (chained rounds need every column's models on one host)`, {
      iterations: hp.iterations,
    });
  return { ...hp, iterations: 1 };
}

/**
 * This host's share of a multi-host complete-mode job (one round): the columns assignToHosts gives
 * it by estimated cost, each in `targets/<i>/` with i its place among all the targets (so no two
 * hosts write the same file, and the designated host's index names every target without seeing
 * the others' models). Returns this host's columns' metrics.
 */
async function trainShare(
  job: Job,
  index: ModelIndex,
  targets: string[],
  features: string[],
  fitOf: (label: string, budgetMs: number) => ColumnFit,
): Promise<Record<string, number>> {
  const { ctx } = job;
  const owners = assignToHosts(
    targets.map((t) => columnCost(job, t, features)),
    ctx.hosts.all,
  );
  const mine = targets.flatMap((_, i) => (owners[i] === ctx.hosts.current ? [i] : []));
  ctx.logger.info(`datawig: complete mode on ${ctx.hosts.all.length} hosts: this host trains ${mine.length} of ${targets.length} columns`, {
    host: ctx.hosts.current,
    columns: mine.map((i) => targets[i]),
  });
  const budgetMs = columnBudget(job, 1, mine.length);
  const fitted = await fitColumns(
    job,
    mine.map((i) => fitOf(targets[i]!, budgetMs)),
  );
  index.targets = targets.map((label, i) => ({ label, dir: targetDir(i), task: taskOf(job, label), round: 1 }));
  const metrics: Record<string, number> = {};
  for (const [k, f] of fitted.entries()) {
    await writeTarget(ctx.model, targetDir(mine[k]!), f.artifact, f.weights);
    Object.assign(metrics, finalMetrics(ctx, f, `${f.artifact.label}.`));
  }
  // the index's backend must not depend on which host saw a network: the families that train one
  if (job.hp.model_family === 'network' || job.hp.model_family === 'ensemble') job.networks = true;
  metrics.rounds = 1;
  reportFallbacks(job, fitted, metrics);
  return metrics;
}

/** Text inputs cost more than a number or a category: n-grams for the linear model, more work per row. */
const TEXT_INPUT_COST = 4;

/**
 * An estimate of a column's training cost, to balance hosts: its known cells x its inputs (text
 * weighted) x its outputs (a class each beyond two: softmax trees and linear models fit per class).
 */
function columnCost(job: Job, label: string, features: string[]): number {
  const t = job.types.get(label)!;
  const inputs = features.filter((c) => c !== label).reduce((n, c) => n + (job.types.get(c)!.type === 'text' ? TEXT_INPUT_COST : 1), 0);
  const outputs = t.type === 'numeric' || t.distinct <= 2 ? 1 : t.distinct;
  return t.present * Math.max(1, inputs) * outputs;
}

function taskOf(job: Job, label: string): Task {
  return job.types.get(label)!.type === 'numeric' ? 'regression' : 'classification';
}

/** A round's training rows and validation-channel rows (undefined: a split of the training rows). */
interface RoundRows {
  rows: InputRecord[];
  valRows: InputRecord[] | undefined;
}

/** The feature columns of `label`'s model: the others, plus (after round 1) the missing indicators of the filled ones. */
function featuresOf(job: Job, label: string, features: string[], indicated: string[]): FeatureInfo[] {
  const info = (n: string): FeatureInfo => ({ name: n, type: job.types.get(n)!.type, meanLength: job.types.get(n)!.meanLength });
  const indicators = indicated.filter((c) => c !== label).map((c): FeatureInfo => ({ name: missingIndicator(c), type: 'numeric', meanLength: 1 }));
  return [...features.filter((c) => c !== label).map(info), ...indicators];
}

/** What one column's fit in one round is made of. */
interface ColumnRound {
  round: number;
  label: string;
  /** The round's rows (the raw ones in round 1, then with the previous round's fills). */
  rows: RoundRows;
  raw: RoundRows;
  /** The label's validation cells and their rows of this round (none: a validation channel, or too few known cells). */
  validation: { cells: ColumnValidation; blind: InputRecord[] } | undefined;
  features: FeatureInfo[];
  budgetMs: number;
  /** The families worth fitting (from the previous round); undefined: all. */
  families: ModelFamily[] | undefined;
}

/**
 * One column's fit in one round. The label keeps its real values: where a later round's rows hold
 * an imputation in the label's own gap, the raw (missing) cell is put back.
 */
function columnFit(job: Job, c: ColumnRound): ColumnFit {
  const { hp, ctx, deadline } = job;
  const { round, label, rows, raw, validation, features, budgetMs, families } = c;
  const own = (these: InputRecord[], originals: InputRecord[]) =>
    these === originals ? these : these.map((r, j) => (job.missing.isMissing(originals[j]![label]) ? withCell(r, label, originals[j]![label]!) : r));
  const task = taskOf(job, label);
  const channel = rows.valRows && raw.valRows ? own(rows.valRows, raw.valRows) : undefined;
  const input =
    channel || !validation
      ? { rows: own(rows.rows, raw.rows), valRows: channel }
      : { rows: withoutValidationCells(own(rows.rows, raw.rows), label, validation.cells), valRows: validationRows(validation.blind, label, validation.cells) };
  const fingerprint = targetFingerprint({
    hyperparameters: ctx.hyperparameters,
    label,
    task,
    round,
    features,
    rows: input.rows,
    valRows: input.valRows,
    ...(families ? { families } : {}),
  });
  const key = { scope: checkpointScope(ctx.hyperparameters), label, round, fingerprint };
  return {
    ...input,
    label,
    task,
    features,
    cfg: job.cfgBase,
    validationSplit: hp.validation_split,
    deadline,
    budgetMs,
    tag: label,
    key,
    ...(families ? { families } : {}),
  };
}

/**
 * The time one column of this round may take from its start: what is left of max_training_seconds,
 * shared by the columns still to fit, as many at a time as there are threads.
 */
function columnBudget(job: Job, round: number, columns: number): number {
  if (!Number.isFinite(job.deadline)) return Infinity;
  const waves = Math.ceil(columns / Math.max(1, job.ctx.tasks.threads));
  return Math.max(0, job.deadline - Date.now()) / ((job.hp.iterations - round + 1) * waves);
}

/**
 * The columns complete mode imputes: numeric or categorical ones with gaps and at least one known
 * value. A column too small or constant for a model gets fitTarget's fallback (mean / most frequent
 * value); only free text and columns with nothing known are skipped (and logged).
 */
function imputableColumns(job: Job): string[] {
  const { table, types, missing, ctx } = job;
  return table.columns.filter((c) => {
    const t = types.get(c)!;
    const gaps = table.records.some((r) => missing.isMissing(r[c]));
    if (!gaps) return false;
    if (t.type === 'text') {
      ctx.logger.info(`datawig: complete mode skips free-text column "${c}" (declare it categorical via column_types to impute it)`);
      return false;
    }
    if (t.present === 0) {
      ctx.logger.warn(`datawig: complete mode skips "${c}": no known value in ${table.records.length} rows, nothing to fill its gaps from`);
      return false;
    }
    return true;
  });
}

/** Columns whose model is the constant fallback: a warn line naming each and why, and metric `<column>.fallback` = 1. */
function reportFallbacks(job: Job, fitted: Fitted[], metrics: Record<string, number>): void {
  for (const f of fitted) {
    if (f.artifact.family !== 'constant') continue;
    const label = f.artifact.label;
    const t = job.types.get(label)!;
    const estimate = f.artifact.task === 'regression' ? 'training mean' : 'most frequent value';
    const why =
      t.distinct < 2
        ? `one distinct value in ${t.present} known cells`
        : t.present < 10
          ? `only ${t.present} known values`
          : 'no model beat it on the validation rows';
    job.ctx.logger.warn(`datawig: complete mode fills "${label}" with its ${estimate}: ${why}`, { column: label, known: t.present, distinct: t.distinct });
    metrics[`${label}.fallback`] = 1;
  }
}

/**
 * The next round's rows: the raw rows with the gaps of the modelled columns filled by this round's
 * models (run on this round's rows), and a missing indicator ("1" / "0", from the raw row) per
 * filled feature column. Serving (serve/predictor.ts) replays exactly this.
 */
function nextRoundRows(raw: RoundRows, current: RoundRows, models: TargetModel[], indicated: string[], missing: MissingValues): RoundRows {
  return {
    rows: filledRows(raw.rows, current.rows, models, indicated, missing),
    valRows: raw.valRows && current.valRows ? filledRows(raw.valRows, current.valRows, models, indicated, missing) : undefined,
  };
}

/** The raw rows with their gaps filled by the models (run on `rows`, the round's version of them) and the missing indicators. */
function filledRows(rawRows: InputRecord[], rows: InputRecord[], models: TargetModel[], indicated: string[], missing: MissingValues): InputRecord[] {
  return rawRows.map((r, j) => {
    const out = copyRecord(r);
    for (const m of models) if (missing.isMissing(r[m.a.label])) setKey(out, m.a.label, imputedCell(m, rows[j]!));
    for (const c of indicated) setKey(out, missingIndicator(c), missing.isMissing(r[c]) ? '1' : '0');
    return out;
  });
}

/** What a round writes into a gap for the next: the value, or the most probable class (no threshold: the next round's models were trained on these). */
function imputedCell(m: TargetModel, row: InputRecord): string {
  const v = m.run(row);
  return m.a.task === 'regression' ? String(v) : m.a.classes[argmax(m.probs)]!;
}

/** A feature column of a target model: name, type and mean text length. */
type FeatureInfo = FitInput['features'][number];

/** One column's fit in one round, as the `fit-target` task receives it (plain, structured-cloneable data). */
export interface ColumnFit {
  label: string;
  task: Task;
  rows: InputRecord[];
  valRows: InputRecord[] | undefined;
  features: FeatureInfo[];
  cfg: TargetConfig;
  validationSplit: number;
  /** The job's deadline (epoch ms; Infinity: none). */
  deadline: number;
  /** How long this column may take from its start, within the deadline. */
  budgetMs: number;
  /** Names the column in hpo_results.csv. */
  tag: string;
  /** Its checkpoint's place and fingerprint (epoch checkpoints are kept under it). */
  key: CheckpointKey;
  /** The families worth fitting (complete mode's rounds after the first); absent: all. */
  families?: ModelFamily[];
}

/** What the `fit-target` task returns: the model and its rows of hpo_results.csv. */
export interface ColumnFitted {
  fitted: Fitted;
  hpoRows: string[];
}

/**
 * The `fit-target` task: one column's search (or single fit), on whichever thread runs it. Its
 * epoch checkpoints go to the job's checkpoint store; the finished target's checkpoint is the
 * caller's (fitColumns). Per-epoch metrics are not emitted: in complete mode they would interleave
 * the columns' curves.
 */
export async function fitColumnTask(input: ColumnFit, ctx: TaskContext<DatawigHyperparameters>): Promise<ColumnFitted> {
  const tf = tfLoader(ctx.logger);
  const fit: FitInput = {
    rows: input.rows,
    valRows: input.valRows,
    label: input.label,
    features: input.features,
    task: input.task,
    validationSplit: input.validationSplit,
    deadline: Math.min(input.deadline, Date.now() + input.budgetMs),
    signal: ctx.signal,
    epochCheckpoints: (candidate) => openEpochCheckpoints(ctx.checkpoints, ctx.logger, { ...input.key, candidate }),
    ...(input.families ? { families: input.families } : {}),
    progress: { reporter: ctx.progress, unit: `${input.label} · round ${input.key.round}` },
  };
  const hpoRows: string[] = [];
  const fitted = await search(tf, searchContext(ctx), ctx.hyperparameters, input.cfg, fit, hpoRows, input.tag);
  return { fitted, hpoRows };
}

/**
 * A task's search context: its logger; no per-epoch metrics (complete mode's columns would
 * interleave their curves), and hpo_results.csv stays with the caller, which writes every column's
 * rows in column order.
 */
function searchContext(ctx: TaskContext<DatawigHyperparameters>): SearchContext {
  return { logger: ctx.logger, metrics: { emit: () => undefined } };
}

/**
 * Fits independent columns, in input order: on the task pool's threads when it has more than one,
 * else here one after the other (the same task function, so the same models). A column with a
 * checkpoint of the same fingerprint is resumed instead; a fitted one is checkpointed once it is
 * back (here: at once; from threads: when the round is back).
 */
async function fitColumns(job: Job, fits: ColumnFit[]): Promise<Fitted[]> {
  const { ctx } = job;
  const results: (ColumnFitted | undefined)[] = [];
  for (const f of fits) {
    const resumed = await resumeTarget(ctx.checkpoints, ctx.logger, f.key);
    // a job stopped between the finished checkpoint and superseding its epoch checkpoints
    if (resumed) await supersedeProgress(ctx.checkpoints, ctx.logger, f.key, job.hp.num_evals);
    results.push(resumed);
  }
  const finished = async (i: number, r: ColumnFitted) => {
    results[i] = r;
    await saveCheckpoint(ctx.checkpoints, ctx.logger, fits[i]!.key, r.fitted, r.hpoRows);
    await supersedeProgress(ctx.checkpoints, ctx.logger, fits[i]!.key, job.hp.num_evals);
  };
  const todo = fits.flatMap((_, i) => (results[i] ? [] : [i]));
  if (ctx.tasks.threads > 1 && todo.length > 1) {
    const out = await ctx.tasks.run<ColumnFitted>(
      'fit-target',
      todo.map((i) => fits[i]),
    );
    for (const [k, r] of out.entries()) await finished(todo[k]!, r);
  } else {
    const here: TaskContext<DatawigHyperparameters> = {
      logger: ctx.logger,
      progress: ctx.progress,
      signal: ctx.signal,
      hyperparameters: ctx.hyperparameters,
      checkpoints: ctx.checkpoints,
    };
    for (const i of todo) await finished(i, await fitColumnTask(fits[i]!, here));
  }
  const rows = results.flatMap((r) => r!.hpoRows);
  job.hpoRows.push(...rows);
  if (rows.length) await writeHpoResults(ctx, job.hpoRows);
  return results.map((r) => r!.fitted);
}

/**
 * Single mode: the search (or single fit) of the label's model, here with the job's context (its
 * per-epoch metrics are emitted). A checkpoint of the same fingerprint is reused instead
 * (fit/checkpoints.ts); a trained target is checkpointed.
 */
async function searchTarget(job: Job, label: string, rows: InputRecord[], features: string[], deadline: number): Promise<Fitted> {
  const round = 1;
  const task = taskOf(job, label);
  const featureInfo = features.map((n) => ({ name: n, type: job.types.get(n)!.type, meanLength: job.types.get(n)!.meanLength }));
  const input: FitInput = {
    rows,
    valRows: job.valTable?.records,
    label,
    features: featureInfo,
    task,
    validationSplit: job.hp.validation_split,
    deadline,
    signal: job.ctx.signal,
    // the pool's threads are idle in single mode: one of them boosts the trees while the linear model trains here
    ...(job.ctx.tasks.threads > 1 ? { boostTrees: (t: TreeJob) => job.ctx.tasks.run<GbdtFit>('boost-trees', [t]).then(([fit]) => fit!) } : {}),
    progress: { reporter: job.ctx.progress, unit: label },
  };
  const { ctx, hpoRows } = job;
  const fingerprint = targetFingerprint({ hyperparameters: ctx.hyperparameters, label, task, round, features: featureInfo, rows, valRows: input.valRows });
  const key = { scope: checkpointScope(ctx.hyperparameters), label, round, fingerprint };
  input.epochCheckpoints = (candidate) => openEpochCheckpoints(ctx.checkpoints, ctx.logger, { ...key, candidate });
  const resumed = await resumeTarget(ctx.checkpoints, ctx.logger, key);
  if (resumed) {
    // a job stopped between the finished checkpoint and superseding its epoch checkpoints
    await supersedeProgress(ctx.checkpoints, ctx.logger, key, job.hp.num_evals);
    hpoRows.push(...resumed.hpoRows);
    if (resumed.hpoRows.length) await writeHpoResults(ctx, hpoRows);
    return resumed.fitted;
  }
  const before = hpoRows.length;
  const searchCtx: SearchContext = { logger: ctx.logger, metrics: ctx.metrics, hpoResults: (rows) => writeHpoResults(ctx, rows) };
  const fitted = await search(job.tf, searchCtx, job.hp, job.cfgBase, input, hpoRows);
  await saveCheckpoint(ctx.checkpoints, ctx.logger, key, fitted, hpoRows.slice(before));
  await supersedeProgress(ctx.checkpoints, ctx.logger, key, job.hp.num_evals);
  return fitted;
}

/**
 * Writes fitted models to the next free targets/<i>/ and lists them in the index (with their
 * round in complete mode); returns their final metrics when `report` (complete mode: names
 * prefixed by column), else none.
 */
async function saveTargets(job: Job, index: ModelIndex, fitted: Fitted[], round: number | undefined, report = true): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  for (const f of fitted) {
    const dir = targetDir(index.targets.length);
    await writeTarget(job.ctx.model, dir, f.artifact, f.weights);
    if (f.artifact.net) job.networks = true;
    index.targets.push({ label: f.artifact.label, dir, task: f.artifact.task, ...(round === undefined ? {} : { round }) });
    if (report) Object.assign(metrics, finalMetrics(job.ctx, f, round === undefined ? '' : `${f.artifact.label}.`));
  }
  return metrics;
}

function range(v: number[], name: string): [number, number] {
  if (v[0]! > v[1]!) throw new TrainingError(`${name}: min (${v[0]}) is greater than max (${v[1]})`);
  return [v[0]!, v[1]!];
}

interface TypeInfo {
  type: ColumnType;
  meanLength: number;
  present: number;
  distinct: number;
}

function resolveTypes(table: Table, overrides: string[] | undefined, missing: MissingValues): Map<string, TypeInfo> {
  const forced = new Map<string, ColumnType>();
  for (const o of overrides ?? []) {
    const at = o.lastIndexOf(':');
    const name = o.slice(0, at).trim();
    const type = o.slice(at + 1).trim();
    if (at < 0 || !['numeric', 'categorical', 'text'].includes(type)) throw new TrainingError(`column_types: "${o}" is not <column>:numeric|categorical|text`);
    if (!table.columns.includes(name))
      throw new TrainingError(`column_types names "${name}", which is not a column of the training data; its columns are: ${table.columns.join(', ')}`);
    forced.set(name, type as ColumnType);
  }
  const out = new Map<string, TypeInfo>();
  for (const c of table.columns) {
    const values = table.records.map((r) => missing.value(r[c]));
    const s = columnStats(values);
    const type = forced.get(c) ?? inferType(s);
    if (forced.get(c) === 'numeric') {
      const i = values.findIndex((v) => v !== null && Number.isNaN(parseNumberText(v)));
      if (i >= 0)
        throw new TrainingError(
          `column "${c}" is declared numeric but row ${i + 1} holds the non-numeric text "${values[i]}"; clean the column, add the token to missing_values, or declare it categorical/text`,
        );
    }
    out.set(c, { type, meanLength: s.meanLength, present: s.present, distinct: s.distinct });
  }
  return out;
}

function checkLabel(rows: InputRecord[], label: string, type: ColumnType, missing: MissingValues): void {
  const known = rows.filter((r) => !missing.isMissing(r[label]));
  if (known.length === 0)
    throw new TrainingError(
      `label column "${label}" has no known values in the ${rows.length} training rows (all are empty or missing-value tokens): nothing to learn from`,
    );
  if (type !== 'numeric') {
    const distinct = new Set(known.map((r) => String(r[label]).trim()));
    if (distinct.size < 2)
      throw new TrainingError(`label column "${label}" has only one class ("${[...distinct][0]}") in the training data: a classifier needs at least two`);
  }
}

function finalMetrics(ctx: TrainContext<DatawigHyperparameters>, f: Fitted, prefix: string): Record<string, number> {
  const m = f.artifact.metrics;
  const out: Record<string, number> = {};
  const put = (name: string, v: number | undefined) => {
    if (v === undefined || !Number.isFinite(v)) return;
    if (!prefix) ctx.metrics.emit(`validation:${name}`, v);
    out[`${prefix}validation_${name}`] = v;
  };
  if (f.artifact.task === 'classification') {
    put('accuracy', m.accuracy);
    put('macro_f1', m.macro_f1);
    put('ece_before_calibration', m.ece_before);
    put('ece', m.ece);
    put('temperature', m.temperature);
  } else {
    put('rmse', m.rmse);
  }
  put('best_epoch', m.best_epoch);
  // the families tried on the validation rows (loss_trees, loss_linear, ...) and the chosen one's loss
  for (const [name, v] of Object.entries(m)) if (name.startsWith('loss_')) put(name, v);
  put('loss', f.valLoss);
  // for the training report's summary only (the manifest's metrics): neither emitted nor logged
  if (f.seconds !== undefined) out[`${prefix}fit_seconds`] = f.seconds;
  ctx.logger.info(`datawig: model for "${f.artifact.label}"`, { ...m });
  return out;
}
