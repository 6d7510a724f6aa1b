/**
 * The `datawig` algorithm: DataWig-style deep-learning imputation of table columns.
 * Layout: format/ (the model directory's files), core/ (features, network, calibration), fit/
 * (TensorFlow.js training) and serve/ (the predictor). train() imports fit/ and load() imports
 * serve/ lazily, so that other algorithms sharing the process keep their cold start and serving
 * never loads TensorFlow.js or the trainer.
 */
import type {
  Algorithm,
  LoadContext,
  Predictor,
  ReportContext,
  ReportDocument,
  TaskContext,
  TrainContext,
  TrainResult,
} from '../../framework/contract/index.js';
import { datawigAttributes, type DatawigAttributes } from './attributes.js';
import type { TreeJob } from './fit/family-fits.js';
import type { ColumnFit } from './fit/training-job.js';
import { datawigHyperparameters, type DatawigHyperparameters } from './hyperparameters.js';

export class DatawigAlgorithm implements Algorithm<typeof datawigHyperparameters, typeof datawigAttributes> {
  readonly name = 'datawig';
  readonly version = '1.0.0';
  readonly description =
    'Imputes missing table cells (categorical, numeric; from text, categorical and numeric columns) with hashed n-gram neural models, calibrated, explainable';
  readonly hyperparameters = datawigHyperparameters;
  readonly attributes = datawigAttributes;
  /** Complete mode shares its columns across the hosts of a multi-instance job; single mode trains on the designated host. */
  readonly distributed = true;
  /**
   * Complete mode fits the columns of a round side by side: one column's search / fit
   * (fit/training-job.ts); a single target's trees are boosted beside its other families.
   */
  readonly tasks = {
    'fit-target': async (input: unknown, ctx: TaskContext<DatawigHyperparameters>): Promise<unknown> => {
      const { fitColumnTask } = await import('./fit/training-job.js');
      return fitColumnTask(input as ColumnFit, ctx);
    },
    'boost-trees': async (input: unknown, ctx: TaskContext<DatawigHyperparameters>): Promise<unknown> => {
      const [{ fitGbdt }, { familySteps }] = await Promise.all([import('./fit/gbdt/fit-gbdt.js'), import('./fit/fit-progress.js')]);
      const job = input as TreeJob;
      const progress = job.progressUnit === undefined ? undefined : { reporter: ctx.progress, unit: job.progressUnit };
      return fitGbdt(job.data, job.options, familySteps(progress, 'trees'));
    },
  };

  async train(ctx: TrainContext<DatawigHyperparameters>): Promise<TrainResult> {
    const { train } = await import('./fit/training-job.js');
    return train(ctx);
  }

  async load(ctx: LoadContext): Promise<Predictor<DatawigAttributes>> {
    const { loadPredictor } = await import('./serve/predictor.js');
    const p = await loadPredictor(ctx.model);
    ctx.logger.info('datawig: model loaded', { mode: p.index.mode, targets: p.targets, inference: 'typed-array' });
    return p;
  }

  async report(ctx: ReportContext): Promise<ReportDocument> {
    const { buildReport } = await import('./report/build-report.js');
    return buildReport(ctx.model, ctx.trained);
  }
}

export default DatawigAlgorithm;
export { datawigAttributes, datawigHyperparameters };
