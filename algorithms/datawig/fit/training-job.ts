/** The training job: table checks, type resolution, single / complete mode, saving the model directory. */
import {
  argmax,
  TrainingError,
  type InputRecord,
  type Table,
  type TrainContext,
  type TrainResult,
  type ColumnSpec,
} from '../../../framework/contract/index.js';
import { columnStats, inferType } from '../core/columns.js';
import { MissingValues, parseNumberText } from '../../../framework/contract/index.js';
import { TargetModel } from '../core/target-model.js';
import type { ColumnType } from '../format/featurizer-spec.js';
import { targetDir, writeModelIndex, writeTarget } from '../format/model-directory.js';
import { MODEL_INDEX_FORMAT, type ModelIndex } from '../format/model-index.js';
import type { TargetConfig } from '../format/target-artifact.js';
import type { DatawigHyperparameters } from '../hyperparameters.js';
import type { FitInput, Fitted } from './fit-target.js';
import { checkpointScope, openEpochCheckpoints, resumeTarget, saveCheckpoint, supersedeProgress, targetFingerprint } from './checkpoints.js';
import { search, writeHpoResults } from './search.js';
import { loadTf, type Tf } from './tf-backend.js';

export async function train(ctx: TrainContext<DatawigHyperparameters>): Promise<TrainResult> {
  const hp = ctx.hyperparameters;
  const started = Date.now();
  const deadline = hp.max_training_seconds > 0 ? started + hp.max_training_seconds * 1000 : Infinity;
  const { table, valTable, valChannel } = await readTables(ctx);
  const missingTokens = [...new Set(['', ...hp.missing_values])];
  const missing = new MissingValues(missingTokens);
  const types = resolveTypes(table, hp.column_types, missing);
  const { tf, backend } = await loadTf(ctx.logger);
  const hpoRows: string[] = []; // every search's candidates, one table
  const job: Job = { ctx, hp, tf, table, valTable, valChannel, types, missing, deadline, cfgBase: targetConfig(hp, missingTokens), hpoRows };
  const index: ModelIndex = {
    format: MODEL_INDEX_FORMAT,
    mode: hp.label_column ? 'single' : 'complete',
    features: [],
    columns: table.columns.map((c) => ({ name: c, type: types.get(c)!.type })),
    targets: [],
    defaults: { precision_threshold: hp.precision_threshold, top_k: hp.top_k, explain_tokens: hp.explain_tokens },
    backend,
    missingTokens,
  };
  const metrics = hp.label_column ? await trainSingle(job, hp.label_column, index) : await trainComplete(job, index);
  await writeModelIndex(ctx.model, index);
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
  tf: Tf;
  table: Table;
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
  const fitted = await searchTarget(job, label, table.records, features, job.deadline, 1);
  return saveTargets(job, index, [fitted], () => '');
}

/**
 * Complete mode: one model per numeric or categorical column with gaps, each from all other
 * feature columns; `iterations` rounds, each after the first on the previous round's imputations.
 * Returns the metrics, prefixed by column.
 */
async function trainComplete(job: Job, index: ModelIndex): Promise<Record<string, number>> {
  const { table, hp } = job;
  const features = hp.feature_columns?.length ? hp.feature_columns : table.columns;
  for (const f of features)
    if (!table.columns.includes(f))
      throw new TrainingError(`feature column "${f}" is not a column of the training data; its columns are: ${table.columns.join(', ')}`);
  index.features = features;
  const targets = imputableColumns(job);
  if (targets.length === 0)
    throw new TrainingError(
      'complete mode (no label_column): no numeric or categorical column has missing cells to impute; set label_column to train a single imputer',
    );
  job.ctx.logger.info('datawig: complete mode', { targets });
  let rows = table.records;
  let fitted: Fitted[] = [];
  for (let it = 1; it <= hp.iterations; it++) {
    fitted = [];
    for (const [i, label] of targets.entries()) {
      const remainingTargets = targets.length - i + (hp.iterations - it) * targets.length;
      const budget = Number.isFinite(job.deadline) ? Date.now() + (job.deadline - Date.now()) / remainingTargets : Infinity;
      // later rounds: features carry the previous imputations, the label only its real values
      const own = it === 1 ? rows : rows.map((row, j) => ({ ...row, [label]: table.records[j]![label]! }));
      fitted.push(
        await searchTarget(
          job,
          label,
          own,
          features.filter((c) => c !== label),
          budget,
          it,
          label,
        ),
      );
    }
    if (it < hp.iterations) rows = fillGaps(rows, fitted, job.missing);
  }
  return saveTargets(job, index, fitted, (f) => `${f.artifact.label}.`);
}

/** The columns complete mode imputes: numeric or categorical ones with gaps and enough known values (skipped ones are logged). */
function imputableColumns({ table, types, missing, ctx }: Job): string[] {
  return table.columns.filter((c) => {
    const t = types.get(c)!;
    const gaps = table.records.some((r) => missing.isMissing(r[c]));
    if (!gaps) return false;
    if (t.type === 'text') {
      ctx.logger.info(`datawig: complete mode skips free-text column "${c}" (declare it categorical via column_types to impute it)`);
      return false;
    }
    if (t.present < 10 || (t.type === 'categorical' && t.distinct < 2)) {
      ctx.logger.warn(`datawig: complete mode skips "${c}": too few known values (${t.present}, ${t.distinct} distinct)`);
      return false;
    }
    return true;
  });
}

/**
 * The search (or single fit) of one target column's model in round `round`; `tag` names the column in
 * hpo_results.csv (default: the label). A checkpoint of the same fingerprint is reused instead
 * (fit/checkpoints.ts); a trained target is checkpointed.
 */
async function searchTarget(job: Job, label: string, rows: InputRecord[], features: string[], deadline: number, round: number, tag?: string): Promise<Fitted> {
  const task = job.types.get(label)!.type === 'numeric' ? 'regression' : 'classification';
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
  const fitted = await search(job.tf, ctx, job.hp, job.cfgBase, input, hpoRows, tag);
  await saveCheckpoint(ctx.checkpoints, ctx.logger, key, fitted, hpoRows.slice(before));
  await supersedeProgress(ctx.checkpoints, ctx.logger, key, job.hp.num_evals);
  return fitted;
}

/** Writes the i-th fitted model to targets/<i>/ and lists it in the index; returns the final metrics, names prefixed by `prefix`. */
async function saveTargets(job: Job, index: ModelIndex, fitted: Fitted[], prefix: (f: Fitted) => string): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  for (const [i, f] of fitted.entries()) {
    await writeTarget(job.ctx.model, targetDir(i), f.artifact, f.weights);
    index.targets.push({ label: f.artifact.label, dir: targetDir(i), task: f.artifact.task });
    Object.assign(metrics, finalMetrics(job.ctx, f, prefix(f)));
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
  ctx.logger.info(`datawig: model for "${f.artifact.label}"`, { ...m });
  return out;
}

/** Complete mode, next round: gaps filled with this round's imputations. */
function fillGaps(rows: InputRecord[], fitted: Fitted[], missing: MissingValues): InputRecord[] {
  const models = fitted.map((f) => new TargetModel(f.artifact, f.weights));
  return rows.map((r) => {
    let copy: InputRecord | undefined;
    for (const m of models) {
      const label = m.a.label;
      if (!missing.isMissing(r[label])) continue;
      copy ??= { ...r };
      const v = m.run(copy);
      if (m.a.task === 'regression') copy[label] = String(v);
      else copy[label] = m.a.classes[argmax(m.probs)]!;
    }
    return copy ?? r;
  });
}
