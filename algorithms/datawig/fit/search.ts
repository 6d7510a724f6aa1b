/** Hyper-parameter search for one target column; its candidates are written to hpo_results.csv. */
import type { Logger, MetricEmitter, TrainContext } from '../../../framework/contract/index.js';
import { rng } from '../core/rng.js';
import type { EpochReport, TargetConfig } from '../format/target-artifact.js';
import type { DatawigHyperparameters } from '../hyperparameters.js';
import { fitTarget, type FitInput, type Fitted } from './fit-target.js';
import { progressOf } from './fit-progress.js';
import type { TfLoader } from './tf-backend.js';

const HPO_HEADER =
  'column,candidate,tokens,num_hash_buckets,latent_dim,final_fc_hidden_units,learning_rate,epochs,family,family_losses,validation_loss,validation_metric,seconds,selected';

/** The families a fit tried with their validation losses, e.g. `trees:0.41 linear:0.52 ensemble:0.39`. */
function familyLosses(f: Fitted): string {
  return (f.artifact.candidates ?? []).map((c) => `${c.family}:${c.loss === null ? 'NaN' : c.loss.toFixed(6)}`).join(' ');
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** What a search uses of the job: its logger, per-epoch metrics, and where hpo_results.csv goes. */
export interface SearchContext {
  logger: Logger;
  metrics: MetricEmitter;
  /** Writes hpo_results.csv (every search's rows so far) after a search; absent: the caller writes it. */
  hpoResults?: (rows: string[]) => Promise<void>;
}

/** Random search over encoders, sizes and the learning rate (DataWig's fit_hpo); num_evals = 1 trains the given config. */
export async function search(
  tf: TfLoader,
  ctx: SearchContext,
  hp: DatawigHyperparameters,
  base: TargetConfig,
  input: FitInput,
  hpoRows: string[],
  tag = '',
): Promise<Fitted> {
  const onEpoch = (e: EpochReport) => {
    ctx.metrics.emit('train:loss', e.trainLoss, { epoch: e.epoch });
    ctx.metrics.emit('validation:loss', e.valLoss, { epoch: e.epoch });
    if (e.valAccuracy !== undefined) ctx.metrics.emit('validation:accuracy', e.valAccuracy, { epoch: e.epoch });
    if (e.valRmse !== undefined) ctx.metrics.emit('validation:rmse', e.valRmse, { epoch: e.epoch });
  };
  if (hp.num_evals <= 1) return fitTarget(tf, { ...input, family: hp.model_family, onEpoch }, base);
  const r = rng(hp.seed ^ 0xabcdef);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const rows: string[] = [HPO_HEADER];
  let best: Fitted | undefined;
  let bestI = -1;
  const results: string[][] = [];
  for (let i = 0; i < hp.num_evals; i++) {
    if (i > 0 && Date.now() > input.deadline) {
      ctx.logger.warn(`datawig: search stopped after ${i} of ${hp.num_evals} candidates (max_training_seconds)`);
      break;
    }
    // candidate 0 is the configured model, so a search never does worse than no search
    const cfg: TargetConfig =
      i === 0
        ? base
        : {
            ...base,
            tokens: pick(['words', 'chars', 'both', 'auto'] as const),
            buckets: 2 ** pick([12, 13, 14, 15, 16, 17]),
            latentDim: pick([16, 32, 64, 128]),
            fcHidden: pick([[], [], [32], [64]]),
            learningRate: pick([1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2]),
            seed: base.seed + i,
          };
    const t0 = Date.now();
    const progress = progressOf(input.progress, `candidate ${i + 1}/${hp.num_evals}`);
    const f = await fitTarget(tf, { ...input, family: hp.model_family, candidate: i, onEpoch: i === 0 ? onEpoch : undefined, progress }, cfg);
    const metric = f.artifact.task === 'classification' ? f.artifact.metrics.accuracy! : f.artifact.metrics.rmse!;
    results.push([
      String(i),
      cfg.tokens,
      String(cfg.buckets),
      String(cfg.latentDim),
      `"${cfg.fcHidden.join(' ')}"`,
      String(cfg.learningRate),
      String(f.artifact.metrics.epochs ?? ''),
      f.artifact.family ?? 'network',
      familyLosses(f),
      f.valLoss.toFixed(6),
      metric.toFixed(6),
      ((Date.now() - t0) / 1000).toFixed(2),
    ]);
    ctx.logger.info(`datawig: search candidate ${i}`, { tag, valLoss: f.valLoss, metric });
    if (!best || f.valLoss < best.valLoss) {
      best = f;
      bestI = i;
    }
  }
  for (const [i, r2] of results.entries()) rows.push([csvCell(tag || input.label), ...r2, i === bestI ? 'yes' : ''].join(','));
  // complete mode: one table for all columns, rewritten after each column's search
  hpoRows.push(...rows.slice(1));
  await ctx.hpoResults?.(hpoRows);
  return best!;
}

/** Writes hpo_results.csv: the header and every search's rows so far. */
export async function writeHpoResults(ctx: TrainContext<DatawigHyperparameters>, hpoRows: string[]): Promise<void> {
  await ctx.outputData.writeFile('hpo_results.csv', [HPO_HEADER, ...hpoRows].join('\n') + '\n');
}
