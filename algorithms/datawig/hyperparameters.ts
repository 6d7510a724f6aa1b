import type { HyperparameterSchema, HyperparametersOf } from '../../framework/contract/index.js';
import { DEFAULT_MISSING_VALUES } from '../../framework/contract/index.js';

export const datawigHyperparameters = {
  feature_columns: { type: 'list', items: 'string', aliases: ['input_columns'], description: 'Columns to impute from (comma-separated). Default: every other column.' },
  label_column: { type: 'string', aliases: ['output_column'], description: 'Column to impute. Absent: complete mode (one model per column with gaps).' },
  num_epochs: { type: 'integer', default: 100, min: 1, max: 10000, description: 'Maximum training epochs (early stopping usually ends sooner).' },
  batch_size: { type: 'integer', default: 128, min: 1, max: 65536, description: 'Mini-batch size.' },
  tokens: { type: 'enum', values: ['auto', 'words', 'chars', 'both'], default: 'auto', description: 'Text n-grams: words, characters, both; auto = chars for short strings (mean <= 40 chars), words otherwise.' },
  word_ngram_range: { type: 'list', items: 'integer', default: [1, 2], minItems: 2, maxItems: 2, min: 1, max: 6, description: 'Min,max length of word n-grams.' },
  char_ngram_range: { type: 'list', items: 'integer', default: [1, 4], minItems: 2, maxItems: 2, min: 1, max: 8, description: 'Min,max length of character n-grams.' },
  tfidf: { type: 'boolean', default: false, description: 'Weight text n-grams by inverse document frequency (DataWig\'s explainable tf-idf variant).' },
  num_hash_buckets: { type: 'integer', default: 32768, min: 256, max: 4194304, description: 'Hash buckets shared by the text columns (DataWig: 2^15).' },
  max_tokens: { type: 'integer', default: 1000, min: 1, max: 1000000, description: 'Categorical input vocabulary size per column (most frequent values; others map to "unknown").' },
  latent_dim: { type: 'integer', default: 32, min: 4, max: 1024, description: 'Width of the hidden layer fed by the sparse (text + categorical) features.' },
  numeric_latent_dim: { type: 'integer', default: 100, min: 1, max: 4096, description: 'Width of the hidden layers of the numeric inputs.' },
  numeric_hidden_layers: { type: 'integer', default: 1, min: 0, max: 8, description: 'Hidden layers over the normalised numeric inputs.' },
  final_fc_hidden_units: { type: 'list', items: 'integer', default: [], min: 1, max: 4096, description: 'Hidden layer widths after concatenating all features (DataWig: none).' },
  learning_rate: { type: 'number', default: 0.01, min: 1e-6, max: 1, description: 'Adam learning rate (DataWig: 4e-3; 1e-2 converges in fewer epochs with the sparse embedding here).' },
  weight_decay: { type: 'number', default: 0, min: 0, max: 1, description: 'L2 penalty on the weight matrices.' },
  patience: { type: 'integer', default: 3, min: 1, max: 1000, description: 'Epochs without validation-loss improvement before stopping; the best epoch is kept.' },
  validation_split: { type: 'number', default: 0.1, min: 0.01, max: 0.5, description: 'Share of labelled rows held out when no validation/test channel is given.' },
  class_weights: { type: 'string', description: '"balanced", or per-class loss weights "a:2,b:0.5" (others 1).' },
  seed: { type: 'integer', default: 42, min: 0, max: 2147483647, description: 'Seed for the split, initialisation, shuffling and search (deterministic on one backend).' },
  max_training_seconds: { type: 'number', default: 0, min: 0, max: 604800, description: 'Wall-clock budget for training and search; 0 = none. The best model so far is kept.' },
  clip_numeric_imputations: { type: 'boolean', default: true, description: 'Keep numeric imputations within the range of the values seen in training (a linear output can otherwise invent negative prices or counts).' },
  precision_threshold: { type: 'number', default: 0, min: 0, max: 1, description: 'Serving default: impute a class only where it reached this precision on validation data.' },
  top_k: { type: 'integer', default: 5, min: 1, max: 1000, description: 'Serving default: predictions listed per JSON record.' },
  explain_tokens: { type: 'integer', default: 5, min: 1, max: 100, description: 'N-grams listed per explanation.' },
  num_evals: { type: 'integer', default: 1, min: 1, max: 500, description: '> 1: random hyper-parameter search with this many candidates; writes hpo_results.csv.' },
  iterations: { type: 'integer', default: 1, min: 1, max: 10, description: 'Complete mode: rounds of re-training on the previous round\'s imputations.' },
  missing_values: { type: 'list', items: 'string', default: [...DEFAULT_MISSING_VALUES], description: 'Cell values read as missing (besides empty cells).' },
  column_types: { type: 'list', items: 'string', description: 'Type overrides "col:numeric|categorical|text", comma-separated.' },
} as const satisfies HyperparameterSchema;

export type DatawigHyperparameters = HyperparametersOf<typeof datawigHyperparameters>;
