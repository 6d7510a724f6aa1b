/**
 * Errors that carry their meaning to the user. The server maps `RequestError.status` to the HTTP
 * response; the training runner writes `TrainingError` messages to `output/failure` without a stack
 * (a stack is only appended for unexpected errors).
 */

// The classes recognise their instances by a registered symbol, not by identity: a plugin package
// can hold its own copy of this module (another installed version of the framework, or the CLI's
// bundle), and its errors must still map to the right status or failure message.
function brand(target: object, key: symbol): void {
  Object.defineProperty(target, key, { value: true, enumerable: false });
}

/** Any error class (the constructor signatures differ). */
type ErrorClass = abstract new (...args: never[]) => Error;

function isInstance(cls: ErrorClass, base: ErrorClass, key: symbol, value: unknown): boolean {
  // A subclass keeps the ordinary prototype check.
  if (cls !== base) return Function.prototype[Symbol.hasInstance].call(cls, value);
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[key] === true;
}

const REQUEST_ERROR = Symbol.for('sagemaker-byoc.RequestError');
const TRAINING_ERROR = Symbol.for('sagemaker-byoc.TrainingError');
const TRAINING_ABORTED_ERROR = Symbol.for('sagemaker-byoc.TrainingAbortedError');

/** Bad inference input: answered with `status` (4xx) and `message`, never a stack. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 405 | 406 | 413 | 415 | 422 | 503 | 504 = 400,
  ) {
    super(message);
    brand(this, REQUEST_ERROR);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, RequestError, REQUEST_ERROR, value);
  }
}

/** A training job that cannot succeed because of its inputs (data, hyperparameters, channels). */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    brand(this, TRAINING_ERROR);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, TrainingError, TRAINING_ERROR, value);
  }
}

/** Training stopped because the abort signal fired (SIGTERM). */
export class TrainingAbortedError extends Error {
  override readonly name = 'TrainingAbortedError';
  constructor(message = 'training was stopped by SIGTERM (job stopped or spot interruption)') {
    super(message);
    brand(this, TRAINING_ABORTED_ERROR);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, TrainingAbortedError, TRAINING_ABORTED_ERROR, value);
  }
}
