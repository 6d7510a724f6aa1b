/**
 * Live training progress, for a person watching a terminal: `byoc train` on a TTY draws it; a job
 * under SageMaker or CI discards it (its logs and METRIC lines are the record there). Report as
 * often as is convenient: the display redraws a few times a second whatever the rate.
 */
export interface ProgressReporter {
  /** Where one unit of work (one model being fitted) stands. */
  update(progress: Progress): void;
  /** The unit has finished: its bar gives way to a line with `summary` (e.g. "stopped early at epoch 7"). */
  finish(unit: string, summary?: string): void;
}

export interface Progress {
  /** Names the unit, e.g. `price · network`; units with different names are shown side by side. */
  unit: string;
  /** Steps done (epochs, boosting rounds) of at most `total`; an early stop finishes before `total`. */
  step: number;
  total: number;
  /** A few figures beside the bar, e.g. `{ loss: 0.41, val_loss: 0.44 }`. */
  figures?: Readonly<Record<string, number>>;
  /** The state in a few words, e.g. `best epoch 5, patience 1/3`. */
  status?: string;
}

/** Progress that goes nowhere (no terminal to draw on). */
export const NO_PROGRESS: ProgressReporter = Object.freeze({
  update: () => undefined,
  finish: () => undefined,
});
