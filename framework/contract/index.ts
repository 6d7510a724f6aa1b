/** The plugin contract: everything an algorithm imports from the framework. */
export type * from './algorithm.js';
export type * from './parameters.js';
export type * from './prediction.js';
export type * from './records.js';
export type * from './report.js';
export type * from './progress.js';
export { NO_PROGRESS } from './progress.js';
export { assignToHosts, designatedHost, isDesignatedHost, type JobHosts } from './hosts.js';
export { RequestError, TrainingError, TrainingAbortedError } from './errors.js';
export { requireColumns } from './required-columns.js';
export { copyRecord, isRowBatch, outputLength, outputRecords, setKey } from './records.js';
export {
  TOKENS,
  algorithmFactory,
  isAlgorithmFactory,
  type AlgorithmFactory,
  type AlgorithmClass,
  type AlgorithmProvider,
  type ServiceResolver,
} from './services.js';
export { DEFAULT_MISSING_VALUES, MissingValues, argmax, parseBooleanText, parseNumberText } from './values.js';
export { FRAMEWORK_ATTRIBUTES, requestAttributeSchema } from './framework-attributes.js';
