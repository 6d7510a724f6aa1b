/** What a request may ask of a datawig model (X-Amzn-SageMaker-Custom-Attributes). */
import type { AttributeSchema, AttributesOf } from '../../framework/contract/index.js';

export const datawigAttributes = {
  precision_threshold: {
    type: 'number',
    min: 0,
    max: 1,
    description: "Impute a class only where it reached this precision on validation data (default: the model's precision_threshold hyperparameter).",
  },
  top_k: { type: 'integer', min: 1, max: 1000, description: "Predictions listed per record in the original JSON shape (default: the model's top_k)." },
  explain: { type: 'boolean', default: true, description: 'Explain class predictions from text columns by their most telling n-grams (original JSON shape).' },
  impute_present: { type: 'boolean', default: false, description: 'Also impute cells that are present (to check them against the model).' },
  label_shift: {
    type: 'boolean',
    default: false,
    description: "Estimate how the batch's label distribution differs from training (black-box shift estimation).",
  },
} as const satisfies AttributeSchema;

export type DatawigAttributes = AttributesOf<typeof datawigAttributes>;
