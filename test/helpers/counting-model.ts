/** A small in-memory model for pipeline and app tests: guesses `n` = scale x row index. */
import type { Algorithm, Predictor, PredictOptions } from '../../framework/contract/algorithm.js';
import type { AttributesOf } from '../../framework/contract/parameters.js';
import type { PredictionBatch, Presenter } from '../../framework/contract/prediction.js';
import type { InputRecord, RecordBatch } from '../../framework/contract/records.js';
import { CodecRegistry } from '../../framework/codecs/index.js';
import { InvocationPipeline } from '../../framework/invocation/pipeline.js';
import { PresenterCatalog } from '../../framework/invocation/presenters.js';
import { createManifest } from '../../framework/model/manifest.js';
import type { LoadedModel } from '../../framework/model/host.js';
import { loadConfig, type FrameworkConfig } from '../../framework/runtime/config.js';
import { RecordingLogger } from '../../framework/testing.js';

const attributes = {
  scale: { type: 'integer', min: 1, max: 10, default: 1, description: 'multiplies the guess' },
  verbose: { type: 'boolean', default: false, description: 'unused' },
} as const;
export type CountingAttributes = AttributesOf<typeof attributes>;
type Attributes = CountingAttributes;

/** A document-only presenter that asks for candidates: shows how detail reaches predict. */
const ranked: Presenter<Attributes> = {
  name: 'ranked',
  description: 'targets with their candidates',
  structures: ['document'],
  detail: { candidates: true },
  present: ({ input, predictions }) => ({
    columns: ['ranked'],
    records: input.records.map((_r, i) => ({ ranked: predictions.records[i]!.targets.map((t) => ({ column: t.column, candidates: t.candidates ?? null })) })),
  }),
};

/** Guesses `n` = scale * row index for rows where `n` is empty; records what predict was given. */
export class CountingPredictor implements Predictor<Attributes> {
  readonly targets = ['n'];
  readonly presenters = [ranked];
  readonly seen: PredictOptions<Attributes>[] = [];
  rowsOverride: number | undefined;

  predict(batch: RecordBatch<InputRecord>, options: PredictOptions<Attributes>): PredictionBatch {
    this.seen.push(options);
    const rows = batch.records.slice(0, this.rowsOverride ?? batch.records.length);
    return {
      records: rows.map((r, i) => ({
        targets: [
          {
            column: 'n',
            status: r.n === '' || r.n === null ? 'imputed' : 'present',
            value: i * options.attributes.scale,
            probability: 0.123456,
            ...(options.detail.candidates ? { candidates: [{ value: i, probability: 0.5 }] } : {}),
          },
        ],
      })),
    };
  }
}

/** `predictor`: any predictor of the counting model's attributes (default: a CountingPredictor). */
export function countingModel<P extends Predictor<Attributes> = CountingPredictor>(
  predictor: P = new CountingPredictor() as unknown as P,
  config: FrameworkConfig = loadConfig({ env: {} }),
) {
  const algorithm: Algorithm<Record<string, never>, typeof attributes> = {
    name: 'counting',
    version: '1.0.0',
    description: 'test',
    hyperparameters: {},
    attributes,
    train: async () => ({ inputSchema: { columns: [], requiredColumns: [] } }),
    load: async () => predictor,
  };
  const manifest = createManifest({
    algorithm: { name: 'counting', version: '1.0.0' },
    framework: { name: 'test', version: '0' },
    inputSchema: { columns: [{ name: 'id' }, { name: 'n' }], requiredColumns: ['id'] },
    hyperparameters: {},
  });
  const model: LoadedModel = { algorithm, predictor, manifest };
  const pipeline = new InvocationPipeline(new CodecRegistry(), new PresenterCatalog(), config, new RecordingLogger());
  return { model, pipeline, predictor, config };
}
