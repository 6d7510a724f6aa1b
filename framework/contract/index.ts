/** The plugin contract: everything an algorithm imports from the framework. */
export type * from './algorithm.js';
export type * from './hyperparameters.js';
export type * from './records.js';
export { RequestError, TrainingError, TrainingAbortedError } from './errors.js';
export { copyRecord, setKey } from './records.js';
