/**
 * The `datawig` algorithm: DataWig-style deep-learning imputation of table columns.
 * Layout: format/ (the model directory's files), core/ (features, network, calibration), fit/
 * (TensorFlow.js training) and serve/ (the predictor). train() imports fit/ and load() imports
 * serve/ lazily, so that other algorithms sharing the process keep their cold start and serving
 * never loads TensorFlow.js or the trainer.
 */
import type { Algorithm, LoadContext, Predictor, TrainContext, TrainResult } from '../../framework/contract/index.js';
import { datawigHyperparameters, type DatawigHyperparameters } from './hyperparameters.js';

export class DatawigAlgorithm implements Algorithm {
  readonly name = 'datawig';
  readonly version = '1.0.0';
  readonly description = 'Imputes missing table cells (categorical, numeric; from text, categorical and numeric columns) with hashed n-gram neural models, calibrated, explainable';
  readonly hyperparameters = datawigHyperparameters;
  readonly contentTypes = {
    accepts: ['text/csv', 'application/json', 'application/jsonlines'],
    produces: ['text/csv', 'application/json', 'application/jsonlines'],
  } as const;

  async train(ctx: TrainContext): Promise<TrainResult> {
    const { train } = await import('./fit/training-job.js');
    return train(ctx as TrainContext<DatawigHyperparameters>);
  }

  async load(ctx: LoadContext): Promise<Predictor> {
    const { loadPredictor } = await import('./serve/predictor.js');
    const p = await loadPredictor(ctx.model);
    ctx.logger.info('datawig: model loaded', { mode: p.manifest.mode, targets: p.manifest.targets.map((t) => t.label), inference: 'typed-array' });
    return p;
  }
}

export default DatawigAlgorithm;
export { datawigHyperparameters };
