/**
 * Errors that carry their meaning to the user. The server maps `RequestError.status` to the HTTP
 * response; the training runner writes `TrainingError` messages to `output/failure` without a stack
 * (a stack is only appended for unexpected errors).
 */

/** Bad inference input: answered with `status` (4xx) and `message`, never a stack. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 405 | 406 | 413 | 415 | 422 | 503 | 504 = 400,
  ) {
    super(message);
  }
}

/** A training job that cannot succeed because of its inputs (data, hyperparameters, channels). */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Training stopped because the abort signal fired (SIGTERM). */
export class TrainingAbortedError extends Error {
  override readonly name = 'TrainingAbortedError';
  constructor(message = 'training was stopped by SIGTERM (job stopped or spot interruption)') {
    super(message);
  }
}
